package dev.zerocopy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.rules.TemporaryFolder;

/** Temp files with known bytes and loopback sockets (127.0.0.1 only), shared by the tests. */
final class Fixtures {
    private Fixtures() {}

    static final List<Strategy> NATIVE_STRATEGIES = java.util.Arrays.asList(
            Strategy.AUTO, Strategy.SENDFILE, Strategy.MMAP, Strategy.READ_WRITE);

    /** Bytes that differ at every offset, so a misplaced byte shows. */
    static byte[] pattern(int length, long seed) {
        byte[] b = new byte[length];
        long x = seed | 1;
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }

    static Path file(TemporaryFolder tmp, byte[] data) throws IOException {
        Path p = tmp.newFile().toPath();
        Files.write(p, data);
        return p;
    }

    /** A connected pair on 127.0.0.1: [0] the client (our target), [1] the accepted peer. */
    static SocketChannel[] socketPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel peer = server.accept();
            return new SocketChannel[] {client, peer};
        }
    }

    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-reader");
        t.setDaemon(true);
        return t;
    });

    /** Reads the channel to its end in another thread. */
    static Future<byte[]> drain(java.nio.channels.ReadableByteChannel ch) {
        Callable<byte[]> reader = () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            try {
                while (ch.read(buf) >= 0) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
            } finally {
                ch.close();
            }
            return out.toByteArray();
        };
        return READERS.submit(reader);
    }

    /** One read of a peer that does something more: counts, slows down. */
    interface Read {
        int read(ByteBuffer dst) throws IOException;
    }

    /** Reads `ch` to its end in another thread, each read through `read`. */
    static Future<byte[]> drain(SocketChannel ch, Read read) {
        return drain(new java.nio.channels.ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return read.read(dst);
            }

            @Override
            public boolean isOpen() {
                return ch.isOpen();
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        });
    }

    static byte[] get(Future<byte[]> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    static byte[] slice(byte[] data, long from, long length) {
        byte[] out = new byte[(int) length];
        System.arraycopy(data, (int) from, out, 0, (int) length);
        return out;
    }

    static List<Object[]> strategies() {
        List<Object[]> out = new ArrayList<>();
        for (Strategy s : NATIVE_STRATEGIES) {
            out.add(new Object[] {s});
        }
        return out;
    }

    /** The native strategies and JDK (the running JDK's own path), as JUnit parameters. */
    static List<Object[]> strategiesAndJdk() {
        List<Object[]> out = strategies();
        out.add(new Object[] {Strategy.JDK});
        return out;
    }

    /** True on JDK 25 or later, where FileChannel.transferTo itself is the reference. */
    static boolean jdkIsReference() {
        String v = System.getProperty("java.specification.version");
        return !v.startsWith("1.") && Integer.parseInt(v) >= 25;
    }
}
