package dev.zerocopy;

import static dev.zerocopy.Fixtures.drain;
import static dev.zerocopy.Fixtures.get;
import static dev.zerocopy.Fixtures.pattern;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A channel closed by another thread mid-transfer frees its fd number, and files opened right
 * after take it. The library must never write to those files nor read from them: it holds the
 * channels' own close protocol for the call, so a close waits for it (docs/close-protocol.md;
 * JDK 17's own transferTo does not for its target, and has exactly this bug). 1000
 * closes of each side, spread over the strategies, each once the peer has received its first
 * bytes (so the transfer is under way) and after a random 0-2 ms more.
 */
public class FdReuseStressTest {
    private static final int ROUNDS = 250; // per strategy and side
    private static final int SIZE = 32 << 20;
    private static final int GRABBERS = 16;

    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    private static byte[] data;
    private static Path source;
    private static Path poison;

    @BeforeClass
    public static void files() throws IOException {
        data = pattern(SIZE, 77);
        source = Fixtures.file(tmp, data);
        byte[] bad = new byte[SIZE];
        java.util.Arrays.fill(bad, (byte) 0x5A);
        poison = Fixtures.file(tmp, bad);
    }

    /** Transfers the whole source in a loop until done or an exception; returns the thread. */
    private static Thread sender(FileChannel in, SocketChannel out, Strategy strategy) {
        Thread t = new Thread(() -> {
            long done = 0;
            try {
                while (done < SIZE) {
                    done += ZeroCopy.transferTo(in, done, SIZE - done, out, strategy);
                }
            } catch (IOException expected) {
                // AsynchronousCloseException, ClosedChannelException, EPIPE: all fine here
            }
        });
        t.start();
        return t;
    }

    /** Reads everything in another thread, counting as it goes. */
    private static final class Peer {
        final AtomicLong received = new AtomicLong();
        final Future<byte[]> bytes;

        Peer(SocketChannel ch) {
            bytes = drain(ch, dst -> {
                int n = ch.read(dst);
                if (n > 0) {
                    received.addAndGet(n);
                }
                return n;
            });
        }

        /** Waits for the first bytes, then a random 0-2 ms. */
        void awaitTransferUnderWay(Random random) throws InterruptedException {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (received.get() == 0 && System.nanoTime() < deadline) {
                Thread.yield();
            }
            Thread.sleep(random.nextInt(3));
        }
    }

    /** Rounds whose close fell inside the transfer: the peer got some of the file, not all. */
    private static int countMidTransfer(byte[] got, int counted) {
        return got.length > 0 && got.length < SIZE ? counted + 1 : counted;
    }

    private static void assertPrefixOfSource(byte[] got, String what) {
        assertTrue(what + ": more bytes than the file has", got.length <= SIZE);
        byte[] want = new byte[got.length];
        System.arraycopy(data, 0, want, 0, got.length);
        assertArrayEquals(what + ": the peer got bytes the file does not hold", want, got);
    }

    @Test
    public void closingTheTargetNeverWritesToAFileThatReusedItsNumber() throws Exception {
        closeRaces(true, 1);
    }

    @Test
    public void closingTheSourceNeverReadsAFileThatReusedItsNumber() throws Exception {
        closeRaces(false, 2);
    }

    /**
     * ROUNDS per strategy: close the target (then open new empty files for writing, which must stay
     * empty) or the source (then open the poison file for reading, whose bytes must never reach the
     * peer) while a transfer runs.
     */
    private void closeRaces(boolean closeTarget, long seed) throws Exception {
        Random random = new Random(seed);
        int mid = 0;
        for (Strategy strategy : Fixtures.NATIVE_STRATEGIES) {
            for (int round = 0; round < ROUNDS; round++) {
                String what = strategy + " round " + round;
                SocketChannel[] pair = Fixtures.socketPair();
                Peer peer = new Peer(pair[1]);
                List<FileChannel> grabbers = new ArrayList<>();
                List<Path> grabbed = new ArrayList<>();
                FileChannel in = FileChannel.open(source);
                try {
                    Thread t = sender(in, pair[0], strategy);
                    peer.awaitTransferUnderWay(random);
                    (closeTarget ? pair[0] : in).close();
                    for (int i = 0; i < GRABBERS; i++) {
                        if (closeTarget) {
                            Path p = tmp.newFile().toPath();
                            grabbed.add(p);
                            grabbers.add(FileChannel.open(p, StandardOpenOption.WRITE));
                        } else {
                            grabbers.add(FileChannel.open(poison));
                        }
                    }
                    t.join(30_000);
                    assertFalse(what + ": the sender hangs", t.isAlive());
                } finally {
                    in.close();
                    pair[0].close();
                    for (FileChannel g : grabbers) {
                        g.close();
                    }
                }
                for (Path p : grabbed) {
                    assertEquals(what + ": bytes went to a file that reused the target's number", 0, Files.size(p));
                    Files.delete(p);
                }
                byte[] got = get(peer.bytes);
                assertPrefixOfSource(got, what);
                mid = countMidTransfer(got, mid);
            }
        }
        int rounds = ROUNDS * Fixtures.NATIVE_STRATEGIES.size();
        String side = closeTarget ? "target" : "source";
        System.out.println("FdReuseStressTest: " + rounds + " closes of the " + side + ", " + mid + " mid-transfer");
        // Most closes must have hit a transfer in progress, or the test proves little.
        assertTrue(mid + " of " + rounds + " closes fell inside a transfer", mid >= rounds / 2);
    }
}
