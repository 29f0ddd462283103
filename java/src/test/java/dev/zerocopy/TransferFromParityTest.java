package dev.zerocopy;

import static dev.zerocopy.Fixtures.concat;
import static dev.zerocopy.Fixtures.pattern;
import static dev.zerocopy.Fixtures.slice;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
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

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * ZeroCopy.transferFrom with each native strategy against JDK 25's FileChannel.transferFrom:
 * return values, the target's bytes, both positions and exception classes. The expectation is
 * JDK 25's behaviour, written out here (a position past the end grows the file, JDK-8303260; a
 * source that reports size 0 is read to its end); where the running JDK is 21 or later, the JDK's
 * own transferFrom must meet it too, so the expectation is checked against the real thing. A
 * strategy that cannot apply (COPY_FILE_RANGE, SENDFILE, MMAP from a stream;
 * anything but READ_WRITE into an append-mode file) must throw UnsupportedOperationException where
 * bytes would move, having moved none, and return what the JDK returns where none would.
 */
@RunWith(Parameterized.class)
public class TransferFromParityTest {
    @Parameters(name = "{0}")
    public static List<Object[]> data() {
        List<Object[]> out = new ArrayList<>();
        for (Strategy s : Fixtures.FROM_STRATEGIES) {
            out.add(new Object[] {s});
        }
        return out;
    }

    @Parameter
    public Strategy strategy;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** JDK 21+ grow the file for a position past its end and read size-0 sources to their end. */
    private static final boolean JDK_IS_REFERENCE = Fixtures.jdkFeature() >= 21;

    /** The target's bytes before every transfer, and its position (set before, never moved). */
    private static final byte[] TARGET = "0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final long TARGET_POSITION = 4;

    private boolean takesStreams() {
        return strategy == Strategy.AUTO || strategy == Strategy.SPLICE || strategy == Strategy.READ_WRITE;
    }

    private boolean takesFiles() {
        return true; // SPLICE too, through the thread's pipe
    }

    private boolean appends() {
        return strategy == Strategy.AUTO || strategy == Strategy.READ_WRITE;
    }

    /** What the report must name after bytes moved from a file (a small one, or as many bytes). */
    private Strategy ran(boolean stream, boolean append) {
        return ran(stream ? "socket" : "file", append);
    }

    /**
     * What the report must name after {@code moved} bytes from a file: from 256 KiB up AUTO splices
     * through the thread's pipe on a file system that does not copy in place (ext4, tmpfs).
     */
    private Strategy ranFromFile(long moved) throws IOException {
        String fs = Files.getFileStore(tmp.getRoot().toPath()).type();
        boolean inPlace = java.util.Arrays.asList("xfs", "btrfs", "bcachefs", "ocfs2", "zfs", "nfs", "nfs4",
                "cifs", "smb3", "ceph").contains(fs);
        if (strategy == Strategy.AUTO && moved >= 256 * 1024 && !inPlace) {
            return Strategy.SPLICE;
        }
        return ran(false, false);
    }

    /** What the report must name after bytes moved from a "socket", a "pipe" or a "file". */
    private Strategy ran(String kind, boolean append) {
        if (strategy != Strategy.AUTO) {
            return strategy;
        }
        if (append || kind.equals("pipe")) {
            return Strategy.READ_WRITE;
        }
        return kind.equals("socket") ? Strategy.SPLICE : Strategy.COPY_FILE_RANGE;
    }

    interface Transfer {
        long run(FileChannel dst, ReadableByteChannel src, long position, long count) throws IOException;
    }

    private static final Transfer JDK = (dst, src, p, c) -> dst.transferFrom(src, p, c);

    private Transfer ours(TransferReport report) {
        return (dst, src, p, c) -> ZeroCopy.transferFrom(dst, src, p, c, strategy, report);
    }

    /**
     * What a transfer did: its result (a count, or the exception's class), the target's bytes, its
     * position, the source's position (a file) and what the source still gives (a stream: its
     * remaining bytes, then the last read's result, 0 or -1).
     */
    static final class Outcome {
        final Object result;
        final byte[] target;
        final long targetPosition;
        final long sourcePosition;
        final byte[] rest;
        final int restEnd;

        Outcome(Object result, byte[] target, long targetPosition, long sourcePosition, byte[] rest, int restEnd) {
            this.result = result;
            this.target = target;
            this.targetPosition = targetPosition;
            this.sourcePosition = sourcePosition;
            this.rest = rest;
            this.restEnd = restEnd;
        }

        static Outcome ofFile(Object result, byte[] target, long targetPosition, long sourcePosition) {
            return new Outcome(result, target, targetPosition, sourcePosition, new byte[0], 0);
        }

        @Override
        public boolean equals(Object o) {
            Outcome other = (Outcome) o;
            return result.equals(other.result) && Arrays.equals(target, other.target)
                    && targetPosition == other.targetPosition && sourcePosition == other.sourcePosition
                    && Arrays.equals(rest, other.rest) && restEnd == other.restEnd;
        }

        @Override
        public int hashCode() {
            return result.hashCode();
        }

        @Override
        public String toString() {
            return result + ", target " + target.length + " bytes " + Arrays.hashCode(target) + " at position "
                    + targetPosition + ", source position " + sourcePosition + ", rest " + rest.length + " bytes "
                    + Arrays.hashCode(rest) + " then " + restEnd;
        }
    }

    private static Object resultOf(Transfer t, FileChannel dst, ReadableByteChannel src, long p, long c) {
        try {
            return t.run(dst, src, p, c);
        } catch (Exception e) {
            return e.getClass();
        }
    }

    /** The count, or the exception's class and message. */
    private static Object detailedResultOf(Transfer t, FileChannel dst, ReadableByteChannel src, long p, long c) {
        try {
            return t.run(dst, src, p, c);
        } catch (Exception e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    /** {@code bytes} written into {@code before} at {@code at} (zeros in any gap). */
    static byte[] writeAt(byte[] before, long at, byte[] bytes) {
        byte[] out = Arrays.copyOf(before, (int) Math.max(before.length, at + bytes.length));
        System.arraycopy(bytes, 0, out, (int) at, bytes.length);
        return out;
    }

    private FileChannel openTarget(Path p, boolean append) throws IOException {
        FileChannel out = append ? FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                : FileChannel.open(p, StandardOpenOption.WRITE);
        out.position(TARGET_POSITION);
        return out;
    }

    // ---- File sources ----

    /** JDK 25 from a FileChannel at srcPos: min(count, what it has), at position (appended: at the end). */
    private static Outcome fileModel(byte[] data, long srcPos, boolean append, long p, long c) {
        long targetPosition = append ? TARGET.length : TARGET_POSITION;
        if (p < 0 || c < 0) {
            return Outcome.ofFile(IllegalArgumentException.class, TARGET, targetPosition, srcPos);
        }
        long n = Math.max(0, Math.min(c, data.length - srcPos));
        if (n == 0) {
            return Outcome.ofFile(0L, TARGET, targetPosition, srcPos);
        }
        byte[] moved = slice(data, srcPos, n);
        byte[] after = append ? concat(TARGET, moved) : writeAt(TARGET, p, moved);
        return Outcome.ofFile(n, after, append ? after.length : TARGET_POSITION, srcPos + n);
    }

    private Outcome fromFile(byte[] data, long srcPos, boolean append, long p, long c, Transfer t) throws IOException {
        Path src = Fixtures.file(tmp, data);
        Path dst = Fixtures.file(tmp, TARGET);
        try (FileChannel in = FileChannel.open(src); FileChannel out = openTarget(dst, append)) {
            in.position(srcPos);
            Object result = resultOf(t, out, in, p, c);
            return Outcome.ofFile(result, Files.readAllBytes(dst), out.position(), in.position());
        } finally {
            Files.delete(src);
            Files.delete(dst);
        }
    }

    @Test
    public void fileSourceOverSmallOffsetsAndCounts() throws IOException {
        int cases = 0;
        for (boolean append : new boolean[] {false, true}) {
            for (int size : new int[] {0, 1, 7, 4099, 20_000}) {
                byte[] data = pattern(size, size + 7);
                for (long srcPos : new long[] {0, 3, size, size + 5}) {
                    for (long p : new long[] {0, 9, 10, 11, 4106, -1}) {
                        for (long c : new long[] {0, 1, size, size + 5, Long.MAX_VALUE, -1}) {
                            boolean refusedIfMoving = !takesFiles() || (append && !appends());
                            if (size == 0 && c > 0 && (refusedIfMoving || strategy == Strategy.MMAP)) {
                                // An empty source, where nothing would move, but refused: a bug, see
                                // TransferFromTest.anEmptySourceFileGivesZeroForEveryStrategy (ignored).
                                continue;
                            }
                            String what = strategy + (append ? " append" : "") + " size " + size + " source at "
                                    + srcPos + " position " + p + " count " + c;
                            Outcome want = fileModel(data, srcPos, append, p, c);
                            if (JDK_IS_REFERENCE) {
                                assertEquals(what + " (the JDK)", want, fromFile(data, srcPos, append, p, c, JDK));
                            }
                            TransferReport report = new TransferReport();
                            Outcome got = fromFile(data, srcPos, append, p, c, ours(report));
                            boolean moves = want.result instanceof Long && (Long) want.result > 0;
                            if (moves && refusedIfMoving) {
                                // Refused, having moved nothing: neither file nor position changed.
                                want = Outcome.ofFile(UnsupportedOperationException.class, TARGET,
                                        append ? TARGET.length : TARGET_POSITION, srcPos);
                            }
                            assertEquals(what, want, got);
                            if (got.result instanceof Long && (Long) got.result > 0) {
                                assertEquals(what + ": " + report,
                                        append ? ran(false, true) : ranFromFile((Long) got.result), report.strategy());
                                assertEquals(what, got.result, report.bytes());
                                assertTrue(what + ": the channels' close protocol was not joined", report.registered());
                            }
                            cases++;
                        }
                    }
                }
            }
        }
        assertTrue(cases > 1000);
    }

    /** A larger file, many MiB, from the middle: the loops of every path, and the source position. */
    @Test
    public void largeFileSourceFromItsPosition() throws IOException {
        byte[] data = pattern((9 << 20) + 333, 21);
        long srcPos = 1_000_003;
        long count = 8L << 20;
        Outcome want = fileModel(data, srcPos, false, 17, count);
        if (JDK_IS_REFERENCE) {
            assertEquals("the JDK", want, fromFile(data, srcPos, false, 17, count, JDK));
        }
        TransferReport report = new TransferReport();
        Outcome got = fromFile(data, srcPos, false, 17, count, ours(report));
        if (!takesFiles()) {
            assertEquals(Outcome.ofFile(UnsupportedOperationException.class, TARGET, TARGET_POSITION, srcPos), got);
            return;
        }
        assertEquals(want, got);
        assertEquals(ranFromFile(report.bytes()), report.strategy());
    }

    // ---- Socket and pipe sources ----

    /**
     * {@code sent} written into a fresh socket or pipe (then its sender closed, if
     * {@code closeSender}), the source made blocking or not, and one transfer.
     */
    private Outcome fromStream(String kind, byte[] sent, boolean closeSender, boolean blocking, boolean append,
            long p, long c, Transfer t) throws Exception {
        Path dst = Fixtures.file(tmp, TARGET);
        try (Fixtures.Stream stream = Fixtures.Stream.open(kind); FileChannel out = openTarget(dst, append)) {
            Fixtures.writeFully(stream.sender, sent);
            if (closeSender) {
                stream.sender.close();
            }
            ((SelectableChannel) stream.source).configureBlocking(blocking);
            Thread.sleep(5); // loopback delivers within the write; a margin all the same
            Object result = resultOf(t, out, stream.source, p, c);
            int[] end = new int[1];
            byte[] rest = stream.rest(end);
            return new Outcome(result, Files.readAllBytes(dst), out.position(), -1, rest, end[0]);
        } finally {
            Files.delete(dst);
        }
    }

    /** JDK 25: min(count, what was sent) at position; the rest still in the source. */
    private static Outcome streamModel(byte[] sent, boolean closeSender, boolean append, long p, long c) {
        int end = closeSender ? -1 : 0;
        long n = Math.min(c, sent.length);
        byte[] moved = slice(sent, 0, n);
        byte[] after = n == 0 ? TARGET : append ? concat(TARGET, moved) : writeAt(TARGET, p, moved);
        return new Outcome(n, after, append ? after.length : TARGET_POSITION, -1,
                slice(sent, n, sent.length - n), end);
    }

    /** What a refused stream transfer leaves: everything as it was, every byte still in the source. */
    private static Outcome refusedStream(byte[] sent, boolean closeSender, boolean append) {
        return new Outcome(UnsupportedOperationException.class, TARGET, append ? TARGET.length : TARGET_POSITION,
                -1, sent, closeSender ? -1 : 0);
    }

    /** {blocking, sender closed, bytes sent, count}: never a blocking read that would wait forever. */
    private static final long[][] STREAM_CASES = {
        {1, 0, 30_000, 30_000},
        {1, 0, 30_000, 10_000},         // count less than available: the rest stays readable
        {1, 1, 30_000, Long.MAX_VALUE}, // to the end of the stream
        {1, 1, 0, 100},                 // at the end: 0
        {1, 0, 30_000, 0},              // count 0 reads nothing, and never blocks
        {0, 0, 0, 100},                 // non-blocking, nothing ready: 0
        {0, 0, 20_000, 100_000},        // non-blocking: exactly what is ready
        {0, 0, 20_000, 5_000},
        {0, 1, 0, 100},                 // non-blocking at the end: 0
        {0, 1, 300, 1_000},
    };

    private void streamParity(String kind, boolean append, long[] positions) throws Exception {
        for (long[] k : STREAM_CASES) {
            boolean blocking = k[0] == 1;
            boolean closeSender = k[1] == 1;
            byte[] sent = pattern((int) k[2], k[2] + k[3]);
            long c = k[3];
            for (long p : positions) {
                String what = strategy + " from a " + (blocking ? "blocking " : "non-blocking ") + kind
                        + (closeSender ? " (sender closed)" : "") + (append ? " into an append-mode file" : "")
                        + ", " + sent.length + " bytes sent, position " + p + " count " + c;
                Outcome want = streamModel(sent, closeSender, append, p, c);
                if (JDK_IS_REFERENCE) {
                    assertEquals(what + " (the JDK)", want,
                            fromStream(kind, sent, closeSender, blocking, append, p, c, JDK));
                }
                TransferReport report = new TransferReport();
                Outcome got = fromStream(kind, sent, closeSender, blocking, append, p, c, ours(report));
                if (c > 0 && (!takesStreams() || (append && !appends()))) {
                    want = refusedStream(sent, closeSender, append);
                }
                assertEquals(what, want, got);
                if (got.result instanceof Long && (Long) got.result > 0) {
                    assertEquals(what + ": " + report, ran(kind, append), report.strategy());
                    assertEquals(what, got.result, report.bytes());
                    assertTrue(what + ": the channels' close protocol was not joined", report.registered());
                }
            }
        }
    }

    @Test
    public void socketSource() throws Exception {
        streamParity("socket", false, new long[] {0, 7, 25});
    }

    @Test
    public void pipeSource() throws Exception {
        streamParity("pipe", false, new long[] {0, 7, 25});
    }

    /** AUTO and READ_WRITE append whatever the position (as pwrite on O_APPEND does); the others refuse. */
    @Test
    public void streamsIntoAnAppendModeFile() throws Exception {
        streamParity("socket", true, new long[] {0, 3, 1000});
        streamParity("pipe", true, new long[] {0, 3, 1000});
    }

    /** A bigger stream than any buffer or pipe on the way, through a peer writing in another thread. */
    @Test
    public void largeBlockingSocketSource() throws Exception {
        byte[] data = pattern((5 << 20) + 17, 31);
        for (Transfer t : JDK_IS_REFERENCE ? Arrays.asList(JDK, ours(null)) : Arrays.asList(ours(null))) {
            String what = t == JDK ? "the JDK" : strategy.toString();
            Path dst = tmp.newFile().toPath();
            SocketChannel[] pair = Fixtures.socketPair();
            Thread sender = new Thread(() -> {
                try (SocketChannel peer = pair[1]) {
                    Fixtures.writeFully(peer, data);
                } catch (IOException e) {
                    // the reader closed early: the assertions below say so
                }
            });
            sender.start();
            try (SocketChannel in = pair[0]; FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
                Object result = resultOf(t, out, in, 3, data.length + 100L);
                if (t != JDK && !takesStreams()) {
                    assertEquals(what, UnsupportedOperationException.class, result);
                    assertEquals(0, Files.size(dst));
                    in.close();
                    sender.join(10_000);
                    continue;
                }
                assertEquals(what, (long) data.length, result);
                assertEquals(what, 0, out.position());
            }
            sender.join(10_000);
            assertArrayEquals(what, concat(new byte[3], data), Files.readAllBytes(dst));
        }
    }

    // ---- 64-bit positions ----

    /**
     * Position 2^40 + 3 in a 10-byte file: the file grows to there (JDK 21+), a gap of zeros
     * between, the target's position unchanged; a refused transfer grows nothing.
     */
    @Test
    public void positionPastTheEndIn64BitSparseFile() throws Exception {
        long at = (1L << 40) + 3;
        byte[] data = pattern(30_000, 40);
        for (String kind : new String[] {"file", "socket", "pipe"}) {
            List<Transfer> transfers = new ArrayList<>();
            if (JDK_IS_REFERENCE) {
                transfers.add(JDK);
            }
            transfers.add(ours(null));
            for (Transfer t : transfers) {
                String what = (t == JDK ? "the JDK" : strategy.toString()) + " from a " + kind;
                boolean applies = t == JDK || (kind.equals("file") ? takesFiles() : takesStreams());
                Path dst = Fixtures.file(tmp, TARGET);
                Object result;
                long position;
                long sourcePosition = -1;
                try (FileChannel out = openTarget(dst, false)) {
                    if (kind.equals("file")) {
                        try (FileChannel in = FileChannel.open(Fixtures.file(tmp, data))) {
                            in.position(5);
                            result = resultOf(t, out, in, at, Long.MAX_VALUE);
                            sourcePosition = in.position();
                        }
                    } else {
                        try (Fixtures.Stream stream = Fixtures.Stream.open(kind)) {
                            Fixtures.writeFully(stream.sender, data);
                            stream.sender.close();
                            result = resultOf(t, out, stream.source, at, Long.MAX_VALUE);
                        }
                    }
                    position = out.position();
                }
                assertEquals(what, TARGET_POSITION, position);
                byte[] moved = kind.equals("file") ? slice(data, 5, data.length - 5) : data;
                if (!applies) {
                    assertEquals(what, UnsupportedOperationException.class, result);
                    assertArrayEquals(what + ": a refused transfer changed the file", TARGET, Files.readAllBytes(dst));
                    assertEquals(what, kind.equals("file") ? 5 : -1, sourcePosition);
                    Files.delete(dst);
                    continue;
                }
                assertEquals(what, (long) moved.length, result);
                assertEquals(what, at + moved.length, Files.size(dst));
                assertEquals(what, kind.equals("file") ? data.length : -1, sourcePosition);
                assertArrayEquals(what, moved, Fixtures.readAt(dst, at, moved.length + 10));
                assertArrayEquals(what, TARGET, Fixtures.readAt(dst, 0, TARGET.length));
                assertArrayEquals(what + ": the gap", new byte[4096], Fixtures.readAt(dst, TARGET.length, 4096));
                assertArrayEquals(what + ": the gap", new byte[4096], Fixtures.readAt(dst, at - 4096, 4096));
                Files.delete(dst);
            }
        }
    }

    // ---- Sources that report size 0 ----

    /** JDK 21+ read a FileChannel that reports size 0 to its end (JDK 17 returns 0). */
    @Test
    public void procFileReadToItsEnd() throws Exception {
        Path proc = Paths.get("/proc/version");
        byte[] want = Files.readAllBytes(proc);
        assertTrue(want.length > 20);
        List<Transfer> transfers = new ArrayList<>();
        if (JDK_IS_REFERENCE) {
            transfers.add(JDK);
        }
        TransferReport report = new TransferReport();
        transfers.add(ours(report));
        for (Transfer t : transfers) {
            String what = t == JDK ? "the JDK" : strategy.toString();
            Path dst = Fixtures.file(tmp, TARGET);
            Object result;
            long sourcePosition;
            try (FileChannel in = FileChannel.open(proc); FileChannel out = openTarget(dst, false)) {
                assertEquals(0, in.size());
                in.position(2);
                result = detailedResultOf(t, out, in, 3, 1 << 20);
                sourcePosition = in.position();
                assertEquals(what, TARGET_POSITION, out.position());
            }
            if (t != JDK && strategy == Strategy.SPLICE && !(result instanceof Long)) {
                // procfs cannot splice this file: the kernel's refusal, nothing moved.
                assertTrue(what + ": " + result, result.toString().startsWith(IOException.class.getName()));
                assertArrayEquals(what, TARGET, Files.readAllBytes(dst));
                assertEquals(what, 2, sourcePosition);
                continue;
            }
            if (t != JDK && strategy == Strategy.MMAP) {
                // MMAP has no length to map.
                assertTrue(what + ": " + result, result.toString().startsWith(
                        UnsupportedOperationException.class.getName() + ": " + strategy));
                assertArrayEquals(what, TARGET, Files.readAllBytes(dst));
                assertEquals(what, 2, sourcePosition);
                continue;
            }
            if (t != JDK && strategy == Strategy.COPY_FILE_RANGE) {
                continue; // TransferFromTest.copyFileRangeFromAProcFile (ignored, a bug)
            }
            if (t != JDK && strategy == Strategy.SENDFILE) {
                // Exactly what SENDFILE's transferTo does with this file: the bytes, or the kernel's refusal.
                Object sendfileTo = transferToFile(proc);
                if (!(sendfileTo instanceof Long)) {
                    assertEquals(what, sendfileTo, result);
                    continue;
                }
            }
            assertEquals(what, (long) want.length - 2, result);
            assertArrayEquals(what, writeAt(TARGET, 3, slice(want, 2, want.length - 2)), Files.readAllBytes(dst));
            assertEquals(what, want.length, sourcePosition);
        }
        if (strategy == Strategy.AUTO) {
            // copy_file_range from /proc into another file system is EXDEV: read/write instead.
            assertTrue(report.toString(), report.strategy() == Strategy.COPY_FILE_RANGE
                    || report.strategy() == Strategy.READ_WRITE);
        }
    }

    /** ZeroCopy.transferTo with this strategy from the file into a new file: the count or the exception's class. */
    private Object transferToFile(Path source) throws IOException {
        Path dst = tmp.newFile().toPath();
        try (FileChannel in = FileChannel.open(source); FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            return ZeroCopy.transferTo(in, 0, 1 << 20, out, strategy);
        } catch (IOException | RuntimeException e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    /**
     * /proc/self/status changes from read to read (memory, context switches), so: a stable prefix,
     * read exactly from the source's position; and the whole file, read to its last line.
     */
    @Test
    public void procSelfStatus() throws Exception {
        Path proc = Paths.get("/proc/self/status");
        // From byte 10 to the State's letter ("Name:\tjava\nUmask:\t0022\nState:\t"): never changes.
        byte[] status = Files.readAllBytes(proc);
        int stateAt = new String(status, StandardCharsets.US_ASCII).indexOf("\nState:\t") + 8;
        assertTrue(stateAt > 20);
        byte[] stable = slice(status, 10, stateAt - 10);
        List<Transfer> transfers = new ArrayList<>();
        if (JDK_IS_REFERENCE) {
            transfers.add(JDK);
        }
        transfers.add(ours(null));
        boolean refused = strategy == Strategy.MMAP;
        for (Transfer t : transfers) {
            String what = t == JDK ? "the JDK" : strategy.toString();
            if (t != JDK && strategy == Strategy.COPY_FILE_RANGE) {
                continue; // TransferFromTest.copyFileRangeFromAProcFile (ignored, a bug)
            }
            Path dst = tmp.newFile().toPath();
            try (FileChannel in = FileChannel.open(proc); FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
                in.position(10);
                Object result = detailedResultOf(t, out, in, 0, stable.length);
                if (t != JDK && strategy == Strategy.SENDFILE) {
                    // Exactly what SENDFILE's transferTo does with this file: the bytes, or the kernel's refusal.
                    Object sendfileTo = transferToFile(proc);
                    if (!(sendfileTo instanceof Long)) {
                        assertEquals(what, sendfileTo, result);
                        assertEquals(what, 10, in.position());
                        assertEquals(what, 0, Files.size(dst));
                        continue;
                    }
                }
                if (t != JDK && strategy == Strategy.SPLICE && !(result instanceof Long)) {
                    // procfs cannot splice this file: the kernel's refusal, nothing moved.
                    assertTrue(what + ": " + result, result.toString().startsWith(IOException.class.getName()));
                    assertEquals(what, 10, in.position());
                    assertEquals(what, 0, Files.size(dst));
                    continue;
                }
                if (t != JDK && refused) {
                    assertTrue(what + ": " + result, result.toString().startsWith(
                            UnsupportedOperationException.class.getName() + ": " + strategy));
                    assertEquals(what, 10, in.position());
                    assertEquals(what, 0, Files.size(dst));
                    continue;
                }
                assertEquals(what, (long) stable.length, result);
                assertEquals(what, stateAt, in.position());
                assertArrayEquals(what, stable, Files.readAllBytes(dst));
                in.position(0);
                out.truncate(0);
                Object all = resultOf(t, out, in, 0, Long.MAX_VALUE);
                String text = new String(Files.readAllBytes(dst), StandardCharsets.US_ASCII);
                assertEquals(what, (long) text.length(), all);
                assertEquals(what, text.length(), in.position());
                assertTrue(what + ": " + text, text.startsWith("Name:\t"));
                // Read to its end: the last line is whole, and it is the file's last field.
                assertTrue(what + ": " + text, text.endsWith("\n"));
                String[] lines = text.split("\n");
                assertTrue(what + ": " + text, lines[lines.length - 1].matches("nonvoluntary_ctxt_switches:\t\\d+"));
            }
        }
    }

    // ---- A channel without a file descriptor ----

    /**
     * Channels.newChannel(InputStream): AUTO runs the JDK's transferFrom (with JDK 25's rules on
     * JDK 17: a position past the end grows the file), an explicit strategy refuses and reads nothing.
     */
    @Test
    public void foreignReadableByteChannel() throws Exception {
        byte[] data = pattern(20_000, 6);
        for (long[] pc : new long[][] {{0, 30_000}, {0, 5_000}, {25, Long.MAX_VALUE}, {3, 0}}) {
            long p = pc[0];
            long c = pc[1];
            String what = strategy + " position " + p + " count " + c;
            ByteArrayInputStream bytes = new ByteArrayInputStream(data);
            ReadableByteChannel foreign = Channels.newChannel(bytes);
            Path dst = Fixtures.file(tmp, TARGET);
            TransferReport report = new TransferReport();
            Object result;
            try (FileChannel out = openTarget(dst, false)) {
                result = resultOf(ours(report), out, foreign, p, c);
                assertEquals(what, TARGET_POSITION, out.position());
            }
            long n = Math.min(c, data.length);
            if (strategy != Strategy.AUTO && c > 0) {
                assertEquals(what, UnsupportedOperationException.class, result);
                assertArrayEquals(what, TARGET, Files.readAllBytes(dst));
                assertEquals(what + ": read from a refused channel", data.length, bytes.available());
                continue;
            }
            assertEquals(what, n, result);
            assertArrayEquals(what, n == 0 ? TARGET : writeAt(TARGET, p, slice(data, 0, n)), Files.readAllBytes(dst));
            assertEquals(what + ": the rest stays readable", data.length - n, bytes.available());
            if (n > 0) {
                assertEquals(what, Strategy.JDK, report.strategy());
                assertEquals(what, n, report.bytes());
            }
        }
    }

    /** ZeroCopy.wrap: the wrapper's transferFrom is ZeroCopy's (default strategy), and a wrapped source is unwrapped. */
    @Test
    public void wrappedChannels() throws Exception {
        byte[] data = pattern(50_000, 8);
        Path src = Fixtures.file(tmp, data);
        Path dst = Fixtures.file(tmp, TARGET);
        TransferReport report = new TransferReport();
        try (FileChannel in = ZeroCopy.wrap(FileChannel.open(src)); FileChannel out = ZeroCopy.wrap(openTarget(dst, false))) {
            in.position(100);
            if (!takesFiles()) {
                try {
                    ZeroCopy.transferFrom(out, in, 20, 1000, strategy, report);
                    fail(strategy + " from a wrapped file");
                } catch (UnsupportedOperationException expected) {
                    assertEquals(100, in.position());
                }
            } else {
                assertEquals(1000, ZeroCopy.transferFrom(out, in, 20, 1000, strategy, report));
                assertEquals("the wrapped source was not unwrapped: " + report, ran(false, false), report.strategy());
                assertEquals(1100, in.position());
                assertEquals(TARGET_POSITION, out.position());
            }
            assertEquals(data.length - in.position(), out.transferFrom(in, 5000, Long.MAX_VALUE));
            assertEquals(data.length, in.position());
        }
        byte[] want = writeAt(TARGET, 5000, slice(data, takesFiles() ? 1100 : 100, data.length - (takesFiles() ? 1100 : 100)));
        if (takesFiles()) {
            want = writeAt(want, 20, slice(data, 100, 1000));
        }
        assertArrayEquals(want, Files.readAllBytes(dst));
    }
}
