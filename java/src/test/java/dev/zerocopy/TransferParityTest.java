package dev.zerocopy;

import static dev.zerocopy.Fixtures.drain;
import static dev.zerocopy.Fixtures.get;
import static dev.zerocopy.Fixtures.pattern;
import static dev.zerocopy.Fixtures.slice;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Future;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * The same scenario through FileChannel.transferTo and through ZeroCopy.transferTo with each
 * native strategy: return values, target bytes, positions and exception classes must agree.
 */
@RunWith(Parameterized.class)
public class TransferParityTest {
    @Parameters(name = "{0}")
    public static List<Object[]> data() {
        return Fixtures.strategies();
    }

    @Parameter
    public Strategy strategy;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    interface Transfer {
        long run(FileChannel src, long position, long count, WritableByteChannel target) throws IOException;
    }

    private final Transfer jdk = (src, p, c, t) -> src.transferTo(p, c, t);

    private Transfer ours() {
        return (src, p, c, t) -> ZeroCopy.transferTo(src, p, c, t, strategy);
    }

    /** What a transfer to a file did: its result or exception class, the file, both positions. */
    static final class Outcome {
        final Object result;
        final byte[] target;
        final long sourcePosition;
        final long targetPosition;

        Outcome(Object result, byte[] target, long sourcePosition, long targetPosition) {
            this.result = result;
            this.target = target;
            this.sourcePosition = sourcePosition;
            this.targetPosition = targetPosition;
        }

        @Override
        public boolean equals(Object o) {
            Outcome other = (Outcome) o;
            return result.equals(other.result) && Arrays.equals(target, other.target)
                    && sourcePosition == other.sourcePosition && targetPosition == other.targetPosition;
        }

        @Override
        public int hashCode() {
            return result.hashCode();
        }

        @Override
        public String toString() {
            return result + ", target " + target.length + " bytes, positions " + sourcePosition + "/" + targetPosition;
        }
    }

    private Outcome toFile(byte[] data, long position, long count, boolean append, Transfer t) throws IOException {
        Path src = Fixtures.file(tmp, data);
        Path dst = Fixtures.file(tmp, "0123456789".getBytes("US-ASCII"));
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
                FileChannel out = append
                        ? FileChannel.open(dst, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                        : FileChannel.open(dst, StandardOpenOption.WRITE)) {
            in.position(3);
            out.position(4);
            Object result;
            try {
                result = t.run(in, position, count, out);
            } catch (Exception e) {
                result = e.getClass();
            }
            return new Outcome(result, Files.readAllBytes(dst), in.position(), out.position());
        }
    }

    @Test
    public void fileTargetOverSmallOffsetsAndCounts() throws IOException {
        for (boolean append : new boolean[] {false, true}) {
            for (int size : new int[] {0, 1, 7, 4099}) {
                byte[] data = pattern(size, size + 7);
                long[] positions = {0, 1, size / 2, size - 1, size, size + 1, size + 4096, Long.MAX_VALUE, -1};
                long[] counts = {0, 1, 2, size, size + 5, Long.MAX_VALUE, -1};
                for (long p : positions) {
                    for (long c : counts) {
                        String what = strategy + (append ? " append" : "") + " size " + size + " position " + p
                                + " count " + c;
                        Outcome want = toFile(data, p, c, append, jdk);
                        Outcome got = toFile(data, p, c, append, ours());
                        if (append && strategy == Strategy.SENDFILE && want.result instanceof Long
                                && (Long) want.result > 0) {
                            // sendfile(2) cannot append: an explicit SENDFILE says so where bytes would
                            // move, never runs another path. Where none would, it returns 0 as the JDK does.
                            assertEquals(what, UnsupportedOperationException.class, got.result);
                            continue;
                        }
                        assertEquals(what, want, got);
                    }
                }
            }
        }
    }

    @Test
    public void sameChannelAsSourceAndTarget() throws IOException {
        byte[] data = pattern(10_000, 3);
        Outcome[] outcomes = new Outcome[2];
        Transfer[] transfers = {jdk, ours()};
        for (int i = 0; i < 2; i++) {
            Path p = Fixtures.file(tmp, data);
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
                FileChannel ch = raf.getChannel();
                ch.position(10_000);
                long n = transfers[i].run(ch, 100, 5_000, ch);
                outcomes[i] = new Outcome(n, Files.readAllBytes(p), ch.position(), ch.position());
            }
        }
        assertEquals(outcomes[0], outcomes[1]);
        assertEquals(5_000L, outcomes[1].result);
    }

    @Test
    public void blockingSocket() throws Exception {
        byte[] data = pattern((1 << 20) + 13, 11);
        Path src = Fixtures.file(tmp, data);
        for (long[] pc : new long[][] {{0, data.length}, {4093, Long.MAX_VALUE}, {5, 100}, {data.length, 9}}) {
            SocketChannel[] pair = Fixtures.socketPair();
            Future<byte[]> got = drain(pair[1]);
            long n;
            try (FileChannel in = FileChannel.open(src)) {
                n = ZeroCopy.transferTo(in, pc[0], pc[1], pair[0], strategy);
                assertEquals(0, in.position());
            } finally {
                pair[0].close();
            }
            long want = Math.max(0, Math.min(pc[1], data.length - pc[0]));
            assertEquals(want, n);
            assertArrayEquals(slice(data, Math.min(pc[0], data.length), want), get(got));
        }
    }

    @Test
    public void nonBlockingSocketCongestedThenResumed() throws Exception {
        byte[] data = pattern(32 << 20, 5);
        Path src = Fixtures.file(tmp, data);
        SocketChannel[] pair = Fixtures.socketPair();
        SocketChannel out = pair[0];
        try (FileChannel in = FileChannel.open(src)) {
            out.configureBlocking(false);
            long first = ZeroCopy.transferTo(in, 0, data.length, out, strategy);
            assertTrue("partial count " + first, first > 0 && first < data.length);
            // ACKs arriving meanwhile may free a little room for a few more bytes, then 0.
            long done = first;
            long n = -1;
            for (int calls = 0; calls < 50 && n != 0; calls++) {
                n = ZeroCopy.transferTo(in, done, data.length - done, out, strategy);
                done += n;
            }
            assertEquals("a full socket keeps taking bytes", 0, n);
            assertTrue(done < data.length);
            Future<byte[]> got = drain(pair[1]);
            while (done < data.length) {
                done += ZeroCopy.transferTo(in, done, data.length - done, out, strategy);
            }
            out.close(); // the peer's end of stream
            assertArrayEquals(data, get(got));
        } finally {
            out.close();
        }
    }

    @Test
    public void pipeSink() throws Exception {
        byte[] data = pattern(300_000, 8);
        Path src = Fixtures.file(tmp, data);
        Pipe pipe = Pipe.open();
        Future<byte[]> got = drain(pipe.source());
        try (FileChannel in = FileChannel.open(src); Pipe.SinkChannel sink = pipe.sink()) {
            assertEquals(data.length - 1000, ZeroCopy.transferTo(in, 1000, Long.MAX_VALUE, sink, strategy));
        }
        assertArrayEquals(slice(data, 1000, data.length - 1000), get(got));
    }

    /** JDK 21+ copy a file that reports size 0 (/proc) to its end; JDK 17 returns 0. */
    @Test
    public void procFileCopiedToItsEnd() throws IOException {
        byte[] want = Files.readAllBytes(Paths.get("/proc/version"));
        Path dst = tmp.newFile().toPath();
        try (FileChannel in = FileChannel.open(Paths.get("/proc/version"));
                FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            if (strategy == Strategy.MMAP) {
                try {
                    ZeroCopy.transferTo(in, 0, 1 << 20, out, strategy);
                    fail("MMAP cannot map a file without a size");
                } catch (UnsupportedOperationException expected) {
                    assertTrue(expected.getMessage(), expected.getMessage().contains("size 0"));
                }
                return;
            }
            assertEquals(want.length, ZeroCopy.transferTo(in, 0, 1 << 20, out, strategy));
        }
        assertArrayEquals(want, Files.readAllBytes(dst));
    }

    @Test
    public void sparseFilePast4GiB() throws IOException {
        Path p = tmp.newFile().toPath();
        long at = (4L << 30) + 10;
        byte[] mark = pattern(100, 99);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(5L << 30);
            raf.seek(at);
            raf.write(mark);
        }
        Path dst = tmp.newFile().toPath();
        try (FileChannel in = FileChannel.open(p); FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            assertEquals(120, ZeroCopy.transferTo(in, at - 10, 120, out, strategy));
            assertEquals(0, ZeroCopy.transferTo(in, (5L << 30) + 1, 10, out, strategy));
        }
        byte[] got = Files.readAllBytes(dst);
        assertArrayEquals(new byte[10], slice(got, 0, 10));
        assertArrayEquals(mark, slice(got, 10, 100));
    }

    /** A channel without a file descriptor: AUTO hands it to the JDK, an explicit strategy refuses. */
    @Test
    public void userWritableByteChannel() throws IOException {
        byte[] data = pattern(20_000, 4);
        Path src = Fixtures.file(tmp, data);
        final java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
        WritableByteChannel user = new WritableByteChannel() {
            private boolean open = true;

            @Override
            public int write(ByteBuffer b) {
                int n = Math.min(b.remaining(), 5000);
                byte[] chunk = new byte[n];
                b.get(chunk);
                sink.write(chunk, 0, n);
                return n;
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
        try (FileChannel in = FileChannel.open(src)) {
            if (strategy == Strategy.AUTO) {
                TransferReport report = new TransferReport();
                // The JDK's loop for other channels stops at the first short write (5000 of 8192).
                assertEquals(5000, ZeroCopy.transferTo(in, 0, data.length, user, strategy, report));
                assertEquals(Strategy.JDK, report.strategy());
                assertArrayEquals(slice(data, 0, 5000), sink.toByteArray());
            } else {
                try {
                    ZeroCopy.transferTo(in, 0, data.length, user, strategy);
                    fail("an explicit native strategy ran on a channel without a descriptor");
                } catch (UnsupportedOperationException expected) {
                    assertTrue(expected.getMessage(), expected.getMessage().contains("not a JDK FileChannel, SocketChannel"));
                    assertEquals(0, sink.size());
                }
            }
        }
    }

    @Test
    public void reportSaysWhatRan() throws Exception {
        byte[] data = pattern(100_000, 1);
        Path src = Fixtures.file(tmp, data);
        SocketChannel[] pair = Fixtures.socketPair();
        Future<byte[]> got = drain(pair[1]);
        TransferReport report = new TransferReport();
        try (FileChannel in = FileChannel.open(src); SocketChannel out = pair[0]) {
            assertEquals(data.length, ZeroCopy.transferTo(in, 0, data.length, out, strategy, report));
        }
        get(got);
        assertEquals(data.length, report.bytes());
        assertEquals(strategy == Strategy.AUTO ? Strategy.SENDFILE : strategy, report.strategy());
        // At least: sendfile (nothing else: the socket's kind comes from its class, the source's
        // end stops sendfile by itself); fstat(source) + pread + send; fstat + mmap + write + munmap.
        int least = strategy == Strategy.READ_WRITE ? 3 : strategy == Strategy.MMAP ? 4 : 1;
        assertTrue(report.toString(), report.syscalls() >= least);
        // This JDK has the members the native path registers with (JdkChannels).
        assertTrue("the channels' close protocol was not joined", report.registered());
    }
}
