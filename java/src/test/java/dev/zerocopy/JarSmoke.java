package dev.zerocopy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What a user does with the jar on the class path and no other flags: SENDFILE over loopback.
 * Run by `gradle jarSmoke` against the built jar; exits non-zero when anything is off.
 */
public final class JarSmoke {
    private JarSmoke() {}

    public static void main(String[] args) throws Exception {
        if (!ZeroCopy.isNativeAvailable()) {
            throw new IllegalStateException("native library not available from the jar");
        }
        byte[] data = Fixtures.pattern(3 << 20, 5);
        Path file = Files.createTempFile("zerocopy-smoke", ".bin");
        try {
            Files.write(file, data);
            byte[] got = send(file, data.length);
            if (!Arrays.equals(data, got)) {
                throw new IllegalStateException("received " + got.length + " bytes, not the file's");
            }
        } finally {
            Files.delete(file);
        }
        System.out.println("jar smoke: SENDFILE sent " + data.length + " bytes on Java "
                + System.getProperty("java.version"));
    }

    private static byte[] send(Path file, int length) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
                    SocketChannel peer = server.accept();
                    FileChannel in = FileChannel.open(file)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Thread reader = new Thread(() -> {
                    ByteBuffer b = ByteBuffer.allocate(1 << 16);
                    try {
                        while (peer.read(b) >= 0) {
                            out.write(b.array(), 0, b.position());
                            b.clear();
                        }
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                reader.start();
                long n = ZeroCopy.transferTo(in, 0, length, client, Strategy.SENDFILE);
                client.shutdownOutput();
                reader.join();
                if (n != length) {
                    throw new IllegalStateException("transferred " + n);
                }
                return out.toByteArray();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }
    }
}
