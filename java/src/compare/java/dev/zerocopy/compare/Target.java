package dev.zerocopy.compare;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Where the transfers go, and what checks that each one arrived: for every transfer announced
 * with {@link #expect}, {@link #received} gives back the bytes that arrived and their sampled CRC
 * (except /dev/null, which keeps nothing to check).
 */
abstract class Target implements java.io.Closeable {
    final String name;

    Target(String name) {
        this.name = name;
    }

    abstract WritableByteChannel channel();

    /** A stream over the same target, for the naive copy. */
    OutputStream stream() {
        return Channels.newOutputStream(channel());
    }

    /** Called (untimed) before a batch. */
    void reset() throws IOException {}

    /** Announces a transfer of {@code bytes}. */
    abstract void expect(long bytes) throws IOException;

    /**
     * Waits (timed: part of the transfer) until the next announced transfer has arrived; for a
     * peer that reads, its {bytes received, sampled CRC}, for a file null (written on return).
     */
    abstract long[] arrived() throws IOException;

    /**
     * {bytes received, sampled CRC} of a transfer, from what {@link #arrived} gave (untimed); null
     * where the target keeps nothing to check (/dev/null).
     */
    long[] check(long[] arrived) throws IOException {
        return arrived;
    }

    /** CPU time of the thread that receives, or 0 where nothing does. */
    long receiverCpuNanos() {
        return 0;
    }

    static Target create(String name, Path dir) throws IOException {
        switch (name) {
            case "socket": return new Socket();
            case "file": return new File(dir.resolve("target.bin"));
            case "pipe": return new PipeTarget();
            case "devnull": return new DevNull();
            default: throw new IllegalArgumentException("unknown target " + name);
        }
    }

    /** Reads every announced transfer off a channel in a thread of its own, as a peer would. */
    static final class Receiver implements Runnable {
        private final ReadableByteChannel in;
        private final BlockingQueue<Long> expected = new ArrayBlockingQueue<>(1 << 16);
        private final BlockingQueue<long[]> done = new ArrayBlockingQueue<>(1 << 16);
        private final Thread thread;

        Receiver(ReadableByteChannel in, String name) {
            this.in = in;
            thread = new Thread(this, name + "-receiver");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            ByteBuffer buf = ByteBuffer.allocate(256 << 10);
            try {
                while (true) {
                    long want = expected.take();
                    if (want < 0) {
                        return;
                    }
                    SampledCrc crc = new SampledCrc();
                    long got = 0;
                    while (got < want) {
                        buf.clear();
                        buf.limit((int) Math.min(buf.capacity(), want - got));
                        int n = in.read(buf);
                        if (n < 0) {
                            break;
                        }
                        crc.update(buf.array(), 0, n);
                        got += n;
                    }
                    done.put(new long[] {got, crc.value()});
                }
            } catch (IOException | InterruptedException e) {
                done.offer(new long[] {-1, 0});
            }
        }

        void expect(long bytes) {
            expected.add(bytes);
        }

        long[] received() throws IOException {
            try {
                long[] r = done.poll(120, TimeUnit.SECONDS);
                if (r == null) {
                    throw new IOException("the receiver got nothing for 120 s");
                }
                return r;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }

        long cpuNanos() {
            return java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(thread.getId());
        }

        void stop() throws IOException {
            expected.add(-1L);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
    }

    /** A target whose bytes a {@link Receiver} thread reads, as a peer would. */
    abstract static class Drained extends Target {
        private Receiver receiver;

        Drained(String name) {
            super(name);
        }

        void drain(ReadableByteChannel in) {
            receiver = new Receiver(in, name);
        }

        @Override
        void expect(long bytes) {
            receiver.expect(bytes);
        }

        @Override
        long[] arrived() throws IOException {
            return receiver.received();
        }

        @Override
        long receiverCpuNanos() {
            return receiver.cpuNanos();
        }

        /** Stops the receiver, then closes both ends. */
        void close(java.io.Closeable writing, java.io.Closeable reading) throws IOException {
            receiver.stop();
            writing.close();
            reading.close();
        }
    }

    /** A loopback TCP connection (127.0.0.1) whose peer drains every byte. */
    static final class Socket extends Drained {
        private final SocketChannel out;
        private final SocketChannel peer;

        Socket() throws IOException {
            super("socket");
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                out = SocketChannel.open(server.getLocalAddress());
                // As servers that stream files set it (Netty, Kafka): without it, the naive copy's
                // 8 KiB writes wait on delayed ACKs and it measures TCP timers, not copies.
                out.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                peer = server.accept();
            }
            drain(peer);
        }

        @Override
        WritableByteChannel channel() {
            return out;
        }

        @Override
        public void close() throws IOException {
            close(out, peer);
        }
    }

    /** A pipe whose reading end is drained by a thread. */
    static final class PipeTarget extends Drained {
        private final Pipe pipe = Pipe.open();

        PipeTarget() throws IOException {
            super("pipe");
            drain(pipe.source());
        }

        @Override
        WritableByteChannel channel() {
            return pipe.sink();
        }

        @Override
        public void close() throws IOException {
            close(pipe.sink(), pipe.source());
        }
    }

    /** A file, truncated before each batch; a batch's transfers follow one another in it. */
    static final class File extends Target {
        private final FileChannel out;
        private final java.util.ArrayDeque<long[]> regions = new java.util.ArrayDeque<>();
        private long end;

        File(Path path) throws IOException {
            super("file");
            out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        }

        @Override
        WritableByteChannel channel() {
            return out;
        }

        @Override
        void reset() throws IOException {
            out.truncate(0);
            out.position(0);
            regions.clear();
            end = 0;
        }

        @Override
        void expect(long bytes) {
            regions.add(new long[] {end, bytes});
            end += bytes;
        }

        @Override
        long[] arrived() {
            return null;
        }

        /** Reads the sampled blocks of the next region back from the file. */
        @Override
        long[] check(long[] arrived) throws IOException {
            long[] region = regions.remove();
            long start = region[0];
            long length = region[1];
            long have = Math.max(0, Math.min(length, out.size() - start));
            return new long[] {have, SampledCrc.ofFile(out, start, have)};
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /**
     * /dev/null as a FileChannel: what the sender alone costs, with no peer and no page cache to
     * fill. It keeps nothing, so only the byte counts that transferTo reported are checked.
     */
    static final class DevNull extends Target {
        private final FileChannel out;

        DevNull() throws IOException {
            super("devnull");
            out = FileChannel.open(Paths.get("/dev/null"), StandardOpenOption.WRITE);
        }

        @Override
        WritableByteChannel channel() {
            return out;
        }

        @Override
        void expect(long bytes) {}

        @Override
        long[] arrived() {
            return null;
        }

        @Override
        long[] check(long[] arrived) {
            return null;
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
