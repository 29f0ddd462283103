package dev.zerocopy;

import static dev.zerocopy.Fixtures.drain;
import static dev.zerocopy.Fixtures.get;
import static dev.zerocopy.Fixtures.pattern;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/** Exceptions, their order, interrupts and closes: JDK 25's behaviour, on every JDK. */
@RunWith(Parameterized.class)
public class TransferErrorsTest {
    @Parameters(name = "{0}")
    public static List<Object[]> data() {
        return Fixtures.strategies();
    }

    @Parameter
    public Strategy strategy;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    interface Call {
        long run(Strategy s) throws IOException;
    }

    /** The exception class (or the result) of a call, through ZeroCopy with strategy s. */
    private static Object outcome(Call call, Strategy s) {
        try {
            return call.run(s);
        } catch (Exception e) {
            return e.getClass();
        }
    }

    /** Through the JDK and through our strategy, the same exception class or result. */
    private void assertSameAsJdk(String what, Class<?> expected, Call call) {
        assertEquals(what + " (the JDK)", expected, outcome(call, Strategy.JDK));
        assertEquals(what + " (" + strategy + ")", expected, outcome(call, strategy));
    }

    private Path source(int size) throws IOException {
        return Fixtures.file(tmp, pattern(size, 1));
    }

    private FileChannel target() throws IOException {
        return FileChannel.open(tmp.newFile().toPath(), StandardOpenOption.WRITE);
    }

    @Test
    public void checkOrderAndExceptionClasses() throws IOException {
        Path src = source(100);
        FileChannel closedSrc = FileChannel.open(src);
        closedSrc.close();
        FileChannel closedDst = target();
        closedDst.close();
        try (FileChannel in = FileChannel.open(src);
                FileChannel writeOnly = FileChannel.open(src, StandardOpenOption.WRITE);
                FileChannel readOnly = FileChannel.open(src);
                FileChannel out = target()) {
            assertSameAsJdk("closed source", ClosedChannelException.class,
                    s -> ZeroCopy.transferTo(closedSrc, 0, 10, out, s));
            assertSameAsJdk("closed source, null target", ClosedChannelException.class,
                    s -> ZeroCopy.transferTo(closedSrc, 0, 10, null, s));
            assertSameAsJdk("closed source, negative position", ClosedChannelException.class,
                    s -> ZeroCopy.transferTo(closedSrc, -1, 10, out, s));
            assertSameAsJdk("null target", NullPointerException.class,
                    s -> ZeroCopy.transferTo(in, 0, 10, null, s));
            assertSameAsJdk("closed target", ClosedChannelException.class,
                    s -> ZeroCopy.transferTo(in, 0, 10, closedDst, s));
            assertSameAsJdk("closed target, negative count", ClosedChannelException.class,
                    s -> ZeroCopy.transferTo(in, 0, -1, closedDst, s));
            assertSameAsJdk("unreadable source", NonReadableChannelException.class,
                    s -> ZeroCopy.transferTo(writeOnly, 0, 10, out, s));
            assertSameAsJdk("unreadable source, negative position", NonReadableChannelException.class,
                    s -> ZeroCopy.transferTo(writeOnly, -1, 10, out, s));
            assertSameAsJdk("read-only target", NonWritableChannelException.class,
                    s -> ZeroCopy.transferTo(in, 0, 10, readOnly, s));
            assertSameAsJdk("read-only target, negative count", NonWritableChannelException.class,
                    s -> ZeroCopy.transferTo(in, 0, -1, readOnly, s));
            assertSameAsJdk("negative position", IllegalArgumentException.class,
                    s -> ZeroCopy.transferTo(in, -1, 10, out, s));
            assertSameAsJdk("negative count", IllegalArgumentException.class,
                    s -> ZeroCopy.transferTo(in, 0, -1, out, s));
            assertSameAsJdk("negative count, position past the end", IllegalArgumentException.class,
                    s -> ZeroCopy.transferTo(in, 1000, -1, out, s));
            assertEquals(0, out.size());
            assertEquals(0, in.position());
        }
        try {
            ZeroCopy.transferTo(null, 0, 1, null, strategy);
            fail("null source");
        } catch (NullPointerException expected) {
            // as src.transferTo would
        }
    }

    /** JDK 25: NotYetConnectedException, even for count 0, unless the position is past the end (JDK 17: 0 or EPIPE). */
    @Test
    public void unconnectedSocketTarget() throws IOException {
        Path src = source(100);
        try (FileChannel in = FileChannel.open(src); SocketChannel unconnected = SocketChannel.open()) {
            for (long count : new long[] {0, 10}) {
                try {
                    ZeroCopy.transferTo(in, 0, count, unconnected, strategy);
                    fail("count " + count);
                } catch (NotYetConnectedException expected) {
                    // JDK 25
                }
            }
            assertEquals(0, ZeroCopy.transferTo(in, 101, 10, unconnected, strategy));
            assertTrue(unconnected.isOpen());
        }
    }

    /** JDK 25: AsynchronousCloseException with a suppressed ClosedChannelException (JDK 17: "Broken pipe"). */
    @Test
    public void shutDownOutput() throws Exception {
        Path src = source(100);
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel in = FileChannel.open(src); SocketChannel out = pair[0]; SocketChannel peer = pair[1]) {
            out.shutdownOutput();
            try {
                ZeroCopy.transferTo(in, 0, 10, out, strategy);
                fail("transfer to a shut-down output");
            } catch (AsynchronousCloseException expected) {
                assertEquals(AsynchronousCloseException.class, expected.getClass());
                assertEquals(ClosedChannelException.class, expected.getSuppressed()[0].getClass());
            }
            assertEquals(-1, peer.read(ByteBuffer.allocate(10)));
        }
    }

    /** A peer that half-closed (shut its output) but reads on gets every byte. */
    @Test
    public void peerHalfClosed() throws Exception {
        byte[] data = pattern(3 << 20, 9);
        Path src = Fixtures.file(tmp, data);
        SocketChannel[] pair = Fixtures.socketPair();
        pair[1].shutdownOutput();
        Future<byte[]> peer = drain(pair[1]);
        try (FileChannel in = FileChannel.open(src); SocketChannel out = pair[0]) {
            assertEquals(-1, out.read(ByteBuffer.allocate(1))); // the peer's FIN has arrived
            assertEquals(data.length, ZeroCopy.transferTo(in, 0, data.length, out, strategy));
        }
        assertArrayEquals(data, get(peer));
    }

    /** A peer that resets: an IOException (the class itself) with the system's text. */
    @Test
    public void peerReset() throws Exception {
        Path src = source(1 << 20);
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel in = FileChannel.open(src); SocketChannel out = pair[0]) {
            pair[1].setOption(StandardSocketOptions.SO_LINGER, 0);
            pair[1].close(); // RST
            IOException failure = null;
            for (int i = 0; i < 100 && failure == null; i++) {
                try {
                    ZeroCopy.transferTo(in, 0, 1 << 20, out, strategy);
                } catch (IOException e) {
                    failure = e;
                }
            }
            assertTrue("no error after a reset", failure != null);
            assertEquals(IOException.class, failure.getClass());
            assertTrue(failure.getMessage(), Arrays.asList("Connection reset by peer", "Broken pipe")
                    .contains(failure.getMessage()));
        }
    }

    /** JDK 25: an interrupted thread closes both channels and keeps its interrupt status. */
    @Test
    public void interruptedBeforeTheCall() throws Exception {
        Path src = source(100);
        SocketChannel[] pair = Fixtures.socketPair();
        FileChannel in = FileChannel.open(src);
        SocketChannel out = pair[0];
        try {
            Thread.currentThread().interrupt();
            ZeroCopy.transferTo(in, 0, 10, out, strategy);
            fail("an interrupted thread transferred");
        } catch (ClosedByInterruptException expected) {
            assertTrue("interrupt status lost", Thread.interrupted());
            assertFalse(in.isOpen());
            assertFalse(out.isOpen());
        } finally {
            Thread.interrupted();
            in.close();
            out.close();
            pair[1].close();
        }
    }

    /** A sparse 1 GiB source to a peer that reads slowly but keeps reading. */
    private long[] transferInThread(FileChannel in, WritableByteChannel out, AtomicReference<Throwable> thrown,
            Thread[] worker) {
        long[] result = {-1};
        worker[0] = new Thread(() -> {
            try {
                result[0] = ZeroCopy.transferTo(in, 0, 1L << 30, out, strategy);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        worker[0].start();
        return result;
    }

    private FileChannel sparseGiB() throws IOException {
        Path p = tmp.newFile().toPath();
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(1L << 30);
        }
        return FileChannel.open(p);
    }

    @Test
    public void interruptedDuringALongTransfer() throws Exception {
        SocketChannel[] pair = Fixtures.socketPair();
        Future<byte[]> peer = slowReader(pair[1]);
        try (FileChannel in = sparseGiB(); SocketChannel out = pair[0]) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread[] worker = new Thread[1];
            transferInThread(in, out, thrown, worker);
            Thread.sleep(200);
            worker[0].interrupt();
            worker[0].join(30_000);
            assertFalse("the transfer did not stop", worker[0].isAlive());
            assertEquals(ClosedByInterruptException.class, thrown.get() == null ? null : thrown.get().getClass());
            assertFalse(in.isOpen());
            assertFalse(out.isOpen());
        }
        get(peer);
    }

    @Test
    public void targetClosedDuringALongTransfer() throws Exception {
        SocketChannel[] pair = Fixtures.socketPair();
        Future<byte[]> peer = slowReader(pair[1]);
        try (FileChannel in = sparseGiB(); SocketChannel out = pair[0]) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread[] worker = new Thread[1];
            long[] result = transferInThread(in, out, thrown, worker);
            Thread.sleep(200);
            out.close();
            worker[0].join(30_000);
            assertFalse("the transfer did not stop", worker[0].isAlive());
            if (thrown.get() != null) {
                assertEquals(AsynchronousCloseException.class, thrown.get().getClass());
            } else {
                assertTrue("partial count " + result[0], result[0] > 0 && result[0] < 1L << 30);
            }
            assertTrue(in.isOpen());
        }
        byte[] got = get(peer);
        assertArrayEquals(new byte[got.length], got); // the sparse file's zeros, nothing else
    }

    /** Reads everything, 64 KiB at a time with a pause: a live peer that never lets the sender finish soon. */
    private static Future<byte[]> slowReader(SocketChannel peer) {
        return drain(peer, dst -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ByteBuffer limited = dst.duplicate();
            limited.limit(Math.min(dst.limit(), dst.position() + (64 << 10)));
            int n = peer.read(limited);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        });
    }
}
