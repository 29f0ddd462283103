package dev.zerocopy.jmh;

import dev.zerocopy.Strategy;
import dev.zerocopy.ZeroCopy;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
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
 * One transfer of a whole file per operation, by each path: ZeroCopy.transferTo per strategy,
 * FileChannel.transferTo (JDK) and an 8 KiB stream copy (STREAM), to a loopback socket whose
 * peer drains it (TCP_NODELAY), a pipe whose reading end a thread drains, a file (rewritten from
 * offset 0) or /dev/null (a FileChannel). The time is the sender's: until the bytes are handed to
 * the kernel. At size 4096 the score is the time of one 4 KiB call:
 * {@code gradle jmh -PjmhArgs='-p size=4096 -p target=devnull -tu ns'}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TransferBenchmark {
    @Param({"4096", "1048576", "67108864"})
    public int size;

    @Param({"socket", "file", "pipe", "devnull"})
    public String target;

    @Param({"AUTO", "SENDFILE", "MMAP", "READ_WRITE", "JDK", "STREAM"})
    public String path;

    private Path dir;
    private FileChannel src;
    private FileInputStream stream;
    private WritableByteChannel out;
    private FileChannel outFile;
    private OutputStream outStream;
    private ReadableByteChannel peer;
    private Thread drainer;
    private Strategy strategy;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("zerocopy-jmh");
        Path file = Fixtures.sourceIn(dir, "source", size);
        src = FileChannel.open(file);
        stream = new FileInputStream(file.toFile());
        switch (target) {
            case "socket":
                SocketChannel[] pair = Fixtures.loopback();
                out = pair[0];
                drain(pair[1]);
                break;
            case "pipe":
                Pipe pipe = Pipe.open();
                out = pipe.sink();
                drain(pipe.source());
                break;
            case "file":
                outFile = FileChannel.open(dir.resolve("target"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                out = outFile;
                break;
            case "devnull":
                out = FileChannel.open(Paths.get("/dev/null"), StandardOpenOption.WRITE);
                break;
            default:
                throw new IllegalArgumentException("unknown target " + target);
        }
        outStream = Channels.newOutputStream(out);
        strategy = path.equals("JDK") || path.equals("STREAM") ? null : Strategy.valueOf(path);
    }

    private void drain(ReadableByteChannel in) {
        peer = in;
        drainer = Fixtures.drain(in);
    }

    @Benchmark
    public long transfer() throws IOException {
        if (outFile != null) {
            outFile.position(0);
        }
        long done = 0;
        if (strategy != null) {
            while (done < size) {
                done += ZeroCopy.transferTo(src, done, size - done, out, strategy);
            }
        } else if (path.equals("JDK")) {
            while (done < size) {
                done += src.transferTo(done, size - done, out);
            }
        } else {
            stream.getChannel().position(0);
            done = copy(stream, outStream, size);
        }
        return done;
    }

    private static long copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buf = new byte[8192];
        long total = 0;
        for (int n; total < size && (n = in.read(buf)) > 0; total += n) {
            out.write(buf, 0, n);
        }
        return total;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException, InterruptedException {
        out.close();
        if (peer != null) {
            drainer.join(10_000);
            peer.close();
        }
        src.close();
        stream.close();
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
