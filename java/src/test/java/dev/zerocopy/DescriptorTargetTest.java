package dev.zerocopy;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * ZeroCopy.transferToDescriptor: a socket known by its descriptor number (what Netty's epoll
 * transport gives ZeroCopyFileRegion), for each native strategy and the JDK.
 */
@RunWith(Parameterized.class)
public class DescriptorTargetTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Parameters(name = "{0}")
    public static List<Object[]> strategies() {
        return Fixtures.strategiesAndJdk();
    }

    @Parameter
    public Strategy strategy;

    private static int fd(SocketChannel socket) {
        assumeTrue("the JDK's channel internals are known here", ZeroCopy.REGISTERS);
        return JdkChannels.fdVal(true, socket);
    }

    @Test
    public void sendsTheBytesAndMovesNoPosition() throws Exception {
        byte[] data = Fixtures.pattern(3 << 20, 7);
        Path p = Fixtures.file(tmp, data);
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel src = FileChannel.open(p); SocketChannel target = pair[0]) {
            src.position(5);
            Future<byte[]> got = Fixtures.drain(pair[1]);
            TransferReport report = new TransferReport();
            long n = ZeroCopy.transferToDescriptor(src, 1000, data.length, target, fd(target), strategy, report);
            assertEquals(data.length - 1000, n);
            assertEquals(5, src.position());
            assertEquals(n, report.bytes());
            if (strategy == Strategy.AUTO) {
                assertEquals(Strategy.SENDFILE, report.strategy());
            } else {
                assertEquals(strategy, report.strategy());
            }
            target.close();
            assertArrayEquals(Fixtures.slice(data, 1000, n), Fixtures.get(got));
        }
    }

    @Test
    public void aFullNonBlockingSocketTakesWhatFitsThenNothing() throws Exception {
        byte[] data = Fixtures.pattern(32 << 20, 8);
        Path p = Fixtures.file(tmp, data);
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel src = FileChannel.open(p); SocketChannel target = pair[0]; SocketChannel peer = pair[1]) {
            target.configureBlocking(false);
            long first = ZeroCopy.transferToDescriptor(src, 0, data.length, target, fd(target), strategy, null);
            assertTrue("some bytes fit: " + first, first > 0 && first < data.length);
            if (strategy != Strategy.JDK) {
                // JDK 17's arbitrary-channel path may stop after one 8 KiB chunk instead
                assertEquals(0, ZeroCopy.transferToDescriptor(src, first, data.length, target, fd(target), strategy,
                        null));
            }
            ByteBuffer head = ByteBuffer.allocate(4096);
            while (head.hasRemaining()) {
                peer.read(head);
            }
            assertArrayEquals(Fixtures.slice(data, 0, 4096), head.array());
        }
    }

    @Test
    public void checksAsTransferToDoes() throws Exception {
        assumeTrue(strategy != Strategy.JDK);
        Path p = Fixtures.file(tmp, Fixtures.pattern(100, 9));
        SocketChannel[] pair = Fixtures.socketPair();
        try (SocketChannel target = pair[0]; SocketChannel peer = pair[1]) {
            int fd = fd(target);
            try (FileChannel src = FileChannel.open(p)) {
                try {
                    ZeroCopy.transferToDescriptor(src, -1, 10, target, fd, strategy, null);
                    fail("negative position");
                } catch (IllegalArgumentException expected) {
                }
                try {
                    ZeroCopy.transferToDescriptor(src, 0, 10, target, -1, strategy, null);
                    fail("no descriptor");
                } catch (IllegalArgumentException expected) {
                }
                try {
                    ZeroCopy.transferToDescriptor(src, 0, 10, target, fd, null, null);
                    fail("no strategy");
                } catch (NullPointerException expected) {
                }
                assertEquals(0, ZeroCopy.transferToDescriptor(src, 100, 10, target, fd, strategy, null));
            }
            try (FileChannel writeOnly = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ZeroCopy.transferToDescriptor(writeOnly, 0, 10, target, fd, strategy, null);
                fail("a source not open for reading");
            } catch (NonReadableChannelException expected) {
            }
            FileChannel closed = FileChannel.open(p);
            closed.close();
            try {
                ZeroCopy.transferToDescriptor(closed, 0, 10, target, fd, strategy, null);
                fail("a closed source");
            } catch (ClosedChannelException expected) {
            }
        }
    }

    @Test
    public void anInterruptClosesBothAndKeepsTheStatus() throws Exception {
        assumeTrue(strategy != Strategy.JDK);
        Path p = Fixtures.file(tmp, Fixtures.pattern(100, 10));
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel src = FileChannel.open(p); SocketChannel target = pair[0]; SocketChannel peer = pair[1]) {
            int fd = fd(target);
            Thread.currentThread().interrupt();
            try {
                ZeroCopy.transferToDescriptor(src, 0, 100, target, fd, strategy, null);
                fail("interrupted");
            } catch (ClosedByInterruptException expected) {
                assertTrue(Thread.interrupted());
            }
            assertFalse(src.isOpen());
            assertFalse(target.isOpen());
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    public void aWrappedSourceIsUnwrapped() throws Exception {
        byte[] data = Fixtures.pattern(10_000, 11);
        Path p = Fixtures.file(tmp, data);
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel src = ZeroCopy.wrap(FileChannel.open(p)); SocketChannel target = pair[0]) {
            Future<byte[]> got = Fixtures.drain(pair[1]);
            assertEquals(data.length, ZeroCopy.transferToDescriptor(src, 0, data.length, target, fd(target), strategy,
                    null));
            target.close();
            assertArrayEquals(data, Fixtures.get(got));
        }
    }

    @Test
    public void aPeerThatLeftIsBrokenPipe() throws Exception {
        assumeTrue(strategy != Strategy.JDK);
        byte[] data = Fixtures.pattern(8 << 20, 12);
        Path p = Fixtures.file(tmp, data);
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel src = FileChannel.open(p); SocketChannel target = pair[0]) {
            pair[1].close();
            long sent = 0;
            try {
                for (int i = 0; i < 100; i++) {
                    sent += ZeroCopy.transferToDescriptor(src, 0, data.length, target, fd(target), strategy, null);
                }
                fail("no error after " + sent + " bytes");
            } catch (IOException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("Broken pipe")
                        || e.getMessage().contains("Connection reset"));
            }
            assertTrue(src.isOpen());
        }
    }

    /**
     * A blocking target whose peer stopped reading: an interrupt, or a close of the source, ends the
     * call, with the JDK's exception, or with the count of the bytes that went before it (as the
     * JDK returns what its sendfile returned when the signal came).
     */
    @Test(timeout = 60_000)
    public void anInterruptOrACloseEndsACallBlockedOnAStalledPeer() throws Exception {
        assumeTrue(strategy != Strategy.JDK);
        Path p = Fixtures.file(tmp, Fixtures.pattern(32 << 20, 13));
        for (boolean interrupt : new boolean[] {true, false}) {
            SocketChannel[] pair = Fixtures.socketPair();
            FileChannel src = FileChannel.open(p);
            Thread caller = Thread.currentThread();
            Thread other = new Thread(() -> {
                try {
                    Thread.sleep(300);
                    if (interrupt) {
                        caller.interrupt();
                    } else {
                        src.close();
                    }
                } catch (InterruptedException | IOException e) {
                    throw new AssertionError(e);
                }
            });
            try (SocketChannel target = pair[0]; SocketChannel peer = pair[1]) {
                other.start();
                try {
                    long n = ZeroCopy.transferToDescriptor(src, 0, 32 << 20, target, fd(target), strategy, null);
                    assertTrue("a part: " + n, n > 0 && n < 32 << 20);
                    assertEquals(interrupt, Thread.interrupted());
                } catch (ClosedByInterruptException e) {
                    assertTrue(interrupt);
                    assertTrue(Thread.interrupted());
                    assertFalse(target.isOpen());
                } catch (AsynchronousCloseException e) {
                    assertFalse(interrupt);
                    assertTrue(target.isOpen());
                }
                assertFalse(src.isOpen());
            } finally {
                other.join();
                Thread.interrupted();
                src.close();
            }
        }
    }
}
