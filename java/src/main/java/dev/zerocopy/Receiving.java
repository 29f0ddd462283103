package dev.zerocopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;

/**
 * {@link ZeroCopy#transferFrom}: JDK 25's checks in its order, then the native path, or for
 * channels it cannot take, the JDK (AUTO) or UnsupportedOperationException (the other
 * strategies). The contract is in ZeroCopy's documentation and docs/java.md.
 */
final class Receiving {
    /** JDK 25's transferFromArbitraryChannel buffer. */
    private static final int TRANSFER_SIZE = 8192;

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** The running JDK's feature release (17, 25): "1.8" before JDK 9, "17" after. */
    private static final int JDK_FEATURE = jdkFeature();

    private Receiving() {}

    private static int jdkFeature() {
        String v = System.getProperty("java.specification.version", "0");
        try {
            return v.startsWith("1.") ? Integer.parseInt(v.substring(2)) : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static long route(FileChannel dst, ReadableByteChannel src, long position, long count, Strategy strategy,
            TransferReport report) throws IOException {
        if (strategy == Strategy.JDK) {
            long n = dst.transferFrom(src, position, count);
            ZeroCopy.report(report, n, Strategy.JDK, -1, false);
            return n;
        }
        if (!dst.isOpen()) {
            throw new ClosedChannelException();
        }
        if (!src.isOpen()) {
            throw new ClosedChannelException();
        }
        int targetKind = Native.kind(dst);
        int srcKind = Native.kind(src);
        checkModesAndArguments(dst, src, position, count, targetKind, srcKind);
        String why = Native.unsupportedFromReason(targetKind, dst, srcKind, src);
        if (why != null) {
            if (strategy == Strategy.AUTO) {
                TransferStatistics.handedOff(why);
                return handOff(dst, src, position, count, report);
            }
            checkConnectedAndInterrupt(dst, src, count, srcKind);
            if (count == 0) {
                ZeroCopy.report(report, 0, strategy, 0, false);
                return 0;
            }
            throw new UnsupportedOperationException(strategy + ": " + why, NativeLoader.LOAD_ERROR);
        }
        checkConnectedAndInterrupt(dst, src, count, srcKind);
        if (count == 0) {
            ZeroCopy.report(report, 0, strategy, 0, false);
            return 0;
        }
        long[] calls = report == null ? null : new long[2];
        boolean stream = srcKind != Native.FILE;
        boolean blocking = !stream || ((SelectableChannel) src).isBlocking();
        boolean registers = ZeroCopy.REGISTERS && JdkChannels.usable();
        long n;
        try {
            if (registers) {
                n = JdkChannels.transferFrom(dst, src, srcKind, (dstFd, srcFd) -> Native.transferFromRegistered0(
                        dstFd, srcFd, position, count, strategy.code(), blocking, stream, dst, src, calls));
            } else {
                n = Native.transferFrom0(dst, src, position, count, strategy.code(), blocking, calls);
            }
        } catch (ClosedChannelException e) {
            throw ZeroCopy.transferFailed(e, dst, src);
        }
        n = Outcome.of(n, src, dst);
        if (n > 0 && stream && Thread.currentThread().isInterrupted() && src.isOpen() && blocking) {
            // Interrupted after some bytes: JDK 25 returns them, its read's hook having closed the
            // source (a registered call's hook did; a call on duplicates has none).
            ZeroCopy.closeInto(new ClosedByInterruptException(), src);
        }
        if (report != null) {
            ZeroCopy.report(report, n, Strategy.ofCode(calls[0]), calls[1], registers);
        }
        return n;
    }

    /**
     * JDK 25's checks after the closed ones (a closed target, then a closed source; a null
     * source is NullPointerException): a FileChannel source not open for reading
     * (NonReadableChannelException); a target not open for writing (NonWritableChannelException);
     * a negative position or count (IllegalArgumentException). The modes come from the JDK
     * channels' own flags where JdkChannels found them, else from a read (write) of nothing,
     * which throws as the JDK's check does (FileChannel's contract).
     */
    private static void checkModesAndArguments(FileChannel dst, ReadableByteChannel src, long position,
            long count, int targetKind, int srcKind) throws IOException {
        boolean flags = ZeroCopy.REGISTERS;
        if (srcKind == Native.FILE) {
            FileChannel file = (FileChannel) src;
            if (flags ? !JdkChannels.readable(file) : readsNothing(file)) {
                throw new java.nio.channels.NonReadableChannelException();
            }
        }
        if (flags && targetKind == Native.FILE ? !JdkChannels.writable(dst) : writesNothing(dst)) {
            throw new NonWritableChannelException();
        }
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException();
        }
    }

    /** FileChannel's contract: a read of nothing throws NonReadableChannelException. */
    private static boolean readsNothing(FileChannel file) throws IOException {
        file.read(EMPTY, 0);
        return false;
    }

    /** FileChannel's contract: a write of nothing throws NonWritableChannelException. */
    private static boolean writesNothing(FileChannel file) throws IOException {
        file.write(EMPTY, 0);
        return false;
    }

    /**
     * After the checks: a SocketChannel source that is not connected is NotYetConnectedException
     * (its read says so first); an interrupted thread is ClosedByInterruptException with both
     * channels closed, where bytes would move.
     */
    private static void checkConnectedAndInterrupt(FileChannel dst, ReadableByteChannel src, long count,
            int srcKind) throws IOException {
        if (count == 0) {
            if (srcKind == Native.FILE && Thread.currentThread().isInterrupted()) {
                // JDK 25 asks a FileChannel source its size even for a count of 0, and that call
                // closes it on an interrupt: ClosedByInterruptException, both closed.
                throw ZeroCopy.closedByInterrupt(dst, src);
            }
            return;
        }
        if (srcKind == Native.SOCKET && !((SocketChannel) src).isConnected()) {
            throw new NotYetConnectedException();
        }
        if (Thread.currentThread().isInterrupted()) {
            throw ZeroCopy.closedByInterrupt(dst, src);
        }
    }

    /**
     * AUTO for channels the native side cannot take: the JDK's transferFrom, with JDK 25's rules
     * where JDK 17 differs (a position past the target's end writes there; a source FileChannel
     * that reports size 0 is read to its end; an interrupt closes both channels).
     */
    private static long handOff(FileChannel dst, ReadableByteChannel src, long position, long count,
            TransferReport report) throws IOException {
        long n;
        try {
            boolean jdk17Differs = JDK_FEATURE < 21 && Native.kind(dst) == Native.FILE
                    && (position > dst.size() || (src instanceof FileChannel && ((FileChannel) src).size() == 0));
            n = jdk17Differs ? arbitraryLoop(dst, src, position, count) : dst.transferFrom(src, position, count);
        } catch (ClosedByInterruptException e) {
            ZeroCopy.closeInto(e, dst);
            ZeroCopy.closeInto(e, src);
            throw e;
        }
        ZeroCopy.report(report, n, Strategy.JDK, -1, false);
        return n;
    }

    /** JDK 25's transferFromArbitraryChannel: 8 KiB at a time, stopping at a short write. */
    private static long arbitraryLoop(FileChannel dst, ReadableByteChannel src, long position, long count)
            throws IOException {
        ByteBuffer bb = ByteBuffer.allocate((int) Math.min(count, TRANSFER_SIZE));
        long written = 0;
        long pos = position;
        try {
            while (written < count) {
                bb.limit((int) Math.min(count - written, TRANSFER_SIZE));
                int read = src.read(bb);
                if (read <= 0) {
                    break;
                }
                bb.flip();
                int n = dst.write(bb, pos);
                written += n;
                if (n != read) {
                    break;
                }
                pos += n;
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
}
