package dev.zerocopy.compare;

import dev.zerocopy.Strategy;
import dev.zerocopy.TransferReport;
import dev.zerocopy.ZeroCopy;

import java.io.Closeable;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The receive view ({@code compare --receive}): the other direction, bytes from a socket, a pipe
 * or a file into a file by {@link ZeroCopy#transferFrom}. For a loopback TCP socket (127.0.0.1)
 * and a pipe, a sender thread writes the bytes from memory (a direct buffer) into the other end;
 * for a file, the source is a file in the page cache whose position is set to 0 before each
 * transfer. The receiving thread calls the cell's path until {@code size} bytes are in the target
 * file at position 0. Every path that applies to the source runs against the JDK's own
 * {@code FileChannel.transferFrom} and a naive 8 KiB stream copy (STREAM:
 * {@code Channels.newInputStream(src)} to a {@code FileOutputStream}), in the batches and turns of
 * {@link Compare#interleave}.
 *
 * <p>Timed, per transfer: from the moment the sender is told to send (streams) or the first call
 * (file) until the last byte is in the target file. Untimed, before each transfer: the target is
 * truncated to 0 (every transfer fills a fresh file, as a download or an upload does) and the
 * source file rewound; after each: the target's size and sampled CRC are checked, so a wrong fast
 * path cannot win.
 */
final class ReceiveView {
    private ReceiveView() {}

    static final List<String> SOURCES = Collections.unmodifiableList(Arrays.asList("socket", "pipe", "file"));
    /** The paths from a socket or a pipe. */
    static final List<String> STREAM_PATHS = Collections.unmodifiableList(
            Arrays.asList("AUTO", "SPLICE", "READ_WRITE", "JDK", "STREAM"));
    /** The paths from a file. */
    static final List<String> FILE_PATHS = Collections.unmodifiableList(
            Arrays.asList("AUTO", "COPY_FILE_RANGE", "SENDFILE", "MMAP", "READ_WRITE", "JDK", "STREAM"));

    /** The paths that apply to a source, AUTO first, then the native strategies, JDK and STREAM. */
    static List<String> paths(String source) {
        return source.equals("file") ? FILE_PATHS : STREAM_PATHS;
    }

    /** Measures every path from each of {@code names} at every size; returns a cell per source, size and path. */
    static List<Cell> measure(Path dir, List<String> names, List<Long> sizes, int nBatches, double batchSeconds)
            throws IOException {
        List<Cell> cells = new ArrayList<>();
        Path target = dir.resolve("received.bin");
        List<Source> sources = new ArrayList<>();
        try (Receiver receiver = new Receiver(target)) {
            try {
                for (String name : names) {
                    sources.add(name.equals("socket") ? new SocketSource() : name.equals("pipe") ? new PipeSource()
                            : new FileSource(dir.resolve("source.bin")));
                }
                int total = sizes.size() * sources.size();
                int done = 0;
                for (long size : sizes) {
                    byte[] data = Compare.source(dir.resolve("source.bin"), size); // also the file source
                    long crc = SampledCrc.of(data, data.length);
                    for (Source source : sources) {
                        source.load(data);
                    }
                    data = null; // the sources keep what they need: a direct buffer, or the file
                    for (Source source : sources) {
                        done++;
                        Compare.progress(done, total, "receive " + source.name + " " + Output.size(size));
                        cells.addAll(measure(source, receiver, size, crc, nBatches, batchSeconds));
                    }
                }
            } finally {
                for (Source source : sources) {
                    source.close();
                }
            }
        }
        return cells;
    }

    private static List<Cell> measure(Source source, Receiver receiver, long size, long crc, int nBatches,
            double batchSeconds) throws IOException {
        List<Cell> cells = new ArrayList<>();
        for (String p : paths(source.name)) {
            cells.add(new Cell(source.name, size, p));
        }
        Compare.interleave(cells, nBatches, batchSeconds,
            (cell, transfers, measured) -> receiver.batch(cell, source, size, crc, transfers, measured));
        return cells;
    }

    /**
     * The receiving side: the target file (a FileChannel for transferFrom and the checks, and a
     * FileOutputStream on the same file for STREAM) and the loop that runs a cell's path.
     */
    private static final class Receiver implements Closeable {
        private final FileChannel dst;
        private final FileOutputStream dstStream;
        private final TransferReport report = new TransferReport();
        private final byte[] buf = new byte[8192];
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

        Receiver(Path target) throws IOException {
            dst = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            dstStream = new FileOutputStream(target.toFile());
        }

        /**
         * A batch of {@code transfers} transfers of {@code size} bytes by the cell's path, each timed
         * alone (the truncation before and the check after are not), the wall times summed; a
         * measured batch adds its sample to the cell.
         */
        void batch(Cell cell, Source source, long size, long crc, int transfers, boolean measured)
                throws IOException {
            Strategy strategy = cell.path.equals("JDK") || cell.path.equals("STREAM") ? null
                    : Strategy.valueOf(cell.path);
            long wall = 0;
            long receiverCpu = 0;
            long calls = 0;
            long sender0 = source.senderCpuNanos();
            for (int i = 0; i < transfers; i++) {
                dst.truncate(0);
                dstStream.getChannel().position(0);
                source.rewind();
                long cpu0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                source.send(size);
                long c = receive(cell, strategy, source, size);
                long t1 = System.nanoTime();
                receiverCpu += threads.getCurrentThreadCpuTime() - cpu0;
                wall += t1 - t0;
                calls = c < 0 || calls < 0 ? -1 : calls + c;
                verify(cell, source, size, crc);
            }
            long sender = source.senderCpuNanos() - sender0;
            if (measured) {
                cell.add(cell.size * transfers, wall, receiverCpu + sender, receiverCpu, transfers, calls);
            }
        }

        /** One transfer of {@code size} bytes into the target at 0; the kernel calls reported, or -1. */
        private long receive(Cell cell, Strategy strategy, Source source, long size) throws IOException {
            ReadableByteChannel src = source.channel();
            if (strategy == null && cell.path.equals("STREAM")) {
                InputStream in = source.stream();
                for (long left = size; left > 0;) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw ended(cell, source, size - left, size);
                    }
                    dstStream.write(buf, 0, n);
                    left -= n;
                }
                return -1;
            }
            if (strategy == null) {
                for (long done = 0; done < size;) {
                    long n = dst.transferFrom(src, done, size - done);
                    if (n <= 0) {
                        throw ended(cell, source, done, size);
                    }
                    done += n;
                }
                return -1;
            }
            long calls = 0;
            for (long done = 0; done < size;) {
                long n = ZeroCopy.transferFrom(dst, src, done, size - done, strategy, report);
                if (n <= 0) {
                    throw ended(cell, source, done, size);
                }
                done += n;
                calls = report.syscalls() < 0 || calls < 0 ? -1 : calls + report.syscalls();
            }
            cell.ran = report.strategy().name();
            return calls;
        }

        private static IOException ended(Cell cell, Source source, long done, long size) {
            return new IOException(cell.path + " from " + source.name + ": the source gave nothing more after "
                    + done + " of " + size + " bytes" + source.failure());
        }

        /** The target holds the transfer whole and intact (size and sampled CRC), else fail the run. */
        private void verify(Cell cell, Source source, long size, long crc) throws IOException {
            long have = dst.size();
            long got = have == size ? SampledCrc.ofFile(dst, 0, size) : -1;
            if (have != size || got != crc) {
                throw new IOException(cell.path + " from " + source.name + " into a file: " + have + " of " + size
                        + " bytes" + (have == size ? ", with other content (sampled CRC differs)" : ""));
            }
        }

        @Override
        public void close() throws IOException {
            try {
                dstStream.close();
            } finally {
                dst.close();
            }
        }
    }

    /** Where the bytes come from: a stream a sender thread writes into, or a file. */
    private abstract static class Source implements Closeable {
        final String name;
        private InputStream stream;

        Source(String name) {
            this.name = name;
        }

        abstract ReadableByteChannel channel();

        /** The source as an InputStream (for STREAM): {@code Channels.newInputStream} of the channel. */
        InputStream stream() {
            if (stream == null) {
                stream = Channels.newInputStream(channel());
            }
            return stream;
        }

        /** Takes the bytes of the next size (untimed): a stream's sender keeps them in memory. */
        abstract void load(byte[] data) throws IOException;

        /** Before each transfer (untimed). */
        void rewind() throws IOException {}

        /** At the start of each transfer (timed): a stream's sender starts writing {@code size} bytes. */
        void send(long size) throws IOException {}

        /** CPU time of the sender thread, or 0 where there is none. */
        long senderCpuNanos() {
            return 0;
        }

        /** Why the source ended early, if its sender failed: ": ..." or empty. */
        String failure() {
            return "";
        }
    }

    /**
     * A stream whose other end a sender thread writes: on each {@link #send}, {@code size} bytes
     * from a direct buffer, by blocking writes until all are written.
     */
    private abstract static class StreamSource extends Source implements Runnable {
        private final BlockingQueue<Long> jobs = new ArrayBlockingQueue<>(4);
        private WritableByteChannel out;
        private Thread thread;
        private volatile ByteBuffer data;
        private volatile Exception failed;

        StreamSource(String name) {
            super(name);
        }

        /** Starts the sender on {@code out}. */
        void start(WritableByteChannel sink) {
            out = sink;
            thread = new Thread(this, name + "-sender");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        void load(byte[] bytes) {
            ByteBuffer b = data != null && data.capacity() >= bytes.length ? data : ByteBuffer.allocateDirect(bytes.length);
            b.clear();
            b.put(bytes);
            data = b;
        }

        @Override
        void send(long size) throws IOException {
            if (!jobs.offer(size)) {
                throw new IOException(name + ": the sender is behind");
            }
        }

        @Override
        public void run() {
            try {
                while (true) {
                    long size = jobs.take();
                    if (size < 0) {
                        return;
                    }
                    ByteBuffer b = data.duplicate();
                    b.position(0).limit((int) size);
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                }
            } catch (IOException | InterruptedException | RuntimeException e) {
                failed = e;
                try {
                    out.close(); // the receiver sees the end of the stream
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }

        @Override
        long senderCpuNanos() {
            return ManagementFactory.getThreadMXBean().getThreadCpuTime(thread.getId());
        }

        @Override
        String failure() {
            return failed == null ? "" : ": the sender failed: " + failed;
        }

        /** Stops the sender, then closes both ends. */
        void close(Closeable writing, Closeable reading) throws IOException {
            jobs.offer(-1L);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                writing.close();
            } finally {
                reading.close();
            }
        }
    }

    /** A loopback TCP connection (127.0.0.1): the sender writes one end (TCP_NODELAY), transferFrom reads the other. */
    private static final class SocketSource extends StreamSource {
        private final SocketChannel sending;
        private final SocketChannel receiving;

        SocketSource() throws IOException {
            super("socket");
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                sending = SocketChannel.open(server.getLocalAddress());
                // As in the transferTo view: a transfer's last, short segment is not held back by
                // Nagle until a delayed ACK, which would time TCP's timers, not the receiver.
                sending.setOption(StandardSocketOptions.TCP_NODELAY, true);
                receiving = server.accept();
            }
            start(sending);
        }

        @Override
        ReadableByteChannel channel() {
            return receiving;
        }

        @Override
        public void close() throws IOException {
            close(sending, receiving);
        }
    }

    /** A pipe: the sender writes its sink, transferFrom reads its source. */
    private static final class PipeSource extends StreamSource {
        private final Pipe pipe = Pipe.open();

        PipeSource() throws IOException {
            super("pipe");
            start(pipe.sink());
        }

        @Override
        ReadableByteChannel channel() {
            return pipe.source();
        }

        @Override
        public void close() throws IOException {
            close(pipe.sink(), pipe.source());
        }
    }

    /** A file in the page cache (written just before), rewound to position 0 before each transfer. */
    private static final class FileSource extends Source {
        private final Path path;
        private FileChannel channel;

        FileSource(Path path) {
            super("file");
            this.path = path;
        }

        /** The caller rewrote the file with {@code data} (the same file: the open channel sees it). */
        @Override
        void load(byte[] data) throws IOException {
            if (channel == null) {
                channel = FileChannel.open(path);
            }
            if (channel.size() != data.length) {
                throw new IOException("the source file has " + channel.size() + " bytes, not " + data.length);
            }
        }

        @Override
        ReadableByteChannel channel() {
            return channel;
        }

        @Override
        void rewind() throws IOException {
            channel.position(0);
        }

        @Override
        public void close() throws IOException {
            if (channel != null) {
                channel.close();
            }
            Files.deleteIfExists(path);
        }
    }

    /** The targets hold from this size up. */
    static final long CHECK_FROM = 1 << 20;

    /**
     * One of the view's targets for one source: AUTO's median GB/s over another path's, at every
     * size from {@link #CHECK_FROM} up, at least {@code threshold}.
     */
    static final class Check {
        final String source;
        /** The JSON key: auto_over_best_other or auto_over_jdk. */
        final String key;
        /** What the table says: "AUTO >= 0.95x the best other path". */
        final String text;
        final double threshold;
        final List<Long> sizes = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        /** The path AUTO was held against at each size. */
        final List<String> against = new ArrayList<>();

        Check(String source, String key, String text, double threshold) {
            this.source = source;
            this.key = key;
            this.text = text;
            this.threshold = threshold;
        }

        /** Null where no size from {@link #CHECK_FROM} up was measured. */
        Boolean met() {
            if (sizes.isEmpty()) {
                return null;
            }
            for (double r : ratios) {
                if (r < threshold) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The view's targets: from every source AUTO at least 0.95x the best other path; from a
     * socket at least 2x the JDK's transferFrom; from a file at least 1x the JDK's (the target is
     * JDK 25's).
     */
    static List<Check> checks(List<Cell> cells, List<String> sources, List<Long> sizes) {
        List<Check> checks = new ArrayList<>();
        for (String source : sources) {
            Check best = new Check(source, "auto_over_best_other", "AUTO >= 0.95x the best other path", 0.95);
            checks.add(best);
            Check jdk = source.equals("socket") ? new Check(source, "auto_over_jdk", "AUTO >= 2x JDK", 2.0)
                    : source.equals("file") ? new Check(source, "auto_over_jdk", "AUTO >= 1x JDK", 1.0) : null;
            if (jdk != null) {
                checks.add(jdk);
            }
            for (long size : sizes) {
                Cell auto = find(cells, source, size, "AUTO");
                if (size < CHECK_FROM || auto == null) {
                    continue;
                }
                Cell top = null;
                for (String p : paths(source)) {
                    Cell c = find(cells, source, size, p);
                    if (!p.equals("AUTO") && c != null && (top == null || c.median() > top.median())) {
                        top = c;
                    }
                }
                best.sizes.add(size);
                best.ratios.add(auto.median() / top.median());
                best.against.add(top.path);
                if (jdk != null) {
                    jdk.sizes.add(size);
                    jdk.ratios.add(auto.median() / find(cells, source, size, "JDK").median());
                    jdk.against.add("JDK");
                }
            }
        }
        return checks;
    }

    static Cell find(List<Cell> cells, String source, long size, String path) {
        for (Cell c : cells) {
            if (c.target.equals(source) && c.size == size && c.path.equals(path)) {
                return c;
            }
        }
        return null;
    }

    /** How a transfer is timed, for the table. */
    static final String TIMING = "Timed per transfer: from the sender's start (a file: the first call) to the last"
            + " byte in the target file at position 0; the target truncated to 0 and the source file rewound before"
            + " each transfer, untimed.";
}
