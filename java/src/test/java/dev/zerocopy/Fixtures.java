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

    /** The native strategies of ZeroCopy.transferFrom: those for streams, then those for files. */
    static final List<Strategy> FROM_STRATEGIES = java.util.Arrays.asList(Strategy.AUTO, Strategy.SPLICE,
            Strategy.READ_WRITE, Strategy.COPY_FILE_RANGE, Strategy.SENDFILE, Strategy.MMAP);

    /** The running JDK's feature release (8 for 1.8). */
    static int jdkFeature() {
        String v = System.getProperty("java.specification.version");
        return v.startsWith("1.") ? Integer.parseInt(v.substring(2)) : Integer.parseInt(v);
    }

    /**
     * A virtual thread running {@code body}, not started, by reflection (the tests compile for
     * Java 8); null before JDK 21.
     */
    static Thread unstartedVirtualThread(Runnable body) throws ReflectiveOperationException {
        Object builder;
        try {
            builder = Thread.class.getMethod("ofVirtual").invoke(null);
        } catch (NoSuchMethodException e) {
            return null; // before JDK 21
        }
        return (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                .invoke(builder, body);
    }

    /** Writes all of {@code data} to a blocking channel. */
    static void writeFully(java.nio.channels.WritableByteChannel ch, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** {@code length} bytes of the file at {@code position} (fewer at its end). */
    static byte[] readAt(Path p, long position, int length) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            while (b.hasRemaining() && ch.read(b, position + b.position()) > 0) {
                // until full or the end
            }
            return java.util.Arrays.copyOf(b.array(), b.position());
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    /** A socket (on 127.0.0.1) or a pipe: the channel read from, and the channel that writes into it. */
    static final class Stream implements java.io.Closeable {
        final java.nio.channels.ReadableByteChannel source;
        final java.nio.channels.WritableByteChannel sender;

        Stream(java.nio.channels.ReadableByteChannel source, java.nio.channels.WritableByteChannel sender) {
            this.source = source;
            this.sender = sender;
        }

        /** kind: "socket" or "pipe"; both ends blocking. */
        static Stream open(String kind) throws IOException {
            if (kind.equals("socket")) {
                SocketChannel[] pair = socketPair();
                return new Stream(pair[0], pair[1]);
            }
            java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
            return new Stream(pipe.source(), pipe.sink());
        }

        /**
         * What the source holds now (without waiting: the source becomes non-blocking), then the
         * last read's result in {@code end[0]}: 0 while the sender is open, -1 once it closed.
         */
        byte[] rest(int[] end) throws IOException {
            ((java.nio.channels.SelectableChannel) source).configureBlocking(false);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            int n;
            while ((n = source.read(b)) > 0) {
                out.write(b.array(), 0, n);
                b.clear();
            }
            end[0] = n;
            return out.toByteArray();
        }

        @Override
        public void close() throws IOException {
            source.close();
            sender.close();
        }
    }

    /** True on JDK 25 or later, where FileChannel.transferTo itself is the reference. */
    static boolean jdkIsReference() {
        String v = System.getProperty("java.specification.version");
        return !v.startsWith("1.") && Integer.parseInt(v) >= 25;
    }
}
