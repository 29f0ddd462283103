package dev.zerocopy;

import static dev.zerocopy.Fixtures.pattern;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * {@code Thread.interrupt()} at a random moment around the start of a transfer, 300 times per
 * target kind. {@code Thread.interrupt()} runs a channel's interrupt hook while it holds the
 * thread's blocker lock, and the hook's close waits for the threads registered with the channel:
 * a transfer that registered with one channel and then entered another channel's hook (which
 * takes that lock) deadlocked with it (found by OpenJDK's CloseDuringTransfer, run through
 * ZeroCopy). Each round must end within 20 s with the bytes moved, or with
 * ClosedByInterruptException and both channels closed (also when the interrupt lands in one of the
 * JDK calls that come before a refusal: a user channel with READ_WRITE).
 */
@RunWith(Parameterized.class)
public class InterruptRaceTest {
    private static final int ROUNDS = 300;
    private static final int SIZE = 1 << 20;

    @Parameters(name = "{0}")
    public static List<Object[]> data() {
        return Arrays.asList(new Object[] {"socket"}, new Object[] {"pipe"}, new Object[] {"file"},
                new Object[] {"user channel"});
    }

    @Parameter
    public String target;

    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void interruptsAtRandomMomentsNeverDeadlock() throws Exception {
        Path source = Fixtures.file(tmp, pattern(SIZE, 11));
        Path file = tmp.newFile().toPath();
        int interrupted = 0;
        for (int round = 0; round < ROUNDS; round++) {
            if (round(source, file)) {
                interrupted++;
            }
        }
        // Printed, not asserted: how many rounds the interrupt landed in the transfer.
        System.out.println("InterruptRaceTest: " + target + ": " + interrupted + " of " + ROUNDS
                + " transfers ended by the interrupt");
    }

    /** One round; true when the transfer ended with ClosedByInterruptException. */
    private boolean round(Path source, Path file) throws Exception {
        WritableByteChannel out;
        AutoCloseable peer;
        switch (target) {
            case "socket": {
                SocketChannel[] pair = Fixtures.socketPair();
                Fixtures.drain(pair[1]);
                out = pair[0];
                peer = pair[1];
                break;
            }
            case "pipe": {
                Pipe pipe = Pipe.open();
                Fixtures.drain(pipe.source());
                out = pipe.sink();
                peer = pipe.source();
                break;
            }
            case "file":
                out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                peer = () -> { };
                break;
            default:
                // No descriptor: READ_WRITE refuses it (UnsupportedOperationException) after the
                // JDK's checks, which an interrupt can land in.
                out = Channels.newChannel(new ByteArrayOutputStream());
                peer = () -> { };
        }
        Strategy strategy = target.equals("user channel") ? Strategy.READ_WRITE : Strategy.AUTO;
        FileChannel in = FileChannel.open(source);
        AtomicReference<Object> outcome = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread sender = new Thread(() -> {
            started.countDown();
            try {
                outcome.set(ZeroCopy.transferTo(in, 0, Long.MAX_VALUE, out, strategy));
            } catch (Throwable t) {
                outcome.set(t);
            }
            outcome.set(new Object[] {outcome.get(), Thread.interrupted()});
        });
        // Another thread interrupts 0-200 us after the sender starts: around its entry into the
        // transfer, where the registrations are taken. (Not this thread: in a deadlock the
        // interrupter hangs too, and this one must be free to report it.)
        long delay = ThreadLocalRandom.current().nextLong(200_000);
        Thread interrupter = new Thread(() -> {
            try {
                started.await();
            } catch (InterruptedException e) {
                return;
            }
            long until = System.nanoTime() + delay;
            while (System.nanoTime() < until) {
                // spin: a sleep would be far coarser than the window
            }
            sender.interrupt();
        });
        interrupter.setDaemon(true);
        sender.setDaemon(true);
        interrupter.start();
        sender.start();
        sender.join(20_000);
        interrupter.join(1_000);
        if (sender.isAlive() || interrupter.isAlive()) {
            // The channels stay open: closing them would wait for the stuck thread too.
            fail(target + ": the transfer is still running 20 s after the interrupt (a deadlock?):\n"
                    + "sender:\n" + stack(sender) + "interrupter:\n" + stack(interrupter));
        }
        try {
            Object[] result = (Object[]) outcome.get();
            if (result[0] instanceof ClosedByInterruptException) {
                assertTrue("interrupt status kept", (Boolean) result[1]);
                assertFalse(in.isOpen());
                assertFalse(out.isOpen());
                return true;
            }
            if (result[0] instanceof UnsupportedOperationException && strategy == Strategy.READ_WRITE) {
                return false;
            }
            if (!(result[0] instanceof Long)) {
                throw new AssertionError(target + ": " + result[0], (Throwable) result[0]);
            }
            assertTrue(target + ": moved " + result[0], (Long) result[0] > 0);
            return false;
        } finally {
            in.close();
            out.close();
            peer.close();
        }
    }

    private static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("    at ").append(e).append('\n');
        }
        return b.toString();
    }
}
