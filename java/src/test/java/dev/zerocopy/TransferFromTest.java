package dev.zerocopy;

import static dev.zerocopy.Fixtures.concat;
import static dev.zerocopy.Fixtures.pattern;
import static dev.zerocopy.Fixtures.slice;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import dev.zerocopy.Fixtures.Stream;

/**
 * ZeroCopy.transferFrom's checks in JDK 25's order, its streams (a sender that pauses, that
 * closes early, a count short of what arrived), interrupts and closes by other threads while it
 * is blocked (JDK 25's outcomes: where the running JDK is 21 or later, its own transferFrom is
 * run through the same scenario as the reference), descriptor reuse after such a close, virtual
 * threads and the per-thread splice pipe. Positions, counts and bytes across strategies against
 * the JDK: TransferFromParityTest.
 */
public class TransferFromTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final boolean JDK_IS_REFERENCE = Fixtures.jdkFeature() >= 21;

    /** The strategies that read sockets and pipes, and, where it is the reference, the JDK. */
    private static List<Strategy> streamStrategiesAndJdk() {
        List<Strategy> out = new ArrayList<>(Arrays.asList(Strategy.AUTO, Strategy.SPLICE, Strategy.READ_WRITE));
        if (JDK_IS_REFERENCE) {
            out.add(Strategy.JDK);
        }
        return out;
    }

    /** Every native strategy, and, where it is the reference, the JDK. */
    private static List<Strategy> allAndJdk() {
        List<Strategy> out = new ArrayList<>(Fixtures.FROM_STRATEGIES);
        if (JDK_IS_REFERENCE) {
            out.add(Strategy.JDK);
        }
        return out;
    }

    interface Call {
        long run(Strategy s) throws IOException;
    }

    /** The count, or the exception's class. */
    private static Object outcome(Call call, Strategy s) {
        try {
            return call.run(s);
        } catch (Exception e) {
            return e.getClass();
        }
    }

    private Path target() throws IOException {
        return tmp.newFile().toPath();
    }

    private static FileChannel writing(Path p) throws IOException {
        return FileChannel.open(p, StandardOpenOption.WRITE);
    }

    // ---- Checks, in JDK 25's order ----

    @Test
    public void checkOrderAndExceptionClasses() throws Exception {
        Path src = Fixtures.file(tmp, pattern(100, 1));
        Path dst = target();
        FileChannel closedIn = FileChannel.open(src);
        closedIn.close();
        FileChannel closedOut = writing(dst);
        closedOut.close();
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel in = FileChannel.open(src);
                FileChannel writeOnly = FileChannel.open(src, StandardOpenOption.WRITE);
                FileChannel readOnly = FileChannel.open(dst);
                FileChannel out = writing(dst);
                SocketChannel socket = pair[0];
                SocketChannel peer = pair[1];
                SocketChannel unconnected = SocketChannel.open()) {
            ReadableByteChannel foreign = Channels.newChannel(new ByteArrayInputStream(new byte[100]));
            Object[][] cases = {
                // {what, dst, src, position, count, expected}
                {"closed target, closed source", closedOut, closedIn, 0L, 10L, ClosedChannelException.class},
                {"closed target, null source", closedOut, null, 0L, 10L, ClosedChannelException.class},
                {"closed target, unreadable source", closedOut, writeOnly, 0L, 10L, ClosedChannelException.class},
                {"closed target, negative position", closedOut, in, -1L, 10L, ClosedChannelException.class},
                {"null source", out, null, 0L, 10L, NullPointerException.class},
                {"null source, read-only target", readOnly, null, 0L, 10L, NullPointerException.class},
                {"closed source", out, closedIn, 0L, 10L, ClosedChannelException.class},
                {"closed source, read-only target", readOnly, closedIn, 0L, 10L, ClosedChannelException.class},
                {"closed source, negative count", out, closedIn, 0L, -1L, ClosedChannelException.class},
                {"unreadable source, read-only target", readOnly, writeOnly, 0L, 10L, NonReadableChannelException.class},
                {"unreadable source, negative position", out, writeOnly, -1L, 10L, NonReadableChannelException.class},
                {"unreadable source, count 0", out, writeOnly, 0L, 0L, NonReadableChannelException.class},
                {"read-only target, negative position", readOnly, in, -1L, 10L, NonWritableChannelException.class},
                {"read-only target, socket source", readOnly, socket, 0L, 10L, NonWritableChannelException.class},
                {"read-only target, unconnected socket", readOnly, unconnected, 0L, 10L,
                    NonWritableChannelException.class},
                {"read-only target, foreign source", readOnly, foreign, 0L, 10L, NonWritableChannelException.class},
                {"negative position", out, in, -1L, 10L, IllegalArgumentException.class},
                {"negative count", out, in, 0L, -1L, IllegalArgumentException.class},
                {"negative position, socket", out, socket, -1L, 10L, IllegalArgumentException.class},
                {"negative count, unconnected socket", out, unconnected, 0L, -1L, IllegalArgumentException.class},
                {"negative count, foreign source", out, foreign, 0L, -1L, IllegalArgumentException.class},
                {"unconnected socket", out, unconnected, 0L, 10L, NotYetConnectedException.class},
                {"unconnected socket, count 0", out, unconnected, 0L, 0L, 0L},
            };
            for (Strategy s : allAndJdk()) {
                for (Object[] k : cases) {
                    FileChannel d = (FileChannel) k[1];
                    ReadableByteChannel r = (ReadableByteChannel) k[2];
                    long p = (Long) k[3];
                    long c = (Long) k[4];
                    assertEquals(k[0] + " (" + s + ")", k[5], outcome(x -> ZeroCopy.transferFrom(d, r, p, c, x), s));
                }
            }
            assertEquals("a check wrote", 0, out.size());
            assertEquals("a check moved the source", 0, in.position());
            assertTrue(socket.isOpen() && unconnected.isOpen() && foreign.isOpen() && in.isOpen() && out.isOpen());
        }
        for (Strategy s : Fixtures.FROM_STRATEGIES) {
            try (FileChannel in = FileChannel.open(src)) {
                try {
                    ZeroCopy.transferFrom(null, in, 0, 10, s);
                    fail("null target");
                } catch (NullPointerException expected) {
                    // as dst.transferFrom would
                }
            }
        }
        try (FileChannel in = FileChannel.open(src); FileChannel out = writing(dst)) {
            try {
                ZeroCopy.transferFrom(out, in, 0, 10, null);
                fail("null strategy");
            } catch (NullPointerException expected) {
                assertEquals(0, out.size());
            }
        }
    }

    /** A count of 0: 0 for every strategy and source, even where the strategy cannot apply, reading nothing. */
    @Test(timeout = 60_000)
    public void countZeroIsZeroForEveryStrategy() throws Exception {
        byte[] data = pattern(100, 2);
        Path src = Fixtures.file(tmp, data);
        for (Strategy s : allAndJdk()) {
            for (boolean append : new boolean[] {false, true}) {
                for (String kind : new String[] {"file", "file at its end", "socket", "non-blocking socket", "pipe",
                        "foreign", "unconnected socket"}) {
                    String what = s + " from a " + kind + (append ? " into an append-mode file" : "");
                    Path dst = Fixtures.file(tmp, data);
                    try (FileChannel in = FileChannel.open(src); Stream stream = Stream.open(
                            kind.equals("pipe") ? "pipe" : "socket"); SocketChannel unconnected = SocketChannel.open();
                            FileChannel out = append
                                    ? FileChannel.open(dst, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                                    : writing(dst)) {
                        ByteArrayInputStream bytes = new ByteArrayInputStream(data);
                        ReadableByteChannel source = kind.startsWith("file") ? in
                                : kind.equals("foreign") ? Channels.newChannel(bytes)
                                : kind.equals("unconnected socket") ? unconnected : stream.source;
                        if (kind.equals("file at its end")) {
                            in.position(100);
                        }
                        if (kind.equals("non-blocking socket")) {
                            ((SelectableChannel) stream.source).configureBlocking(false);
                        }
                        Fixtures.writeFully(stream.sender, data);
                        assertEquals(what, 0L, outcome(x -> ZeroCopy.transferFrom(out, source, 50, 0, x), s));
                        assertEquals(what, kind.equals("file at its end") ? 100 : 0, in.position());
                        assertEquals(what, data.length, bytes.available());
                        int[] end = new int[1];
                        assertArrayEquals(what + ": read from the stream", data, stream.rest(end));
                    }
                    assertArrayEquals(what, data, Files.readAllBytes(dst));
                }
            }
        }
    }

    /**
     * JDK 25: an interrupted thread closes both channels and keeps its interrupt status (also for a
     * strategy that cannot apply: the interrupt is a check made first); an unconnected socket is
     * NotYetConnectedException first, both channels left open.
     */
    @Test(timeout = 60_000)
    public void interruptedBeforeTheCall() throws Exception {
        byte[] data = pattern(100, 3);
        Path src = Fixtures.file(tmp, data);
        for (Strategy s : allAndJdk()) {
            for (String kind : new String[] {"file", "socket", "pipe", "unconnected socket"}) {
                String what = s + " from a " + kind;
                Path dst = target();
                FileChannel out = writing(dst);
                FileChannel in = FileChannel.open(src);
                Stream stream = Stream.open(kind.equals("pipe") ? "pipe" : "socket");
                SocketChannel unconnected = SocketChannel.open();
                ReadableByteChannel source = kind.equals("file") ? in : kind.equals("unconnected socket")
                        ? unconnected : stream.source;
                Fixtures.writeFully(stream.sender, data);
                Object result;
                boolean interrupted;
                try {
                    Thread.currentThread().interrupt();
                    result = outcome(x -> ZeroCopy.transferFrom(out, source, 0, 10, x), s);
                } finally {
                    interrupted = Thread.interrupted();
                }
                boolean open = kind.equals("unconnected socket");
                assertEquals(what, open ? NotYetConnectedException.class : ClosedByInterruptException.class, result);
                assertTrue(what + ": interrupt status lost", interrupted);
                assertEquals(what + ": target", open, out.isOpen());
                assertEquals(what + ": source", open, source.isOpen());
                assertEquals(what, 0, Files.size(dst));
                out.close();
                in.close();
                stream.close();
                unconnected.close();
            }
        }
    }

    // ---- Streams ----

    /** A worker that writes {@code parts} into the sender with pauses between, then closes it or not. */
    private static Thread sender(Stream stream, long pauseMillis, boolean close, byte[]... parts) {
        Thread t = new Thread(() -> {
            try {
                for (byte[] part : parts) {
                    Thread.sleep(pauseMillis);
                    Fixtures.writeFully(stream.sender, part);
                }
                if (close) {
                    Thread.sleep(pauseMillis);
                    stream.sender.close();
                }
            } catch (IOException | InterruptedException e) {
                // the test closed the stream: its assertions say what went wrong
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** What the report names for a stream: AUTO splices a socket and reads and writes a pipe. */
    private static Strategy autoRan(Strategy requested, String kind) {
        if (requested != Strategy.AUTO) {
            return requested;
        }
        return kind.equals("pipe") ? Strategy.READ_WRITE : Strategy.SPLICE;
    }

    /** A blocking source is read until the count or the end, through pauses: 100 bytes, 300 ms, 100, 300 ms, end. */
    @Test(timeout = 60_000)
    public void senderThatStopsThenResumes() throws Exception {
        byte[] first = pattern(100, 4);
        byte[] second = pattern(100, 5);
        for (String kind : new String[] {"socket", "pipe"}) {
            for (Strategy s : streamStrategiesAndJdk()) {
                String what = s + " from a " + kind;
                Path dst = target();
                TransferReport report = new TransferReport();
                try (Stream stream = Stream.open(kind); FileChannel out = writing(dst)) {
                    Thread t = sender(stream, 300, true, first, second);
                    long start = System.nanoTime();
                    assertEquals(what, 200, ZeroCopy.transferFrom(out, stream.source, 7, 1000, s, report));
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(what + ": returned after " + millis + " ms, before the sender's end", millis >= 800);
                    assertEquals(what, 0, out.position());
                    t.join(10_000);
                }
                assertArrayEquals(what, concat(new byte[7], first, second), Files.readAllBytes(dst));
                assertEquals(what, autoRan(s, kind), report.strategy());
                assertEquals(what, 200, report.bytes());
            }
        }
    }

    /** A sender that closes before the count: what arrived. Then 0 at the end of the stream. */
    @Test(timeout = 60_000)
    public void senderThatClosesEarly() throws Exception {
        byte[] data = pattern(300, 6);
        for (String kind : new String[] {"socket", "pipe"}) {
            for (Strategy s : streamStrategiesAndJdk()) {
                String what = s + " from a " + kind;
                Path dst = target();
                try (Stream stream = Stream.open(kind); FileChannel out = writing(dst)) {
                    Thread t = sender(stream, 100, true, data);
                    assertEquals(what, data.length, ZeroCopy.transferFrom(out, stream.source, 0, 1000, s));
                    assertEquals(what, 0, ZeroCopy.transferFrom(out, stream.source, 300, 1000, s));
                    t.join(10_000);
                }
                assertArrayEquals(what, data, Files.readAllBytes(dst));
            }
        }
    }

    /** A count short of what arrived: exactly the count; the next transfers get the rest, in order. */
    @Test(timeout = 60_000)
    public void countLessThanAvailableLeavesTheRest() throws Exception {
        byte[] data = pattern(50_000, 7);
        for (String kind : new String[] {"socket", "pipe"}) {
            for (Strategy s : streamStrategiesAndJdk()) {
                for (boolean blocking : new boolean[] {true, false}) {
                    String what = s + " from a " + (blocking ? "blocking " : "non-blocking ") + kind;
                    Path dst = target();
                    try (Stream stream = Stream.open(kind); FileChannel out = writing(dst)) {
                        Fixtures.writeFully(stream.sender, data);
                        ((SelectableChannel) stream.source).configureBlocking(blocking);
                        Thread.sleep(5);
                        assertEquals(what, 1, ZeroCopy.transferFrom(out, stream.source, 0, 1, s));
                        assertEquals(what, 9_999, ZeroCopy.transferFrom(out, stream.source, 1, 9_999, s));
                        assertEquals(what, 40_000, ZeroCopy.transferFrom(out, stream.source, 10_000, 40_000, s));
                        int[] end = new int[1];
                        assertEquals(what, 0, stream.rest(end).length);
                        assertEquals(what, 0, end[0]);
                    }
                    assertArrayEquals(what, data, Files.readAllBytes(dst));
                }
            }
        }
    }

    // ---- Interrupts and closes while blocked ----

    /** One transferFrom in its own thread: its count or exception, and its interrupt status after. */
    private static final class Worker extends Thread {
        private final Call call;
        private final Strategy strategy;
        final AtomicReference<Object> outcome = new AtomicReference<>();
        volatile boolean interruptedAfter;

        Worker(Strategy strategy, Call call) {
            this.strategy = strategy;
            this.call = call;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                outcome.set(call.run(strategy));
            } catch (Throwable t) {
                outcome.set(t);
            }
            interruptedAfter = Thread.currentThread().isInterrupted();
        }

        /** Starts it and checks it is blocked (nothing more comes). */
        Worker startBlocked(String what) throws InterruptedException {
            start();
            Thread.sleep(300);
            assertTrue(what + ": returned " + outcome.get() + " while the source had nothing more", isAlive());
            return this;
        }

        void ends(String what) throws InterruptedException {
            join(20_000);
            assertFalse(what + ": still blocked", isAlive());
        }

        Object result() {
            Object o = outcome.get();
            return o instanceof Throwable ? o.getClass() : o;
        }
    }

    /** Waits until the file holds {@code size} bytes (the worker wrote what arrived). */
    private static void awaitSize(Path p, long size) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Files.size(p) < size && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(size, Files.size(p));
        Thread.sleep(100); // and is blocked again
    }

    /** Interrupted while blocked with nothing read: ClosedByInterruptException, both channels closed. */
    @Test(timeout = 120_000)
    public void interruptWhileBlockedWithNothingRead() throws Exception {
        for (String kind : new String[] {"socket", "pipe"}) {
            for (Strategy s : streamStrategiesAndJdk()) {
                String what = s + " from a " + kind;
                Path dst = target();
                try (Stream stream = Stream.open(kind); FileChannel out = writing(dst)) {
                    Worker w = new Worker(s, x -> ZeroCopy.transferFrom(out, stream.source, 0, 1000, x))
                            .startBlocked(what);
                    w.interrupt();
                    w.ends(what);
                    assertEquals(what, ClosedByInterruptException.class, w.result());
                    assertTrue(what + ": interrupt status lost", w.interruptedAfter);
                    assertFalse(what + ": target left open", out.isOpen());
                    assertFalse(what + ": source left open", stream.source.isOpen());
                }
                assertEquals(what, 0, Files.size(dst));
            }
        }
    }

    /** Interrupted after some bytes arrived (JDK 25): their count; the source closed, the target open. */
    @Test(timeout = 120_000)
    public void interruptAfterSomeBytesArrived() throws Exception {
        byte[] data = pattern(100, 8);
        for (String kind : new String[] {"socket", "pipe"}) {
            for (Strategy s : streamStrategiesAndJdk()) {
                String what = s + " from a " + kind;
                Path dst = target();
                try (Stream stream = Stream.open(kind); FileChannel out = writing(dst)) {
                    Worker w = new Worker(s, x -> ZeroCopy.transferFrom(out, stream.source, 5, 1000, x))
                            .startBlocked(what);
                    Fixtures.writeFully(stream.sender, data);
                    awaitSize(dst, 5 + data.length);
                    assertTrue(what + ": returned " + w.outcome.get() + " before the count", w.isAlive());
                    w.interrupt();
                    w.ends(what);
                    assertEquals(what, (long) data.length, w.result());
                    assertTrue(what + ": interrupt status lost", w.interruptedAfter);
                    assertTrue(what + ": target closed", out.isOpen());
                    assertFalse(what + ": source left open", stream.source.isOpen());
                    assertEquals(what, 0, out.position());
                }
                assertArrayEquals(what, concat(new byte[5], data), Files.readAllBytes(dst));
            }
        }
    }

    /** Another thread closes the source: AsynchronousCloseException, or the count of what had arrived. */
    @Test(timeout = 120_000)
    public void sourceClosedWhileBlocked() throws Exception {
        byte[] data = pattern(100, 9);
        for (boolean partial : new boolean[] {false, true}) {
            for (String kind : new String[] {"socket", "pipe"}) {
                for (Strategy s : streamStrategiesAndJdk()) {
                    String what = s + " from a " + kind + (partial ? " after 100 bytes" : "");
                    Path dst = target();
                    try (Stream stream = Stream.open(kind); FileChannel out = writing(dst)) {
                        Worker w = new Worker(s, x -> ZeroCopy.transferFrom(out, stream.source, 0, 1000, x))
                                .startBlocked(what);
                        if (partial) {
                            Fixtures.writeFully(stream.sender, data);
                            awaitSize(dst, data.length);
                        }
                        stream.source.close();
                        w.ends(what);
                        assertEquals(what, partial ? (Object) (long) data.length : AsynchronousCloseException.class,
                                w.result());
                        assertFalse(what, w.interruptedAfter);
                        assertTrue(what + ": target closed", out.isOpen());
                    }
                    assertArrayEquals(what, partial ? data : new byte[0], Files.readAllBytes(dst));
                }
            }
        }
    }

    /**
     * Another thread closes the target: AsynchronousCloseException (the source left open), or the
     * count of what had arrived. The JDK notices only when the next bytes come (its read is not
     * woken); the native paths are woken by the close at once.
     */
    @Test(timeout = 120_000)
    public void targetClosedWhileBlocked() throws Exception {
        byte[] data = pattern(100, 10);
        for (boolean partial : new boolean[] {false, true}) {
            for (String kind : new String[] {"socket", "pipe"}) {
                for (Strategy s : streamStrategiesAndJdk()) {
                    String what = s + " from a " + kind + (partial ? " after 100 bytes" : "");
                    Path dst = target();
                    try (Stream stream = Stream.open(kind); FileChannel out = writing(dst)) {
                        Worker w = new Worker(s, x -> ZeroCopy.transferFrom(out, stream.source, 0, 1000, x))
                                .startBlocked(what);
                        if (partial) {
                            Fixtures.writeFully(stream.sender, data);
                            awaitSize(dst, data.length);
                        }
                        out.close();
                        if (s != Strategy.JDK) {
                            w.join(10_000);
                            assertFalse(what + ": not woken by the close", w.isAlive());
                        }
                        Fixtures.writeFully(stream.sender, pattern(10, 11)); // wakes the JDK's read
                        w.ends(what);
                        assertEquals(what, partial ? (Object) (long) data.length : AsynchronousCloseException.class,
                                w.result());
                        assertFalse(what, w.interruptedAfter);
                        assertTrue(what + ": source closed", stream.source.isOpen());
                    }
                    assertArrayEquals(what, partial ? data : new byte[0], Files.readAllBytes(dst));
                }
            }
        }
    }

    /**
     * Thread.interrupt() at a random moment around the start of a transfer, 100 times per source
     * kind: each round ends, with the bytes moved (all, or from a stream some, its source then
     * closed) or ClosedByInterruptException and both channels closed; never a deadlock.
     */
    @Test(timeout = 300_000)
    public void interruptsAtRandomMomentsNeverDeadlock() throws Exception {
        int size = 1 << 20;
        byte[] data = pattern(size, 12);
        Path src = Fixtures.file(tmp, data);
        Random random = new Random(12);
        for (String kind : new String[] {"file", "socket", "pipe"}) {
            for (int round = 0; round < 100; round++) {
                String what = kind + " round " + round;
                Path dst = target();
                try (Stream stream = Stream.open(kind.equals("pipe") ? "pipe" : "socket");
                        FileChannel in = FileChannel.open(src); FileChannel out = writing(dst)) {
                    ReadableByteChannel source = kind.equals("file") ? in : stream.source;
                    if (!kind.equals("file")) {
                        sender(stream, 0, true, data);
                    }
                    Worker w = new Worker(Strategy.AUTO, x -> ZeroCopy.transferFrom(out, source, 0, size, x));
                    w.start();
                    long spin = System.nanoTime() + random.nextInt(1_000_000);
                    while (System.nanoTime() < spin) {
                        Thread.yield();
                    }
                    w.interrupt();
                    w.ends(what);
                    Object result = w.result();
                    if (result == ClosedByInterruptException.class) {
                        assertFalse(what, out.isOpen());
                        assertFalse(what, source.isOpen());
                    } else {
                        assertTrue(what + ": " + w.outcome.get(), result instanceof Long);
                        long n = (Long) result;
                        byte[] got = Files.readAllBytes(dst);
                        assertEquals(what, n, got.length);
                        assertArrayEquals(what, slice(data, 0, n), got);
                        assertTrue(what + ": target closed", out.isOpen());
                        if (n < size) {
                            assertTrue(what + ": a short count from a file", !kind.equals("file"));
                            assertFalse(what + ": source left open after a partial count", source.isOpen());
                        }
                    }
                }
                Files.delete(dst);
            }
        }
    }

    // ---- Descriptor reuse ----

    private static final int REUSE_SIZE = 32 << 20;
    private static final int GRABBERS = 16;

    /**
     * A close by another thread in the middle of a transfer, then at once new files opened: they
     * may get the closed channel's descriptor number, and must never be written (the target's) or
     * read (the source's: the poison's 0x5A bytes must never reach the target). The target must
     * hold a prefix of what was sent, nothing else.
     */
    @Test(timeout = 600_000)
    public void closingAChannelNeverTouchesAFileThatReusedItsNumber() throws Exception {
        byte[] data = pattern(REUSE_SIZE, 77);
        Path source = Fixtures.file(tmp, data);
        byte[] bad = new byte[REUSE_SIZE];
        Arrays.fill(bad, (byte) 0x5A);
        Path poison = Fixtures.file(tmp, bad);
        Random random = new Random(13);
        int rounds = 0;
        int mid = 0;
        for (String kind : new String[] {"socket", "pipe", "file"}) {
            List<Strategy> strategies = kind.equals("file")
                    ? Arrays.asList(Strategy.AUTO, Strategy.COPY_FILE_RANGE, Strategy.SENDFILE, Strategy.MMAP,
                            Strategy.READ_WRITE)
                    : Arrays.asList(Strategy.AUTO, Strategy.SPLICE, Strategy.READ_WRITE);
            for (Strategy s : strategies) {
                for (boolean closeTarget : new boolean[] {false, true}) {
                    for (int round = 0; round < 12; round++) {
                        String what = s + " from a " + kind + ", closing the " + (closeTarget ? "target" : "source")
                                + ", round " + round;
                        if (closeRace(kind, s, closeTarget, source, poison, data, random, what)) {
                            mid++;
                        }
                        rounds++;
                    }
                }
            }
        }
        System.out.println("TransferFromTest: " + rounds + " closes, " + mid + " mid-transfer");
        assertTrue(mid + " of " + rounds + " closes fell inside a transfer", mid >= rounds / 2);
    }

    /** One round: whether the close fell inside the transfer (some of the bytes moved, not all). */
    private boolean closeRace(String kind, Strategy s, boolean closeTarget, Path source, Path poison, byte[] data,
            Random random, String what) throws Exception {
        Path dst = target();
        List<FileChannel> grabbers = new ArrayList<>();
        List<Path> grabbed = new ArrayList<>();
        Stream stream = Stream.open(kind.equals("pipe") ? "pipe" : "socket");
        FileChannel in = FileChannel.open(source);
        FileChannel out = writing(dst);
        ReadableByteChannel src = kind.equals("file") ? in : stream.source;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            long done = 0;
            try {
                while (done < REUSE_SIZE) {
                    long n = ZeroCopy.transferFrom(out, src, done, REUSE_SIZE - done, s);
                    if (n == 0 && kind.equals("file")) {
                        break;
                    }
                    done += n;
                }
            } catch (ClosedChannelException expected) {
                // AsynchronousCloseException, or closed before the next call
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        try {
            if (!kind.equals("file")) {
                sender(stream, 0, false, data);
            }
            worker.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Files.size(dst) == 0 && System.nanoTime() < deadline) {
                Thread.yield();
            }
            Thread.sleep(random.nextInt(3));
            (closeTarget ? out : src).close();
            for (int i = 0; i < GRABBERS; i++) {
                if (closeTarget) {
                    Path p = tmp.newFile().toPath();
                    grabbed.add(p);
                    grabbers.add(writing(p));
                } else {
                    grabbers.add(FileChannel.open(poison));
                }
            }
            worker.join(30_000);
            assertFalse(what + ": the transfer hangs", worker.isAlive());
        } finally {
            in.close();
            out.close();
            stream.close();
            for (FileChannel g : grabbers) {
                g.close();
            }
        }
        assertEquals(what + ": " + failure.get(), null, failure.get());
        for (Path p : grabbed) {
            assertEquals(what + ": bytes went to a file that reused the target's number", 0, Files.size(p));
            Files.delete(p);
        }
        byte[] got = Files.readAllBytes(dst);
        Files.delete(dst);
        assertTrue(what + ": more bytes than were sent", got.length <= REUSE_SIZE);
        if (!Arrays.equals(slice(data, 0, got.length), got)) {
            int at = 0;
            while (data[at] == got[at]) {
                at++;
            }
            fail(what + ": the target holds bytes never sent, from offset " + at + " (0x"
                    + Integer.toHexString(got[at] & 0xff) + ")");
        }
        return got.length > 0 && got.length < REUSE_SIZE;
    }

    // ---- Virtual threads ----

    /**
     * On a virtual thread the JDK makes a socket's or pipe's descriptor non-blocking underneath
     * (its first read does), and the call works on private duplicates: a blocking transfer must
     * still wait for every byte through the sender's pauses, never return early with what was
     * ready. JDK 21+.
     */
    @Test(timeout = 120_000)
    public void blockingTransferOnAVirtualThreadWaitsForEveryByte() throws Exception {
        Assume.assumeTrue("virtual threads: JDK 21+", Fixtures.jdkFeature() >= 21);
        byte[] one = {42};
        byte[] first = pattern(20_000, 14);
        byte[] second = pattern(30_000, 15);
        for (String kind : new String[] {"socket", "pipe"}) {
            for (Strategy s : streamStrategiesAndJdk()) {
                String what = s + " from a " + kind + " on a virtual thread";
                Path dst = target();
                TransferReport report = new TransferReport();
                AtomicReference<Object> outcome = new AtomicReference<>();
                try (Stream stream = Stream.open(kind); FileChannel out = writing(dst)) {
                    Thread t = Fixtures.unstartedVirtualThread(() -> {
                        try {
                            // A read that parks: the JDK sets O_NONBLOCK on the descriptor for good.
                            ByteBuffer b = ByteBuffer.allocate(1);
                            stream.source.read(b);
                            assertEquals(42, b.get(0));
                            outcome.set(ZeroCopy.transferFrom(out, stream.source, 0, 50_000, s, report));
                        } catch (Throwable e) {
                            outcome.set(e);
                        }
                    });
                    assertNotNull(t);
                    t.start();
                    Thread feeder = sender(stream, 300, false, one, first, second);
                    t.join(30_000);
                    assertFalse(what + ": still blocked", t.isAlive());
                    feeder.join(10_000);
                    assertEquals(what, 50_000L, outcome.get());
                    assertTrue(what + ": the source closed", stream.source.isOpen());
                }
                assertArrayEquals(what, concat(first, second), Files.readAllBytes(dst));
                if (s != Strategy.JDK) {
                    assertFalse(what + ": a virtual thread registered", report.registered());
                    assertEquals(what, autoRan(s, kind), report.strategy());
                }
            }
        }
    }

    // ---- The splice pipe each thread keeps ----

    /**
     * After SPLICE transfers from a socket that ended early (a non-blocking source with nothing
     * more, a count reached in the middle of what arrived, a refusal), the next transfer on the same
     * thread receives exactly its own bytes: nothing stays in the pipe from one call to the next.
     */
    @Test(timeout = 60_000)
    public void theSplicePipeCarriesNothingFromOneCallToTheNext() throws Exception {
        for (Strategy s : new Strategy[] {Strategy.SPLICE, Strategy.AUTO}) {
            byte[] a1 = pattern(5_000, 16);
            byte[] a2 = pattern(3_000, 17);
            byte[] b = pattern(777, 18);
            byte[] c = pattern(300_000, 19);
            Path dstA = target();
            Path dstB = target();
            Path dstC = target();
            SocketChannel[] first = Fixtures.socketPair();
            SocketChannel[] second = Fixtures.socketPair();
            TransferReport report = new TransferReport();
            try (SocketChannel a = first[0]; SocketChannel peerA = first[1]; SocketChannel bc = second[0];
                    SocketChannel peerB = second[1]; FileChannel outA = writing(dstA); FileChannel outB = writing(dstB);
                    FileChannel outC = writing(dstC)) {
                a.configureBlocking(false);
                assertEquals(s + ": nothing ready", 0, ZeroCopy.transferFrom(outA, a, 0, 100_000, s));
                Fixtures.writeFully(peerA, a1);
                Thread.sleep(5);
                // Non-blocking: ends early, with what was ready.
                assertEquals(s.toString(), a1.length, ZeroCopy.transferFrom(outA, a, 0, 100_000, s, report));
                assertEquals(Strategy.SPLICE, report.strategy());
                Fixtures.writeFully(peerA, a2);
                Thread.sleep(5);
                // A count reached in the middle of what arrived.
                assertEquals(s.toString(), 1_000, ZeroCopy.transferFrom(outA, a, a1.length, 1_000, s));
                // A refusal on this thread between.
                try {
                    ZeroCopy.transferFrom(outB, a, 0, 10, Strategy.MMAP);
                    fail("MMAP from a socket");
                } catch (UnsupportedOperationException expected) {
                    // reads nothing
                }
                // Another socket: exactly its own bytes.
                Fixtures.writeFully(peerB, b);
                assertEquals(s.toString(), b.length, ZeroCopy.transferFrom(outB, bc, 0, b.length, s));
                // More than the pipe holds at once, through a sender in another thread.
                Thread t = sender(new Stream(bc, peerB), 0, false, c);
                assertEquals(s.toString(), c.length, ZeroCopy.transferFrom(outC, bc, 0, c.length, s));
                t.join(10_000);
                // The first socket again: the rest of a2, in order.
                assertEquals(s.toString(), 2_000, ZeroCopy.transferFrom(outA, a, a1.length + 1_000, 100_000, s));
            }
            assertArrayEquals(s.toString(), concat(a1, a2), Files.readAllBytes(dstA));
            assertArrayEquals(s.toString(), b, Files.readAllBytes(dstB));
            assertArrayEquals(s.toString(), c, Files.readAllBytes(dstC));
        }
    }

    // ---- Bugs found ----

    /**
     * An empty source file: nothing would move (it is at its end), so every strategy must return
     * 0, as ZeroCopy.transferTo returns 0 for the same file with MMAP or SPLICE, and as the
     * javadoc promises ("only where bytes would move").
     */
    @Test
    public void anEmptySourceFileGivesZeroForEveryStrategy() throws Exception {
        Path empty = tmp.newFile().toPath();
        byte[] before = "0123456789".getBytes(StandardCharsets.US_ASCII);
        for (Strategy s : Fixtures.FROM_STRATEGIES) {
            for (boolean append : new boolean[] {false, true}) {
                String what = s + (append ? " into an append-mode file" : "");
                Path dst = Fixtures.file(tmp, before);
                try (FileChannel in = FileChannel.open(empty); FileChannel out = append
                        ? FileChannel.open(dst, StandardOpenOption.WRITE, StandardOpenOption.APPEND) : writing(dst)) {
                    assertEquals(what, 0L, outcome(x -> ZeroCopy.transferFrom(out, in, 0, 10, x), s));
                    assertEquals(what, 0, in.position());
                }
                assertArrayEquals(what, before, Files.readAllBytes(dst));
            }
        }
    }

    /**
     * Strategy.COPY_FILE_RANGE: "Where the kernel refuses it for these files before the first byte,
     * the transfer goes on by sendfile, or read/write" (and ZeroCopy.transferTo does so for /proc).
     */
    @Test
    public void copyFileRangeFromAProcFile() throws Exception {
        Path proc = Paths.get("/proc/version");
        byte[] want = Files.readAllBytes(proc);
        Path dst = target();
        TransferReport report = new TransferReport();
        try (FileChannel in = FileChannel.open(proc); FileChannel out = writing(dst)) {
            assertEquals(want.length, ZeroCopy.transferFrom(out, in, 0, 1 << 20, Strategy.COPY_FILE_RANGE, report));
            assertEquals(want.length, in.position());
        }
        assertArrayEquals(want, Files.readAllBytes(dst));
        assertTrue(report.toString(), Arrays.asList(Strategy.COPY_FILE_RANGE, Strategy.SENDFILE, Strategy.READ_WRITE)
                .contains(report.strategy()));
    }

    /**
     * JDK 25 from a FileChannel with bytes, interrupted before the call, count 0:
     * ClosedByInterruptException, both channels closed (its transferFromDirect begins blocking
     * before it looks at the count), as the javadoc's check list says.
     */
    @Test
    public void interruptedBeforeACountOfZeroFromAFile() throws Exception {
        Path src = Fixtures.file(tmp, pattern(100, 20));
        for (Strategy s : allAndJdk()) {
            FileChannel in = FileChannel.open(src);
            FileChannel out = writing(target());
            Object result;
            try {
                Thread.currentThread().interrupt();
                result = outcome(x -> ZeroCopy.transferFrom(out, in, 0, 0, x), s);
            } finally {
                assertTrue(s + ": interrupt status lost", Thread.interrupted());
            }
            assertEquals(s.toString(), ClosedByInterruptException.class, result);
            assertFalse(s.toString(), in.isOpen());
            assertFalse(s.toString(), out.isOpen());
        }
    }
}
