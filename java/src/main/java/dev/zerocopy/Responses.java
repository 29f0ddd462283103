package dev.zerocopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/** {@link ZeroCopy#sendFile}: the checks in the JDK's order, then the native path or the usual pattern. */
final class Responses {
    private Responses() {}

    /** A null element is NullPointerException, as GatheringByteChannel.write throws it. */
    static void requireBuffers(ByteBuffer[] buffers) {
        if (buffers != null) {
            for (ByteBuffer b : buffers) {
                if (b == null) {
                    throw new NullPointerException("a null ByteBuffer in the header or trailer");
                }
            }
        }
    }

    static long send(WritableByteChannel sink, ByteBuffer[] header, FileChannel file, long position, long count,
            ByteBuffer[] trailer, Strategy strategy, TransferReport report) throws IOException {
        if (strategy == Strategy.JDK) {
            long n = usualPattern(sink, header, file, position, count, trailer);
            ZeroCopy.report(report, n, Strategy.JDK, -1, false);
            return n;
        }
        if (!file.isOpen()) {
            throw new ClosedChannelException();
        }
        if (!sink.isOpen()) {
            throw new ClosedChannelException();
        }
        int kind = Native.kind(sink);
        String why = Native.unsupportedReason(file, kind, sink);
        if (why != null) {
            if (strategy == Strategy.AUTO) {
                TransferStatistics.handedOff(why);
            }
            return strategy == Strategy.AUTO
                    ? handOff(sink, header, file, position, count, trailer, report)
                    : ZeroCopy.refuse(file, position, count, sink, strategy, why,
                            remaining(header) + remaining(trailer));
        }
        ZeroCopy.checkModesAndArguments(file, position, count, sink);
        if (Thread.currentThread().isInterrupted()) {
            throw ZeroCopy.closedByInterrupt(file, sink);
        }
        if (kind == Native.SOCKET && !ZeroCopy.writable((SocketChannel) sink)) {
            // What SocketChannel.write throws for the header.
            if (!((SocketChannel) sink).isConnected()) {
                throw new NotYetConnectedException();
            }
            throw new ClosedChannelException();
        }
        return nativeSend(sink, kind, header, file, position, count, trailer, strategy, report);
    }

    /** Bytes of header and trailer copied into the thread's staging buffer; more go as the arrays. */
    static final int STAGED_MAX = 64 * 1024;

    /**
     * The thread's staging buffer (direct, native order): a response's header and trailer are
     * copied into it, once, so that the native call reads no Java object (the JDK's own gathering
     * write copies heap buffers into a temporary direct buffer the same way).
     */
    private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();

    private static ByteBuffer staging(int size) {
        ByteBuffer b = STAGING.get();
        if (b == null || b.capacity() < size) {
            b = ByteBuffer.allocateDirect(Math.max(size, 4096)).order(ByteOrder.nativeOrder());
            STAGING.set(b);
        }
        return b;
    }

    /** Copies what remains of the buffers to the staging buffer's position; their positions stay. */
    private static void stage(ByteBuffer staging, ByteBuffer[] buffers) {
        if (buffers != null) {
            for (ByteBuffer b : buffers) {
                int p = b.position();
                staging.put(b);
                b.position(p);
            }
        }
    }

    private static long nativeSend(WritableByteChannel sink, int kind, ByteBuffer[] header, FileChannel file,
            long position, long count, ByteBuffer[] trailer, Strategy strategy, TransferReport report)
            throws IOException {
        long headerLen = remaining(header);
        long trailerLen = remaining(trailer);
        boolean staged = headerLen + trailerLen <= STAGED_MAX;
        ByteBuffer staging = staging(Native.STAGING_RESULTS + (staged ? (int) (headerLen + trailerLen) : 0));
        if (staged) {
            staging.clear().position(Native.STAGING_RESULTS);
            stage(staging, header);
            stage(staging, trailer);
        }
        int h = staged ? (int) headerLen : -1;
        int t = staged ? (int) trailerLen : 0;
        boolean registers = ZeroCopy.REGISTERS && JdkChannels.usable();
        int code = strategy.code();
        long n;
        try {
            if (registers) {
                n = JdkChannels.transfer(file, sink, kind, (fileFd, targetFd) -> advanced(header, trailer,
                        Native.sendFile0(true, fileFd, targetFd, position, count, kind, code, staging, h, t, header,
                                trailer, file, sink), staging));
            } else {
                n = advanced(header, trailer, Native.sendFile0(false, -1, -1, position, count, kind, code, staging,
                        h, t, header, trailer, file, sink), staging);
            }
        } catch (ClosedChannelException e) {
            throw ZeroCopy.transferFailed(e, file, sink);
        }
        n = Outcome.of(n, file, sink);
        if (report != null) {
            ZeroCopy.report(report, n, Strategy.ofCode(staging.getLong(0)), staging.getLong(8), registers);
        }
        return n;
    }

    /**
     * Advances the buffers past what {@code n} bytes covered (the body's count is in the staging
     * buffer's results): the header first, the trailer after the body. Returns {@code n}.
     */
    private static long advanced(ByteBuffer[] header, ByteBuffer[] trailer, long n, ByteBuffer staging) {
        if (n > 0) {
            long around = n - staging.getLong(16);
            advance(trailer, advance(header, around));
        }
        return n;
    }

    /** Consumes up to {@code n} bytes of {@code buffers}; returns what is left of {@code n}. */
    private static long advance(ByteBuffer[] buffers, long n) {
        if (buffers != null) {
            for (int i = 0; i < buffers.length && n > 0; i++) {
                ByteBuffer b = buffers[i];
                int take = (int) Math.min(b.remaining(), n);
                b.position(b.position() + take);
                n -= take;
            }
        }
        return n;
    }

    static long remaining(ByteBuffer[] buffers) {
        long n = 0;
        if (buffers != null) {
            for (ByteBuffer b : buffers) {
                n += b.remaining();
            }
        }
        return n;
    }

    /** AUTO for channels the native side cannot take: the usual pattern, closing both on an interrupt. */
    private static long handOff(WritableByteChannel sink, ByteBuffer[] header, FileChannel file, long position,
            long count, ByteBuffer[] trailer, TransferReport report) throws IOException {
        long n;
        try {
            n = usualPattern(sink, header, file, position, count, trailer);
        } catch (ClosedByInterruptException e) {
            ZeroCopy.closeInto(e, file);
            ZeroCopy.closeInto(e, sink);
            throw e;
        }
        ZeroCopy.report(report, n, Strategy.JDK, -1, false);
        return n;
    }

    /**
     * What Java code writes without this library: {@code write(header)}, {@code transferTo},
     * {@code write(trailer)}, each stopping where a non-blocking target is full.
     */
    static long usualPattern(WritableByteChannel target, ByteBuffer[] header, FileChannel file, long position,
            long count, ByteBuffer[] trailer) throws IOException {
        long n = write(target, header);
        if (remaining(header) > 0) {
            return n;
        }
        long size = file.size();
        long body = 0;
        do { // at least once: transferTo makes the JDK's checks
            long k = file.transferTo(position + body, count - body, target);
            if (k <= 0) {
                boolean full = target instanceof SelectableChannel && !((SelectableChannel) target).isBlocking()
                        && position + body < size;
                if (full) {
                    return n + body;
                }
                break;
            }
            body += k;
        } while (body < count);
        return n + body + write(target, trailer);
    }

    /** Writes the buffers until they are empty or the (non-blocking) target takes nothing more. */
    private static long write(WritableByteChannel target, ByteBuffer[] buffers) throws IOException {
        long n = 0;
        if (buffers == null) {
            return 0;
        }
        if (target instanceof GatheringByteChannel) {
            while (remaining(buffers) > 0) {
                long k = ((GatheringByteChannel) target).write(buffers);
                if (k <= 0) {
                    break;
                }
                n += k;
            }
            return n;
        }
        for (ByteBuffer b : buffers) {
            while (b.hasRemaining()) {
                int k = target.write(b);
                if (k <= 0) {
                    return n;
                }
                n += k;
            }
        }
        return n;
    }
}
