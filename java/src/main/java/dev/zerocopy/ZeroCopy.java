package dev.zerocopy;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Locale;

/**
 * {@link FileChannel#transferTo(long, long, WritableByteChannel)} by a native path of your
 * choice, with the semantics of JDK 25's {@code transferTo} on every JVM this runs on: the same
 * checks in the same order, the same exception classes, return values and position rules.
 *
 * <p>Check order: a closed source, then a closed target ({@link ClosedChannelException}; a null
 * target: {@link NullPointerException}); a source not open for reading
 * ({@link java.nio.channels.NonReadableChannelException}); a read-only FileChannel target
 * ({@link java.nio.channels.NonWritableChannelException}); a negative position or count
 * ({@link IllegalArgumentException}); an interrupted thread ({@link ClosedByInterruptException},
 * both channels closed, interrupt status kept); an unconnected SocketChannel target
 * ({@link NotYetConnectedException}) unless the position is past the end. OS errors are
 * {@link IOException}s whose message is the system's error text ("Broken pipe").
 *
 * <p>A transfer to a blocking target moves {@code min(count, size - position)} bytes; a
 * non-blocking target that is full ends it early (0 if nothing fit). Neither channel's position
 * changes except the target's, which advances. A long transfer checks every 4 MiB for an
 * interrupt and for a channel closed by another thread, and stops there.
 */
public final class ZeroCopy {
    /** System property naming the strategy of the calls that do not name one (default AUTO). */
    public static final String STRATEGY_PROPERTY = "dev.zerocopy.strategy";

    private static final Strategy DEFAULT_STRATEGY;
    private static final String DEFAULT_STRATEGY_ERROR;

    static {
        String value = System.getProperty(STRATEGY_PROPERTY);
        Strategy strategy = Strategy.AUTO;
        String error = null;
        if (value != null) {
            try {
                strategy = Strategy.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                error = "-D" + STRATEGY_PROPERTY + "=" + value + " names no strategy; use one of "
                        + java.util.Arrays.toString(Strategy.values());
            }
        }
        DEFAULT_STRATEGY = strategy;
        DEFAULT_STRATEGY_ERROR = error;
    }

    private static final Strategy[] NATIVE = {Strategy.AUTO, Strategy.SENDFILE, Strategy.MMAP, Strategy.READ_WRITE};

    private ZeroCopy() {}

    /** Whether the native library loaded (see the README for where it is looked for). */
    public static boolean isNativeAvailable() {
        return Native.AVAILABLE;
    }

    /** The strategy the calls without one use: {@value #STRATEGY_PROPERTY}, else AUTO. */
    public static Strategy defaultStrategy() {
        if (DEFAULT_STRATEGY_ERROR != null) {
            throw new IllegalArgumentException(DEFAULT_STRATEGY_ERROR);
        }
        return DEFAULT_STRATEGY;
    }

    /** {@link #transferTo(FileChannel, long, long, WritableByteChannel, Strategy)} with the default strategy. */
    public static long transferTo(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        return transferTo(src, position, count, target, defaultStrategy(), null);
    }

    /**
     * Transfers up to {@code count} bytes of {@code src} from {@code position} to {@code target}
     * with {@code strategy}, as {@code src.transferTo(position, count, target)} does.
     *
     * @return the number of bytes transferred, possibly 0
     * @throws UnsupportedOperationException a native strategy was asked for but cannot run for
     *     these channels (no library, or a channel without a file descriptor; the load failure is
     *     the cause), or cannot apply (SENDFILE to an append-mode file). AUTO never throws this:
     *     it uses the JDK instead.
     */
    public static long transferTo(FileChannel src, long position, long count, WritableByteChannel target,
            Strategy strategy) throws IOException {
        return transferTo(src, position, count, target, strategy, null);
    }

    /**
     * {@link #transferTo(FileChannel, long, long, WritableByteChannel, Strategy)}, filling
     * {@code report} (if not null) with the path that ran and the kernel calls it made.
     */
    public static long transferTo(FileChannel src, long position, long count, WritableByteChannel target,
            Strategy strategy, TransferReport report) throws IOException {
        if (strategy == null) {
            throw new NullPointerException("strategy");
        }
        FileChannel source = ZeroCopyFileChannel.unwrap(src);
        WritableByteChannel sink = target instanceof ZeroCopyFileChannel
                ? ZeroCopyFileChannel.unwrap((ZeroCopyFileChannel) target) : target;
        if (strategy == Strategy.JDK) {
            return viaJdk(source, position, count, sink, report);
        }
        if (!source.isOpen()) {
            throw new ClosedChannelException();
        }
        if (!sink.isOpen()) {
            throw new ClosedChannelException();
        }
        int kind = Native.kind(sink);
        String why = Native.unsupportedReason(source, kind, sink);
        if (why != null) {
            if (strategy == Strategy.AUTO) {
                return viaJdk(source, position, count, sink, report);
            }
            throw new UnsupportedOperationException(strategy + ": " + why, NativeLoader.LOAD_ERROR);
        }
        if (Thread.currentThread().isInterrupted() || (kind == Native.SOCKET && !writable((SocketChannel) sink))) {
            return checkedInJdkOrder(source, position, count, sink, kind);
        }
        long[] calls = report == null ? null : new long[2];
        long n;
        try {
            n = Native.transfer0(source, position, count, sink, kind, strategy.ordinal(), calls);
        } catch (IOException e) {
            if (!(e instanceof AsynchronousCloseException) && (!source.isOpen() || !sink.isOpen())) {
                // Closed by another thread during the call: what JDK 25 reports then.
                AsynchronousCloseException closed = new AsynchronousCloseException();
                closed.addSuppressed(e);
                throw closed;
            }
            throw e;
        }
        if (n == Native.INTERRUPTED) {
            throw closedByInterrupt(source, sink);
        }
        if (report != null) {
            report.set(n, NATIVE[(int) calls[0]], calls[1]);
        }
        return n;
    }

    private static long viaJdk(FileChannel src, long position, long count, WritableByteChannel target,
            TransferReport report) throws IOException {
        long n = src.transferTo(position, count, target);
        if (report != null) {
            report.set(n, Strategy.JDK, -1);
        }
        return n;
    }

    private static boolean writable(SocketChannel socket) {
        return socket.isConnected() && !socket.socket().isOutputShutdown();
    }

    /**
     * The calls the native path does not take, with JDK 25's checks in its order: modes, arguments,
     * the interrupt (which closes both channels), the size (0 past the end), then for a socket that
     * cannot be written NotYetConnectedException, or AsynchronousCloseException with a suppressed
     * ClosedChannelException for a shut-down output.
     */
    private static long checkedInJdkOrder(FileChannel src, long position, long count, WritableByteChannel target,
            int kind) throws IOException {
        Native.checkAccess0(src, target, kind);
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException();
        }
        if (Thread.currentThread().isInterrupted()) {
            throw closedByInterrupt(src, target);
        }
        // Only a socket that cannot be written gets past the interrupt.
        SocketChannel socket = (SocketChannel) target;
        if (position > src.size()) {
            return 0;
        }
        if (!socket.isConnected()) {
            throw new NotYetConnectedException();
        }
        AsynchronousCloseException e = new AsynchronousCloseException();
        e.addSuppressed(new ClosedChannelException());
        throw e;
    }

    /** Closes both channels as JDK 25 does on an interrupt; the interrupt status stays set. */
    private static ClosedByInterruptException closedByInterrupt(Channel src, Channel target) {
        ClosedByInterruptException e = new ClosedByInterruptException();
        for (Channel c : new Channel[] {src, target}) {
            try {
                c.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
        }
        return e;
    }

    /**
     * A FileChannel that delegates everything to {@code channel}, except that its
     * {@code transferTo} runs {@link #transferTo(FileChannel, long, long, WritableByteChannel)}
     * with the default strategy: code that takes a FileChannel (Netty's DefaultFileRegion, a
     * log segment) gets the native path with one line. Closing it closes {@code channel}.
     */
    public static FileChannel wrap(FileChannel channel) {
        if (channel == null) {
            throw new NullPointerException("channel");
        }
        return channel instanceof ZeroCopyFileChannel ? channel : new ZeroCopyFileChannel(channel);
    }

    /** {@code java -jar zerocopy-nio.jar}: says whether the native library loads, and from where. */
    public static void main(String[] args) {
        if (isNativeAvailable()) {
            System.out.println("zerocopy-nio: native library loaded from " + NativeLoader.LOADED_FROM);
        } else {
            System.out.println("zerocopy-nio: native library not available: " + NativeLoader.LOAD_ERROR);
            System.exit(1);
        }
    }
}
