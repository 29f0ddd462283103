package dev.zerocopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Locale;
import java.util.logging.Logger;

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

    private static final Strategy DEFAULT_STRATEGY = strategyProperty();

    /** How the native path keeps descriptors from reuse, decided when this class loads. */
    static final boolean REGISTERS = JdkChannels.UNAVAILABLE == null;

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    static {
        Transfers.registerInBackground();
    }

    /**
     * The strategy {@value #STRATEGY_PROPERTY} names, read once when this class loads. A name
     * that is no strategy must not fail a server in the middle of a response (its header sent,
     * the body refused), so it gets one warning through {@code java.util.logging} (logger
     * {@code dev.zerocopy}) and AUTO.
     */
    private static Strategy strategyProperty() {
        String value = System.getProperty(STRATEGY_PROPERTY);
        if (value == null) {
            return Strategy.AUTO;
        }
        try {
            return Strategy.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            Logger.getLogger("dev.zerocopy").warning("-D" + STRATEGY_PROPERTY + "=" + value
                    + " names no strategy (one of " + Arrays.toString(Strategy.values()) + "); using AUTO");
            return Strategy.AUTO;
        }
    }

    private ZeroCopy() {}

    /**
     * A snapshot of the process-wide statistics: calls, bytes and kernel calls by call and
     * strategy, errors, fallbacks and the calls AUTO handed to the JDK (with why). The same figures
     * are the JMX MXBean {@code dev.zerocopy:type=Transfers}, and, natively, {@code zc_statistics}
     * in C.
     */
    public static TransferStatistics statistics() {
        return TransferStatistics.now();
    }

    /** Whether the native library loaded (docs/java.md, "Loading", says where it is looked for). */
    public static boolean isNativeAvailable() {
        return Native.AVAILABLE;
    }

    /**
     * The strategy the calls without one use: {@value #STRATEGY_PROPERTY}, else AUTO (also when
     * the property names no strategy, after one warning).
     */
    public static Strategy defaultStrategy() {
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
     *     the cause), or cannot apply (SENDFILE to an append-mode file): after every check the
     *     JDK makes, and only where bytes would move (a count of 0, or a position at or past the
     *     end, returns 0). AUTO never throws this: it uses the JDK instead.
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
        try {
            return route(source, position, count, sink, strategy, report);
        } catch (ClosedByInterruptException e) {
            throw closedAll(e, strategy, source, sink, src, target);
        }
    }

    /**
     * {@link #transferTo(FileChannel, long, long, WritableByteChannel, Strategy)} into a socket
     * that is not a JDK channel but whose descriptor number its owner gives out: a framework's own
     * socket, such as a Netty epoll channel's ({@code UnixChannel.fd()}).
     * {@code dev.zerocopy.netty.ZeroCopyFileRegion} calls this on Netty's epoll transport.
     *
     * <p>The descriptor is the caller's: it must be {@code target}'s, and stay open for the whole
     * call. Netty guarantees that when this is called from the channel's event loop, the only
     * thread that closes it. The source takes part in its channel's close protocol and interrupt
     * hook as in {@code transferTo} to a file, so closing it, or interrupting the thread, ends
     * even a call blocked on a peer that stopped reading. The checks, exceptions and return values
     * are {@code transferTo}'s, with {@code target} as the target. {@code target} is never written
     * here, but it is asked {@code isOpen()} every 4 MiB and closed on an interrupt, as the JDK
     * closes a target.
     *
     * <p>Where the native path cannot run (no library, a source that is not a JDK FileChannel, a
     * virtual thread, a JDK whose channel internals are unknown), AUTO uses
     * {@code src.transferTo(position, count, target)}, and a native strategy throws
     * UnsupportedOperationException, as in {@code transferTo}.
     *
     * @param targetFd the descriptor of {@code target}: a stream socket (TCP or Unix domain),
     *     blocking or not; any other kind of descriptor fails as the kernel says (ENOTSOCK)
     * @param report filled, if not null, with the path that ran and its kernel calls
     * @return the number of bytes transferred, possibly 0 (a non-blocking target that is full)
     */
    public static long transferToDescriptor(FileChannel src, long position, long count, WritableByteChannel target,
            int targetFd, Strategy strategy, TransferReport report) throws IOException {
        if (strategy == null) {
            throw new NullPointerException("strategy");
        }
        FileChannel source = ZeroCopyFileChannel.unwrap(src);
        try {
            return toDescriptor(source, position, count, target, targetFd, strategy, report);
        } catch (ClosedByInterruptException e) {
            throw closedAll(e, strategy, source, target, src, target);
        }
    }

    private static long toDescriptor(FileChannel source, long position, long count, WritableByteChannel target,
            int targetFd, Strategy strategy, TransferReport report) throws IOException {
        if (strategy == Strategy.JDK) {
            return runningJdk(source, position, count, target, report);
        }
        if (!source.isOpen() || !target.isOpen()) {
            throw new ClosedChannelException();
        }
        if (targetFd < 0) {
            throw new IllegalArgumentException("targetFd " + targetFd + " is no descriptor");
        }
        String why = Native.unsupportedReason(source, Native.SOCKET, target);
        if (why == null && !(REGISTERS && JdkChannels.usable())) {
            why = REGISTERS ? "a virtual thread cannot hold the source's close protocol for a descriptor target"
                    : JdkChannels.UNAVAILABLE;
        }
        if (why != null) {
            return notNative(why, source, position, count, target, strategy, report);
        }
        checkModesAndArguments(source, position, count, target);
        if (Thread.currentThread().isInterrupted()) {
            throw closedByInterrupt(source, target);
        }
        long[] calls = report == null ? null : new long[2];
        long n;
        try {
            n = JdkChannels.toDescriptor(source, targetFd, (srcFd, fd) -> Native.transferRegistered0(
                    srcFd, position, count, fd, Native.SOCKET, strategy.code(), source, target, calls));
        } catch (ClosedChannelException e) {
            throw transferFailed(e, source, target);
        }
        return outcome(n, calls, source, target, report, true);
    }

    /**
     * An interrupt ends a call as in JDK 25, which closes both channels whatever call of its own
     * the interrupt landed in (the size, a check); Strategy.JDK is the running JDK as it is. The
     * channels behind a wrapper are closed now: the wrapper must say so too.
     */
    private static ClosedByInterruptException closedAll(ClosedByInterruptException e, Strategy strategy,
            Channel source, Channel sink, Channel src, Channel target) {
        if (strategy != Strategy.JDK) {
            closeInto(e, source);
            closeInto(e, sink);
        }
        for (Channel c : new Channel[] {src, target}) {
            if (c instanceof ZeroCopyFileChannel) {
                closeInto(e, c);
            }
        }
        return e;
    }

    private static long route(FileChannel source, long position, long count, WritableByteChannel sink,
            Strategy strategy, TransferReport report) throws IOException {
        if (strategy == Strategy.JDK) {
            return runningJdk(source, position, count, sink, report);
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
            return notNative(why, source, position, count, sink, strategy, report);
        }
        if (Thread.currentThread().isInterrupted() || (kind == Native.SOCKET && !writable((SocketChannel) sink))) {
            return checkedInJdkOrder(source, position, count, sink);
        }
        long[] calls = report == null ? null : new long[2];
        boolean registers = REGISTERS && JdkChannels.usable();
        long n;
        try {
            if (registers) {
                // The native side checks modes and arguments only on the duplicates' path.
                checkModesAndArguments(source, position, count, sink);
                n = JdkChannels.transfer(source, sink, kind, (srcFd, targetFd) -> Native.transferRegistered0(
                        srcFd, position, count, targetFd, kind, strategy.code(), source, sink, calls));
            } else {
                n = Native.transfer0(source, position, count, sink, strategy.code(), calls);
            }
        } catch (ClosedChannelException e) {
            throw transferFailed(e, source, sink);
        }
        return outcome(n, calls, source, sink, report, registers);
    }

    /** Strategy.JDK: the running JDK as it is, for comparison. */
    private static long runningJdk(FileChannel source, long position, long count, WritableByteChannel sink,
            TransferReport report) throws IOException {
        long n = source.transferTo(position, count, sink);
        report(report, n, Strategy.JDK, -1, false);
        return n;
    }

    /**
     * A transferTo the native path cannot take, {@code why}: AUTO hands it to the JDK (and counts
     * the hand-off), a native strategy refuses it.
     */
    private static long notNative(String why, FileChannel source, long position, long count,
            WritableByteChannel sink, Strategy strategy, TransferReport report) throws IOException {
        if (strategy == Strategy.AUTO) {
            TransferStatistics.handedOff(why);
            return handOff(source, position, count, sink, report);
        }
        return refuse(source, position, count, sink, strategy, why, 0);
    }

    /** A native transferTo's status as the caller sees it (a count, or the JDK's exception), reported. */
    private static long outcome(long status, long[] calls, FileChannel source, WritableByteChannel sink,
            TransferReport report, boolean registered) throws IOException {
        long n = Outcome.of(status, source, sink);
        if (report != null) {
            report(report, n, Strategy.ofCode(calls[0]), calls[1], registered);
        }
        return n;
    }

    static void report(TransferReport report, long n, Strategy ran, long syscalls, boolean registered) {
        if (report != null) {
            report.set(n, ran, syscalls, registered);
        }
    }

    /**
     * AUTO for channels the native side cannot take: the JDK's transferTo, with what JDK 25 does
     * where an older JDK does otherwise (an interrupt closes the target too; a source that
     * reports size 0 is copied to its end).
     */
    private static long handOff(FileChannel src, long position, long count, WritableByteChannel target,
            TransferReport report) throws IOException {
        long n;
        try {
            n = src.transferTo(position, count, target);
            if (n == 0 && count > 0 && position >= 0 && src.size() == 0) {
                // JDK 17 returns 0 here; JDK 21+ copy such a file (/proc) until its end.
                n = copyUntilEnd(src, position, count, target);
            }
        } catch (ClosedByInterruptException e) {
            closeInto(e, src);
            closeInto(e, target);
            throw e;
        }
        report(report, n, Strategy.JDK, -1, false);
        return n;
    }

    /** JDK 25's transferToArbitraryChannel: 8 KiB at a time, stopping at a short write. */
    private static long copyUntilEnd(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        ByteBuffer bb = ByteBuffer.allocate((int) Math.min(count, 8192));
        long written = 0;
        try {
            while (written < count) {
                bb.limit((int) Math.min(count - written, bb.capacity()));
                int read = src.read(bb, position + written);
                if (read <= 0) {
                    break;
                }
                bb.flip();
                int n = target.write(bb);
                written += n;
                if (n != read) {
                    break;
                }
                bb.clear();
            }
            return written;
        } catch (IOException e) {
            if (written > 0) {
                return written;
            }
            throw e;
        }
    }

    /**
     * An explicit native strategy for channels it cannot take: every check the JDK makes, in
     * its order, then 0 where no byte would move (no body, and no {@code around} bytes of a
     * sendFile's header and trailer), and only then UnsupportedOperationException.
     */
    static long refuse(FileChannel src, long position, long count, WritableByteChannel target,
            Strategy strategy, String why, long around) throws IOException {
        checkModesAndArguments(src, position, count, target);
        if (Thread.currentThread().isInterrupted()) {
            throw closedByInterrupt(src, target);
        }
        long size = src.size();
        boolean noBody = count == 0 || (size > 0 && position >= size);
        if (noBody && around == 0) {
            return 0;
        }
        throw new UnsupportedOperationException(strategy + ": " + why, NativeLoader.LOAD_ERROR);
    }

    /**
     * JDK 25's transferFailed: a channel closed during the transfer is ClosedByInterruptException
     * (both channels closed) when this thread was interrupted, else AsynchronousCloseException.
     */
    static ClosedChannelException transferFailed(ClosedChannelException e, Channel src, Channel target) {
        ClosedByInterruptException interrupted = null;
        if (e instanceof ClosedByInterruptException) {
            interrupted = (ClosedByInterruptException) e;
        } else if (Thread.currentThread().isInterrupted()) {
            interrupted = new ClosedByInterruptException();
        }
        if (interrupted != null) {
            closeInto(interrupted, src);
            closeInto(interrupted, target);
            return interrupted;
        }
        if (e instanceof AsynchronousCloseException) {
            return e;
        }
        AsynchronousCloseException closed = new AsynchronousCloseException();
        closed.addSuppressed(e);
        return closed;
    }

    static void closeInto(Throwable e, Channel c) {
        try {
            c.close();
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
    }

    static boolean writable(SocketChannel socket) {
        return socket.isConnected() && !socket.socket().isOutputShutdown();
    }

    /**
     * The calls the native path does not take, with JDK 25's checks in its order: modes, arguments,
     * the interrupt (which closes both channels), the size (0 past the end), then for a socket that
     * cannot be written NotYetConnectedException, or AsynchronousCloseException with a suppressed
     * ClosedChannelException for a shut-down output.
     */
    private static long checkedInJdkOrder(FileChannel src, long position, long count, WritableByteChannel target)
            throws IOException {
        checkModesAndArguments(src, position, count, target);
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

    /**
     * The JDK's checks after the closed ones, in its order: a source not open for reading
     * (NonReadableChannelException), a FileChannel target not open for writing
     * (NonWritableChannelException), a negative position or count (IllegalArgumentException).
     * The modes come from the JDK channels' own flags where JdkChannels found them, else from
     * fcntl(2) on pinned duplicates (Native.checkAccess0), else, for channels the native side
     * cannot take, from a read (write) of nothing, which throws as the JDK's check does
     * (FileChannel's contract).
     */
    static void checkModesAndArguments(FileChannel src, long position, long count,
            WritableByteChannel target) throws IOException {
        int srcKind = Native.kind(src);
        int targetKind = Native.kind(target);
        if (!REGISTERS && Native.AVAILABLE && srcKind == Native.FILE && targetKind != Native.NONE) {
            Outcome.of(Native.checkAccess0(src, target), src, target);
        } else {
            if (REGISTERS && srcKind == Native.FILE) {
                if (!JdkChannels.readable(src)) {
                    throw new NonReadableChannelException();
                }
            } else {
                src.read(EMPTY, 0);
            }
            if (targetKind == Native.FILE) {
                if (REGISTERS) {
                    if (!JdkChannels.writable(target)) {
                        throw new NonWritableChannelException();
                    }
                } else {
                    ((FileChannel) target).write(EMPTY, 0);
                }
            }
        }
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException();
        }
    }

    /** Closes both channels as JDK 25 does on an interrupt; the interrupt status stays set. */
    static ClosedByInterruptException closedByInterrupt(Channel src, Channel target) {
        ClosedByInterruptException e = new ClosedByInterruptException();
        closeInto(e, src);
        closeInto(e, target);
        return e;
    }

    /** {@link #transferFrom(FileChannel, ReadableByteChannel, long, long, Strategy)} with the default strategy. */
    public static long transferFrom(FileChannel dst, ReadableByteChannel src, long position, long count)
            throws IOException {
        return transferFrom(dst, src, position, count, defaultStrategy(), null);
    }

    /**
     * Transfers up to {@code count} bytes from {@code src} into {@code dst} at {@code position},
     * with {@code strategy}, as {@code dst.transferFrom(src, position, count)} does on JDK 25,
     * on every JVM this runs on.
     *
     * <ul>
     *   <li>{@code dst}'s position never changes. A {@code position} past its end grows the file
     *       (the gap's bytes are unspecified; zeros on Linux), as JDK 21+ do (JDK 17 returns 0
     *       there). An append-mode {@code dst} gets the bytes at its end whatever
     *       {@code position} says, as the JDK's positional write puts them on Linux.</li>
     *   <li>A FileChannel source is read from its own position, which advances by the count;
     *       the count is clamped to what it has from there.</li>
     *   <li>A blocking SocketChannel or Pipe.SourceChannel is read until {@code count} bytes or
     *       the end of the stream; a non-blocking one gives what it has ready (0 if nothing).</li>
     *   <li>Checks, in JDK 25's order: a closed {@code dst}, then a closed {@code src}
     *       ({@link ClosedChannelException}; null: {@link NullPointerException}); a FileChannel
     *       source not open for reading ({@link NonReadableChannelException}); {@code dst} not
     *       open for writing ({@link NonWritableChannelException}); a negative position or
     *       count ({@link IllegalArgumentException}); an unconnected SocketChannel source
     *       ({@link NotYetConnectedException}); an interrupted thread
     *       ({@link ClosedByInterruptException}, both channels closed). A channel closed by
     *       another thread during the call: the bytes moved so far, or
     *       {@link AsynchronousCloseException}. Interrupted after a stream gave some bytes: their
     *       count, the source closed, as JDK 25 does.</li>
     *   <li>AUTO splices from a socket ({@link Strategy#SPLICE}), and from a file of 256 KiB or
     *       more on a file system that does not copy in place (ext4, tmpfs); copies from a file by
     *       {@link Strategy#COPY_FILE_RANGE} otherwise (a reflink on XFS and Btrfs); and uses {@link Strategy#READ_WRITE} from a pipe
     *       and into an append-mode file; for channels the native side cannot take, the JDK's own
     *       transferFrom (with JDK 25's rules on JDK 17).</li>
     * </ul>
     *
     * @return the number of bytes transferred, possibly 0
     * @throws UnsupportedOperationException a native strategy that cannot run for these channels
     *     (no library; a channel without a file descriptor; COPY_FILE_RANGE, SENDFILE or MMAP from a
     *     socket or pipe; any but READ_WRITE into an append-mode file):
     *     after every check, and only where bytes would move (a count of 0 returns 0)
     */
    public static long transferFrom(FileChannel dst, ReadableByteChannel src, long position, long count,
            Strategy strategy) throws IOException {
        return transferFrom(dst, src, position, count, strategy, null);
    }

    /**
     * {@link #transferFrom(FileChannel, ReadableByteChannel, long, long, Strategy)}, filling
     * {@code report} (if not null) with the path that ran and the kernel calls it made.
     */
    public static long transferFrom(FileChannel dst, ReadableByteChannel src, long position, long count,
            Strategy strategy, TransferReport report) throws IOException {
        if (dst == null || strategy == null) {
            throw new NullPointerException(dst == null ? "dst" : "strategy");
        }
        FileChannel target = ZeroCopyFileChannel.unwrap(dst);
        ReadableByteChannel source = src instanceof ZeroCopyFileChannel
                ? ZeroCopyFileChannel.unwrap((ZeroCopyFileChannel) src) : src;
        try {
            return Receiving.route(target, source, position, count, strategy, report);
        } catch (ClosedByInterruptException e) {
            throw closedAll(e, strategy, target, source, dst, src);
        }
    }

    /**
     * {@link #sendFile(WritableByteChannel, ByteBuffer[], FileChannel, long, long, ByteBuffer[], Strategy)}
     * with the default strategy.
     */
    public static long sendFile(WritableByteChannel target, ByteBuffer[] header, FileChannel file, long position,
            long count, ByteBuffer[] trailer) throws IOException {
        return sendFile(target, header, file, position, count, trailer, defaultStrategy(), null);
    }

    /**
     * Writes a response to {@code target} in the fewest system calls and TCP segments: the bytes
     * remaining in {@code header}, then up to {@code count} bytes of {@code file} from
     * {@code position}, then the bytes remaining in {@code trailer}. What
     * {@code target.write(header); file.transferTo(position, count, target); target.write(trailer)}
     * writes, in one call.
     *
     * <ul>
     *   <li>{@code header} and {@code trailer} may be null or empty. Their buffers' positions
     *       advance by what was written of them, as {@code GatheringByteChannel.write} advances
     *       them; their contents are not changed.</li>
     *   <li>The body is {@code count} bytes clamped to the end of {@code file}, as
     *       {@code transferTo} clamps it: a position at or past the end writes the header and
     *       trailer only. {@code file}'s position does not change.</li>
     *   <li>A blocking target gets everything. A non-blocking one gets what fits (0 if nothing):
     *       resume with the same buffers and the body from {@code position + body}, where
     *       {@code body} is the return value less what was written of the header and trailer
     *       (their positions say how much).</li>
     *   <li>The checks and exceptions are those of {@code transferTo}, in its order (see the class
     *       documentation), after a {@link NullPointerException} for a null target, file, strategy
     *       or buffer; a socket that is not connected is {@link NotYetConnectedException}, one
     *       whose output is shut down {@link ClosedChannelException}, as {@code write} says.</li>
     *   <li>AUTO reads a small body (up to 8 KiB) into a buffer and writes it with the header and
     *       trailer in one gathering write; a larger one goes by sendfile after the header, which
     *       (for a body up to 128 KiB) is held back ({@code MSG_MORE}) so that it leaves in the
     *       body's first segment. SENDFILE and MMAP write the header, the body by their path, then
     *       the trailer; READ_WRITE gathers
     *       each buffer of the body with the rest of the header and, for the last, the trailer.
     *       JDK runs the usual pattern above. For a target the native side cannot take, AUTO runs
     *       the usual pattern and the other strategies throw {@link UnsupportedOperationException}
     *       (after every check, and only where bytes would be written).</li>
     * </ul>
     *
     * @return the bytes written in all: header, body and trailer
     */
    public static long sendFile(WritableByteChannel target, ByteBuffer[] header, FileChannel file, long position,
            long count, ByteBuffer[] trailer, Strategy strategy) throws IOException {
        return sendFile(target, header, file, position, count, trailer, strategy, null);
    }

    /**
     * {@link #sendFile(WritableByteChannel, ByteBuffer[], FileChannel, long, long, ByteBuffer[], Strategy)},
     * filling {@code report} (if not null) with the path that moved the body, the kernel calls
     * made and the bytes written in all.
     */
    public static long sendFile(WritableByteChannel target, ByteBuffer[] header, FileChannel file, long position,
            long count, ByteBuffer[] trailer, Strategy strategy, TransferReport report) throws IOException {
        if (target == null || file == null || strategy == null) {
            throw new NullPointerException(target == null ? "target" : file == null ? "file" : "strategy");
        }
        Responses.requireBuffers(header);
        Responses.requireBuffers(trailer);
        FileChannel source = ZeroCopyFileChannel.unwrap(file);
        WritableByteChannel sink = target instanceof ZeroCopyFileChannel
                ? ZeroCopyFileChannel.unwrap((ZeroCopyFileChannel) target) : target;
        try {
            return Responses.send(sink, header, source, position, count, trailer, strategy, report);
        } catch (ClosedByInterruptException e) {
            throw closedAll(e, strategy, source, sink, file, target);
        }
    }

    /**
     * A FileChannel that delegates everything to {@code channel}, except that its
     * {@code transferTo} and {@code transferFrom} run
     * {@link #transferTo(FileChannel, long, long, WritableByteChannel)} and
     * {@link #transferFrom(FileChannel, ReadableByteChannel, long, long)} with the default
     * strategy: code that takes a FileChannel (a log segment, an upload spooler) gets the native
     * paths with one line. Closing it closes {@code channel}.
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
            System.out.println("zerocopy-nio: descriptors kept from reuse by " + (REGISTERS
                    ? "joining the channels' own close protocol"
                    : "private duplicates (" + JdkChannels.UNAVAILABLE + ")"));
        } else {
            System.out.println("zerocopy-nio: native library not available: " + NativeLoader.LOAD_ERROR);
            System.exit(1);
        }
    }
}
