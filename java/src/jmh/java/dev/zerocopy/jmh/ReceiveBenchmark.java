package dev.zerocopy.jmh;

import dev.zerocopy.Strategy;
import dev.zerocopy.ZeroCopy;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One transfer of {@code size} bytes into a file per operation, by {@link ZeroCopy#transferFrom}
 * per strategy or the JDK's own {@code FileChannel.transferFrom}: from a loopback TCP socket
 * (127.0.0.1) and from a pipe, whose other end a sender thread writes from memory (a direct
 * buffer), and from a file in the page cache. An operation runs from the sender's start (a file:
 * the first call) until the last byte is in the target file at position 0. Before each operation,
 * outside the time (a {@code Level.Invocation} setup), the target is truncated to 0 and the
 * source file rewound; after each iteration the target's bytes are compared with the source's.
 *
 * <p>{@code path}: AUTO; {@code SPLICE/COPY_FILE_RANGE}, the kernel path that applies (SPLICE
 * from a socket or pipe, COPY_FILE_RANGE from a file); READ_WRITE; JDK. Any other strategy name
 * (SENDFILE, MMAP from a file) and STREAM (an 8 KiB stream copy,
 * {@code Channels.newInputStream(src)} to a FileOutputStream) run when asked for; a strategy that
 * cannot apply to the source fails its setup. The compare program's {@code --receive} view
 * measures the same, interleaved and checked.
 * {@code gradle jmh -PjmhArgs='ReceiveBenchmark -p source=socket -p size=1048576'}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ReceiveBenchmark {
    /** The {@code path} value for the kernel path of the source. */
    static final String KERNEL = "SPLICE/COPY_FILE_RANGE";

    @Param({"socket", "pipe", "file"})
    public String source;

    @Param({"65536", "1048576", "16777216"})
    public int size;

    @Param({"AUTO", KERNEL, "READ_WRITE", "JDK"})
    public String path;

    private Path dir;
    private byte[] data;
    private FileChannel dst;
    private FileOutputStream dstStream;
    private ReadableByteChannel src;
    private FileChannel srcFile;
    private InputStream srcStream;
    private Sender sender;
    private Strategy strategy;
    private final byte[] buf = new byte[8192];

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("zerocopy-jmh");
        Path file = Fixtures.sourceIn(dir, "source", size);
        data = Files.readAllBytes(file);
        Path target = dir.resolve("target");
        dst = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        dstStream = new FileOutputStream(target.toFile());
        switch (source) {
            case "socket":
                SocketChannel[] pair = Fixtures.loopback();
                src = pair[1];
                sender = new Sender(pair[0], data, pair[1]);
                break;
            case "pipe":
                Pipe pipe = Pipe.open();
                src = pipe.source();
                sender = new Sender(pipe.sink(), data, pipe.source());
                break;
            case "file":
                srcFile = FileChannel.open(file);
                src = srcFile;
                break;
            default:
                throw new IllegalArgumentException("unknown source " + source);
        }
        srcStream = Channels.newInputStream(src);
        boolean stream = srcFile == null;
        switch (path) {
            case KERNEL:
                strategy = stream ? Strategy.SPLICE : Strategy.COPY_FILE_RANGE;
                break;
            case "JDK":
            case "STREAM":
                strategy = null;
                break;
            default:
                strategy = Strategy.valueOf(path);
                boolean applies = strategy == Strategy.AUTO || strategy == Strategy.READ_WRITE
                        || (stream ? strategy == Strategy.SPLICE : strategy != Strategy.SPLICE);
                if (!applies) {
                    throw new IllegalArgumentException(path + " does not apply to a " + source + " source");
                }
        }
    }

    /** Outside the time: a fresh target at position 0, the source file at 0. */
    @Setup(Level.Invocation)
    public void truncate() throws IOException {
        dst.truncate(0);
        dstStream.getChannel().position(0);
        if (srcFile != null) {
            srcFile.position(0);
        }
    }

    @Benchmark
    public long receive() throws IOException {
        if (sender != null) {
            sender.send(size);
        }
        long done = 0;
        if (strategy != null) {
            while (done < size) {
                done += ended(ZeroCopy.transferFrom(dst, src, done, size - done, strategy), done);
            }
        } else if (path.equals("JDK")) {
            while (done < size) {
                done += ended(dst.transferFrom(src, done, size - done), done);
            }
        } else {
            while (done < size) {
                int n = srcStream.read(buf, 0, (int) Math.min(buf.length, size - done));
                dstStream.write(buf, 0, (int) ended(n, done));
                done += n;
            }
        }
        return done;
    }

    private long ended(long n, long done) throws IOException {
        if (n <= 0) {
            throw new IOException(path + " from " + source + ": the source gave nothing more after " + done + " of "
                    + size + " bytes" + (sender == null || sender.failed == null ? "" : ": " + sender.failed));
        }
        return n;
    }

    /** The last transfer of the iteration left the source's bytes in the target, whole. */
    @TearDown(Level.Iteration)
    public void check() throws IOException {
        if (dst.size() != size) {
            throw new IOException(path + " from " + source + ": the target has " + dst.size() + " of " + size + " bytes");
        }
        ByteBuffer got = ByteBuffer.allocate(size);
        while (got.hasRemaining() && dst.read(got, got.position()) > 0) {
            continue; // until the whole target is read
        }
        if (!Arrays.equals(got.array(), data)) {
            throw new IOException(path + " from " + source + ": the target's bytes differ from the source's");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (sender != null) {
            sender.close();
        } else {
            srcFile.close();
        }
        dstStream.close();
        dst.close();
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** A thread that writes {@code size} bytes of the data into a channel on each {@link #send}, as a peer would. */
    static final class Sender implements Runnable {
        private final WritableByteChannel out;
        private final ReadableByteChannel in;
        private final ByteBuffer data;
        private final BlockingQueue<Integer> jobs = new ArrayBlockingQueue<>(4);
        private final Thread thread;
        volatile Exception failed;

        Sender(WritableByteChannel out, byte[] bytes, ReadableByteChannel in) {
            this.out = out;
            this.in = in;
            data = ByteBuffer.allocateDirect(bytes.length);
            data.put(bytes);
            thread = new Thread(this, "sender");
            thread.setDaemon(true);
            thread.start();
        }

        void send(int size) throws IOException {
            if (!jobs.offer(size)) {
                throw new IOException("the sender is behind");
            }
        }

        @Override
        public void run() {
            try {
                while (true) {
                    int size = jobs.take();
                    if (size < 0) {
                        return;
                    }
                    ByteBuffer b = data.duplicate();
                    b.clear();
                    b.limit(size);
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

        void close() throws IOException {
            jobs.offer(-1);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                out.close();
            } finally {
                in.close();
            }
        }
    }
}
