package dev.zerocopy.jmh;

import dev.zerocopy.Strategy;
import dev.zerocopy.ZeroCopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
 * One response per operation: a 200-byte heap header, then a body of {@code size} bytes from a
 * file, to a loopback socket (127.0.0.1, TCP_NODELAY) whose peer a thread drains. ZeroCopy.sendFile
 * by each native strategy against what Java code writes by hand: {@code write(header)} then
 * {@code transferTo}, and {@code read} of the body then a gathering {@code write} of header and
 * body. The time is the sender's: until the response is handed to the kernel. The compare
 * program's {@code --responses} view measures the same, interleaved and checked.
 * {@code gradle jmh -PjmhArgs='ResponseBenchmark -p size=4096'}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ResponseBenchmark {
    static final int HEADER_BYTES = 200;

    @Param({"1024", "4096", "16384", "65536", "1048576"})
    public int size;

    private Path dir;
    private FileChannel file;
    private SocketChannel socket;
    private SocketChannel peer;
    private Thread drainer;
    private ByteBuffer header;
    private ByteBuffer body;
    private ByteBuffer[] headerOnly;
    private ByteBuffer[] headerAndBody;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("zerocopy-jmh");
        file = FileChannel.open(Fixtures.sourceIn(dir, "body", size));
        SocketChannel[] pair = Fixtures.loopback();
        socket = pair[0];
        peer = pair[1];
        drainer = Fixtures.drain(peer);
        byte[] head = new byte[HEADER_BYTES];
        Arrays.fill(head, (byte) 'h');
        header = ByteBuffer.wrap(head);
        body = ByteBuffer.allocate(size);
        headerOnly = new ByteBuffer[] {header};
        headerAndBody = new ByteBuffer[] {header, body};
    }

    private long sendFile(Strategy strategy) throws IOException {
        header.rewind();
        return ZeroCopy.sendFile(socket, headerOnly, file, 0, size, null, strategy);
    }

    @Benchmark
    public long auto() throws IOException {
        return sendFile(Strategy.AUTO);
    }

    @Benchmark
    public long sendfile() throws IOException {
        return sendFile(Strategy.SENDFILE);
    }

    @Benchmark
    public long mmap() throws IOException {
        return sendFile(Strategy.MMAP);
    }

    @Benchmark
    public long readWrite() throws IOException {
        return sendFile(Strategy.READ_WRITE);
    }

    /** {@code socket.write(header)}, then {@code file.transferTo} until the body is written. */
    @Benchmark
    public long writeTransferTo() throws IOException {
        header.rewind();
        long head = 0;
        while (header.hasRemaining()) {
            head += socket.write(header);
        }
        long sent = 0;
        while (sent < size) {
            sent += file.transferTo(sent, size - sent, socket);
        }
        return head + sent;
    }

    /** {@code file.read} of the body into a heap buffer, then gathering writes of header and body. */
    @Benchmark
    public long readGather() throws IOException {
        header.rewind();
        body.clear();
        while (body.hasRemaining()) {
            if (file.read(body, body.position()) < 0) {
                throw new IOException("the file ended early");
            }
        }
        body.flip();
        long done = 0;
        while (body.hasRemaining()) {
            done += socket.write(headerAndBody);
        }
        return done;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException, InterruptedException {
        socket.close();
        drainer.join(10_000);
        peer.close();
        file.close();
        Files.delete(dir.resolve("body"));
        Files.delete(dir);
    }
}
