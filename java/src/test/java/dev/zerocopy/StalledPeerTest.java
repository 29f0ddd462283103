package dev.zerocopy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * A peer that stops reading, over a TCP socket and a pipe. A blocking transfer then blocks in the
 * kernel, and must still end, as JDK 25's does, when its thread is interrupted
 * (ClosedByInterruptException, both channels closed) or when another thread closes the target or
 * the source (the bytes moved so far, or AsynchronousCloseException). A non-blocking one returns
 * what fitted, then 0.
 */
@RunWith(Parameterized.class)
public class StalledPeerTest {
    private static final long SIZE = 1L << 30;

    @Parameters(name = "{0} to a {1}")
    public static List<Object[]> data() {
        List<Object[]> out = new ArrayList<>();
        for (Strategy s : Fixtures.NATIVE_STRATEGIES) {
            out.add(new Object[] {s, "socket"});
            out.add(new Object[] {s, "pipe"});
        }
        return out;
    }

    @Parameter(0)
    public Strategy strategy;

    @Parameter(1)
    public String targetKind;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** A target whose other end never reads. */
    private static final class Stalled implements Closeable {
        final WritableByteChannel target;
        final Closeable peer;

        Stalled(WritableByteChannel target, Closeable peer) {
            this.target = target;
            this.peer = peer;
        }

        @Override
        public void close() throws IOException {
            target.close();
            peer.close();
        }
    }

    private Stalled stalled() throws IOException {
        if (targetKind.equals("socket")) {
            SocketChannel[] pair = Fixtures.socketPair();
            return new Stalled(pair[0], pair[1]);
        }
        Pipe pipe = Pipe.open();
        return new Stalled(pipe.sink(), pipe.source());
    }

    private FileChannel sparseGiB() throws IOException {
        Path p = tmp.newFile().toPath();
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(SIZE);
        }
        return FileChannel.open(p);
    }

    /** One transfer of the whole file in its own thread. */
    private final class Worker extends Thread {
        final FileChannel in;
        final WritableByteChannel out;
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        volatile long result = -1;
        /** A response (ZeroCopy.sendFile with a header and trailer) instead of a transferTo. */
        boolean response;

        Worker(FileChannel in, WritableByteChannel out) {
            this.in = in;
            this.out = out;
        }

        Worker response() {
            response = true;
            return this;
        }

        @Override
        public void run() {
            try {
                ByteBuffer[] header = {ByteBuffer.wrap(new byte[200])};
                result = response
                        ? ZeroCopy.sendFile(out, header, in, 0, SIZE, header.clone(), strategy)
                        : ZeroCopy.transferTo(in, 0, SIZE, out, strategy);
            } catch (Throwable t) {
                thrown.set(t);
            }
        }

        /** Starts it and checks it is blocked: the peer never reads, so it cannot finish. */
        Worker startBlocked() throws InterruptedException {
            start();
            Thread.sleep(300);
            assertTrue("returned " + result + " / threw " + thrown.get() + " with a peer that never reads",
                    isAlive());
            return this;
        }

        /**
         * Waits for it to end (it must: a hang fails here, not by the build's timeout), and prints
         * how long that took (`gradle test -i` shows it; not asserted, these machines are noisy).
         */
        void ends(String after) throws InterruptedException {
            long start = System.nanoTime();
            join(20_000);
            assertFalse(strategy + " to a " + targetKind + ": still blocked " + after, isAlive());
            System.out.printf("StalledPeerTest: %s to a %s ended %d ms %s%n", strategy, targetKind,
                    (System.nanoTime() - start) / 1_000_000, after);
        }

        /** JDK 25 after an async close: the bytes moved so far, or AsynchronousCloseException if none. */
        void assertPartialOrAsyncClose() {
            if (thrown.get() != null) {
                assertEquals(AsynchronousCloseException.class, thrown.get().getClass());
            } else {
                assertTrue("partial count " + result, result > 0 && result < SIZE);
            }
        }
    }

    @Test
    public void interruptEndsIt() throws Exception {
        try (FileChannel in = sparseGiB(); Stalled out = stalled()) {
            Worker w = new Worker(in, out.target).startBlocked();
            w.interrupt();
            w.ends("after Thread.interrupt()");
            Throwable t = w.thrown.get();
            assertEquals("result " + w.result, ClosedByInterruptException.class, t == null ? null : t.getClass());
            assertFalse("source left open", in.isOpen());
            assertFalse("target left open", out.target.isOpen());
        }
    }

    /** The same for a response: a blocked ZeroCopy.sendFile ends as a blocked transferTo does. */
    @Test
    public void interruptEndsAResponse() throws Exception {
        try (FileChannel in = sparseGiB(); Stalled out = stalled()) {
            Worker w = new Worker(in, out.target).response().startBlocked();
            w.interrupt();
            w.ends("after Thread.interrupt() (sendFile)");
            Throwable t = w.thrown.get();
            assertEquals("result " + w.result, ClosedByInterruptException.class, t == null ? null : t.getClass());
            assertFalse("source left open", in.isOpen());
            assertFalse("target left open", out.target.isOpen());
        }
    }

    @Test
    public void closingTheTargetEndsAResponse() throws Exception {
        try (FileChannel in = sparseGiB(); Stalled out = stalled()) {
            Worker w = new Worker(in, out.target).response().startBlocked();
            out.target.close();
            w.ends("after the target was closed (sendFile)");
            w.assertPartialOrAsyncClose();
            assertTrue(in.isOpen());
        }
    }

    @Test
    public void closingTheTargetEndsIt() throws Exception {
        try (FileChannel in = sparseGiB(); Stalled out = stalled()) {
            Worker w = new Worker(in, out.target).startBlocked();
            out.target.close();
            w.ends("after the target was closed");
            w.assertPartialOrAsyncClose();
            assertTrue(in.isOpen());
        }
    }

    @Test
    public void closingTheSourceEndsIt() throws Exception {
        try (FileChannel in = sparseGiB(); Stalled out = stalled()) {
            Worker w = new Worker(in, out.target).startBlocked();
            in.close();
            w.ends("after the source was closed");
            w.assertPartialOrAsyncClose();
            assertTrue(out.target.isOpen());
        }
    }

    /** Non-blocking: what fits in the buffers, then 0, never blocking and never an exception. */
    @Test
    public void nonBlockingReturnsZeroOnceFull() throws Exception {
        try (FileChannel in = sparseGiB(); Stalled out = stalled()) {
            ((SelectableChannel) out.target).configureBlocking(false);
            long first = ZeroCopy.transferTo(in, 0, SIZE, out.target, strategy);
            assertTrue("first " + first, first > 0 && first < SIZE);
            // ACKs arriving meanwhile may make room for a few more bytes; then 0, and 0 again.
            long sent = first;
            long more = -1;
            for (int i = 0; i < 50 && more != 0; i++) {
                more = ZeroCopy.transferTo(in, sent, SIZE - sent, out.target, strategy);
                sent += more;
            }
            assertEquals(0, more);
            assertEquals(0, ZeroCopy.transferTo(in, sent, SIZE - sent, out.target, strategy));
        }
    }
}
