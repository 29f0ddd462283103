package dev.zerocopy;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * ZeroCopy.sendFile: the exact bytes (header, body, trailer) at the receiver over every strategy,
 * the buffers' positions, the clamps, a non-blocking target resumed to the end, a peer reset,
 * and the checks in the JDK's order.
 */
@RunWith(Parameterized.class)
public class SendFileTest {
    @Parameters(name = "{0}")
    public static List<Object[]> data() {
        return Fixtures.strategiesAndJdk();
    }

    @Parameter
    public Strategy strategy;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final byte[] HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Header and trailer shapes: none, empty, one heap buffer, and a mix of every kind of buffer. */
    private static List<ByteBuffer[]> shapes(byte[] bytes) {
        int third = bytes.length / 3;
        ByteBuffer direct = ByteBuffer.allocateDirect(third + 5);
        direct.position(5);
        direct.put(bytes, 0, third);
        direct.position(5);
        byte[] padded = new byte[bytes.length + 9];
        System.arraycopy(bytes, third, padded, 4, bytes.length - 2 * third);
        ByteBuffer sliced = ByteBuffer.wrap(padded, 2, padded.length - 2).slice();
        sliced.position(2).limit(2 + bytes.length - 2 * third);
        ByteBuffer readOnly = ByteBuffer.wrap(Arrays.copyOfRange(bytes, bytes.length - third, bytes.length))
                .asReadOnlyBuffer();
        return Arrays.asList(
                null,
                new ByteBuffer[0],
                new ByteBuffer[] {ByteBuffer.wrap(bytes.clone())},
                new ByteBuffer[] {ByteBuffer.allocate(0), direct, sliced, ByteBuffer.allocateDirect(0), readOnly});
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    private static void assertConsumed(ByteBuffer[] buffers) {
        if (buffers != null) {
            for (ByteBuffer b : buffers) {
                assertFalse("a buffer was not consumed", b.hasRemaining());
            }
        }
    }

    @Test
    public void exactBytesForEveryShapeAndClamp() throws Exception {
        byte[] trailerBytes = "\r\n--end--\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int size : new int[] {0, 1, 4096, 16 * 1024 + 1, 64 * 1024, (1 << 20) + 7}) {
            byte[] data = Fixtures.pattern(size, size + 3);
            Path path = Fixtures.file(tmp, data);
            long[][] regions = {{0, size}, {7, 100}, {0, Long.MAX_VALUE}, {size - 3, 10}, {size, 5},
                    {size + 10L, 5}, {0, 0}};
            for (long[] region : regions) {
                if (region[0] < 0) {
                    continue;
                }
                for (int shape = 0; shape < 4; shape++) {
                    ByteBuffer[] header = shapes(HEAD).get(shape);
                    ByteBuffer[] trailer = shapes(trailerBytes).get(3 - shape);
                    long from = Math.min(region[0], size);
                    long body = Math.max(0, Math.min(region[1], size - from));
                    byte[] expected = concat(shape < 2 ? new byte[0] : HEAD, Fixtures.slice(data, from, body),
                            shape > 1 ? new byte[0] : trailerBytes);
                    String what = strategy + " size " + size + " region " + Arrays.toString(region) + " shape "
                            + shape;
                    try (FileChannel file = FileChannel.open(path)) {
                        file.position(3);
                        SocketChannel[] pair = Fixtures.socketPair();
                        Future<byte[]> got = Fixtures.drain(pair[1]);
                        long n;
                        try (SocketChannel target = pair[0]) {
                            n = ZeroCopy.sendFile(target, header, file, region[0], region[1], trailer, strategy);
                        }
                        assertEquals(what, expected.length, n);
                        assertArrayEquals(what, expected, Fixtures.get(got));
                        assertConsumed(header);
                        assertConsumed(trailer);
                        assertEquals(what + ": the file's position moved", 3, file.position());
                    }
                }
            }
        }
    }

    @Test
    public void pipeAndFileTargets() throws Exception {
        byte[] data = Fixtures.pattern(100_000, 11);
        Path path = Fixtures.file(tmp, data);
        byte[] expected = concat(HEAD, Fixtures.slice(data, 10, 99_000), HEAD);
        try (FileChannel file = FileChannel.open(path)) {
            Pipe pipe = Pipe.open();
            Future<byte[]> got = Fixtures.drain(pipe.source());
            try (WritableByteChannel sink = pipe.sink()) {
                long n = ZeroCopy.sendFile(sink, new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, file, 10, 99_000,
                        new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, strategy);
                assertEquals(expected.length, n);
            }
            assertArrayEquals(expected, Fixtures.get(got));

            Path out = tmp.newFile().toPath();
            try (FileChannel target = FileChannel.open(out, StandardOpenOption.WRITE)) {
                target.position(0);
                long n = ZeroCopy.sendFile(target, new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, file, 10, 99_000,
                        new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, strategy);
                assertEquals(expected.length, n);
                assertEquals(expected.length, target.position());
            }
            assertArrayEquals(expected, Files.readAllBytes(out));
        }
    }

    /** A congested non-blocking socket, resumed from the buffers and the body count to the end. */
    @Test
    public void nonBlockingTargetResumesToTheEnd() throws Exception {
        int size = 8 << 20;
        byte[] data = Fixtures.pattern(size, 5);
        Path path = Fixtures.file(tmp, data);
        byte[] trailerBytes = Fixtures.pattern(70_000, 9);
        byte[] headBytes = Fixtures.pattern(50_000, 8);
        byte[] expected = concat(headBytes, data, trailerBytes);
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel file = FileChannel.open(path); SocketChannel target = pair[0]) {
            target.configureBlocking(false);
            target.setOption(StandardSocketOptions.SO_SNDBUF, 16 * 1024);
            ByteBuffer[] header = {ByteBuffer.wrap(headBytes, 0, 20_000), ByteBuffer.wrap(headBytes, 20_000, 30_000)};
            ByteBuffer[] trailer = {ByteBuffer.wrap(trailerBytes)};
            long position = 0;
            long total = 0;
            int zeros = 0;
            int calls = 0;
            Future<byte[]> got = null;
            while (total < expected.length) {
                long around = Responses.remaining(header) + Responses.remaining(trailer);
                long n = ZeroCopy.sendFile(target, header, file, position, size - position, trailer, strategy);
                calls++;
                long body = n - (around - Responses.remaining(header) - Responses.remaining(trailer));
                assertTrue("body " + body, body >= 0 && body <= size - position);
                position += body;
                total += n;
                if (n == 0) {
                    zeros++;
                }
                if (got == null && calls == 3) {
                    got = Fixtures.drain(pair[1]); // the peer starts reading late
                }
                if (got != null && n == 0) {
                    Thread.sleep(1);
                }
            }
            assertTrue("the target was never full: " + calls + " calls", calls > 3 && zeros > 0);
            assertEquals(expected.length, total);
            target.close();
            assertArrayEquals(expected, Fixtures.get(got));
        }
    }

    @Test
    public void peerResetIsAnIOException() throws Exception {
        Path path = Fixtures.file(tmp, Fixtures.pattern(32 << 20, 2));
        SocketChannel[] pair = Fixtures.socketPair();
        pair[1].setOption(StandardSocketOptions.SO_LINGER, 0);
        pair[1].close(); // RST
        Thread.sleep(50);
        try (FileChannel file = FileChannel.open(path); SocketChannel target = pair[0]) {
            try {
                for (int i = 0; i < 4; i++) {
                    ZeroCopy.sendFile(target, new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, file, 0, 32 << 20, null,
                            strategy);
                }
                fail("no error from a reset peer");
            } catch (IOException e) {
                assertEquals(IOException.class, e.getClass());
            }
        }
    }

    /** Each check before any byte is written (the usual pattern, JDK, writes the header first). */
    @Test
    public void checksInTheJdkOrder() throws Exception {
        if (strategy == Strategy.JDK) {
            return;
        }
        Path path = Fixtures.file(tmp, Fixtures.pattern(1000, 1));
        ByteBuffer[] header = {ByteBuffer.wrap(HEAD)};
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel file = FileChannel.open(path); SocketChannel target = pair[0]; SocketChannel peer = pair[1]) {
            expect(NullPointerException.class, () -> ZeroCopy.sendFile(null, header, file, 0, 1, null, strategy));
            expect(NullPointerException.class, () -> ZeroCopy.sendFile(target, new ByteBuffer[] {null}, file, 0, 1,
                    null, strategy));
            expect(IllegalArgumentException.class, () -> ZeroCopy.sendFile(target, header, file, -1, 1, null,
                    strategy));
            expect(IllegalArgumentException.class, () -> ZeroCopy.sendFile(target, header, file, 0, -1, null,
                    strategy));
            try (FileChannel writeOnly = FileChannel.open(path, StandardOpenOption.WRITE)) {
                expect(NonReadableChannelException.class, () -> ZeroCopy.sendFile(target, header, writeOnly, 0, 1,
                        null, strategy));
            }
            try (SocketChannel unconnected = SocketChannel.open()) {
                expect(NotYetConnectedException.class, () -> ZeroCopy.sendFile(unconnected, header, file, 0, 1, null,
                        strategy));
            }
            assertEquals("nothing was written", HEAD.length, header[0].remaining());
        }
        FileChannel closed = FileChannel.open(path);
        closed.close();
        try (SocketChannel target = Fixtures.socketPair()[0]) {
            expect(ClosedChannelException.class, () -> ZeroCopy.sendFile(target, header, closed, 0, 1, null,
                    strategy));
        }
    }

    @Test
    public void interruptClosesBothChannels() throws Exception {
        Path path = Fixtures.file(tmp, Fixtures.pattern(1000, 1));
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel file = FileChannel.open(path); SocketChannel target = pair[0]; SocketChannel peer = pair[1]) {
            Thread.currentThread().interrupt();
            try {
                ZeroCopy.sendFile(target, new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, file, 0, 1000, null, strategy);
                fail("no ClosedByInterruptException");
            } catch (ClosedByInterruptException e) {
                assertTrue(Thread.interrupted());
            }
            assertFalse(target.isOpen());
            if (strategy != Strategy.JDK) {
                assertFalse("JDK 25 closes the source too", file.isOpen());
            }
        }
    }

    /**
     * A header held back for the body (MSG_MORE) when no body follows (a position at the end of the
     * file, with a count that would have made the body large): the call returns the header's count
     * and the peer gets the header while the connection stays open. (That it leaves at once, not
     * after the kernel's 200 ms cork timer, is checked in rust/send_file.rs with SIOCOUTQNSD.)
     */
    @Test
    public void aHeldHeaderLeavesWhenNoBodyFollows() throws Exception {
        int size = 50_000;
        Path path = Fixtures.file(tmp, Fixtures.pattern(size, 3));
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel file = FileChannel.open(path); SocketChannel target = pair[0]; SocketChannel peer = pair[1]) {
            target.setOption(StandardSocketOptions.TCP_NODELAY, true);
            long n = ZeroCopy.sendFile(target, new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, file, size, 100_000, null,
                    strategy);
            assertEquals(HEAD.length, n);
            peer.socket().setSoTimeout(2000);
            byte[] got = new byte[HEAD.length];
            java.io.InputStream in = peer.socket().getInputStream();
            for (int off = 0; off < got.length;) {
                int k = in.read(got, off, got.length - off); // SocketTimeoutException if it was held
                assertTrue(k > 0);
                off += k;
            }
            assertArrayEquals(HEAD, got);
        }
    }

    /** A target the native side cannot take: AUTO writes the usual pattern, a native strategy refuses. */
    @Test
    public void otherTargets() throws Exception {
        byte[] data = Fixtures.pattern(5000, 4);
        Path path = Fixtures.file(tmp, data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FileChannel file = FileChannel.open(path); WritableByteChannel target = Channels.newChannel(out)) {
            ByteBuffer[] header = {ByteBuffer.wrap(HEAD)};
            if (strategy == Strategy.AUTO || strategy == Strategy.JDK) {
                long n = ZeroCopy.sendFile(target, header, file, 0, 5000, header.clone(), strategy);
                assertEquals(HEAD.length + 5000, n);
                assertArrayEquals(concat(HEAD, data), out.toByteArray());
            } else {
                expect(UnsupportedOperationException.class, () -> ZeroCopy.sendFile(target, header, file, 0, 5000,
                        null, strategy));
                assertEquals(0, ZeroCopy.sendFile(target, new ByteBuffer[0], file, 0, 0, null, strategy));
            }
        }
    }

    /** The small response this API exists for: one pread and one gathering write, nothing else. */
    @Test
    public void smallResponseIsTwoKernelCalls() throws Exception {
        if (strategy != Strategy.AUTO) {
            return;
        }
        Path path = Fixtures.file(tmp, Fixtures.pattern(4096, 6));
        SocketChannel[] pair = Fixtures.socketPair();
        Future<byte[]> got = Fixtures.drain(pair[1]);
        TransferReport report = new TransferReport();
        try (FileChannel file = FileChannel.open(path); SocketChannel target = pair[0]) {
            ZeroCopy.sendFile(target, new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, file, 0, 4096, null, strategy,
                    report);
        }
        assertEquals(HEAD.length + 4096, Fixtures.get(got).length);
        assertEquals(Strategy.READ_WRITE, report.strategy());
        assertEquals(HEAD.length + 4096, report.bytes());
        if (report.registered()) {
            assertEquals("pread + sendmsg", 2, report.syscalls());
        }
    }

    /**
     * On a virtual thread the call works on private duplicates (the JDK never signals a virtual
     * thread): the same bytes by the other JNI path. JDK 21+ only.
     */
    @Test
    public void onAVirtualThread() throws Exception {
        Object builder;
        try {
            builder = Thread.class.getMethod("ofVirtual").invoke(null);
        } catch (NoSuchMethodException e) {
            return; // before JDK 21
        }
        byte[] data = Fixtures.pattern(100_000, 7);
        Path path = Fixtures.file(tmp, data);
        SocketChannel[] pair = Fixtures.socketPair();
        Future<byte[]> got = Fixtures.drain(pair[1]);
        TransferReport report = new TransferReport();
        java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        Runnable body = () -> {
            try (FileChannel file = FileChannel.open(path); SocketChannel target = pair[0]) {
                outcome.set(ZeroCopy.sendFile(target, new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, file, 10, 90_000,
                        new ByteBuffer[] {ByteBuffer.wrap(HEAD)}, strategy, report));
            } catch (Exception e) {
                outcome.set(e);
            }
        };
        Thread t = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                .invoke(builder, body);
        t.start();
        t.join(30_000);
        assertEquals((long) (2 * HEAD.length + 90_000), outcome.get());
        assertArrayEquals(concat(HEAD, Fixtures.slice(data, 10, 90_000), HEAD), Fixtures.get(got));
        assertFalse("a virtual thread registered", report.registered());
    }

    interface Call {
        void run() throws Exception;
    }

    private static void expect(Class<? extends Throwable> type, Call call) throws Exception {
        try {
            call.run();
            fail("expected " + type.getSimpleName());
        } catch (Exception e) {
            if (!type.isInstance(e)) {
                throw e;
            }
        }
    }
}
