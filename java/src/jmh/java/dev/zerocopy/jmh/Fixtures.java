package dev.zerocopy.jmh;

import dev.zerocopy.ZeroCopy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** What the benchmarks share: the source file, a loopback socket, and a thread that drains a peer. */
final class Fixtures {
    private Fixtures() {}

    /** A temp directory with the file {@code name} of {@code size} random bytes; the library must be loaded. */
    static Path sourceIn(Path dir, String name, int size) throws IOException {
        if (!ZeroCopy.isNativeAvailable()) {
            throw new IllegalStateException("the native library did not load");
        }
        byte[] data = new byte[size];
        new Random(1).nextBytes(data);
        return Files.write(dir.resolve(name), data);
    }

    /** A socket connected to 127.0.0.1 with TCP_NODELAY, and its accepted peer: {socket, peer}. */
    static SocketChannel[] loopback() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel socket = SocketChannel.open(server.getLocalAddress());
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return new SocketChannel[] {socket, server.accept()};
        }
    }

    /** A started daemon thread that reads {@code in} until it ends (the sending end closed at tear-down), as a peer would. */
    static Thread drain(ReadableByteChannel in) {
        Thread drainer = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            try {
                while (in.read(b) >= 0) {
                    b.clear();
                }
            } catch (IOException ignored) {
                // closed at tear-down
            }
        }, "drainer");
        drainer.setDaemon(true);
        drainer.start();
        return drainer;
    }
}
