package dev.zerocopy;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;

/**
 * The one place where what a native call returned becomes what the caller sees: a count, or the
 * exception JDK 25's {@code transferTo} throws in that situation. (The checks the JDK makes
 * before it transfers, in its order, are ZeroCopy's; what the natives return is in Native.)
 */
final class Outcome {
    private Outcome() {}

    /** {@code status} if it is a count (0 or more); otherwise throws what it stands for. */
    static long of(long status, Channel src, Channel target) throws IOException {
        if (status >= 0) {
            return status;
        }
        switch ((int) status) {
            case Native.INTERRUPTED:
                // JDK 25 closes both channels; the interrupt status stays set.
                throw ZeroCopy.closedByInterrupt(src, target);
            case Native.ASYNC_CLOSED:
                // ClosedByInterruptException instead when this thread was interrupted.
                throw ZeroCopy.transferFailed(new AsynchronousCloseException(), src, target);
            case Native.ILLEGAL_ARGUMENT:
                throw new IllegalArgumentException();
            case Native.NOT_READABLE:
                throw new NonReadableChannelException();
            case Native.NOT_WRITABLE:
                throw new NonWritableChannelException();
            case Native.UNSUPPORTED:
                throw new UnsupportedOperationException(Native.lastErrorText0());
            case Native.IO_ERROR:
                return ioError(src, target);
            default:
                throw new IOException("zerocopy-nio: " + Native.lastErrorText0() + " (status " + status + ")");
        }
    }

    /**
     * An OS error (its message the system's text, "Broken pipe", as the JDK's natives give it), or,
     * when a channel was closed by another thread meanwhile, what JDK 25 reports then:
     * AsynchronousCloseException, the OS error suppressed in it.
     */
    private static long ioError(Channel src, Channel target) throws IOException {
        IOException e = new IOException(Native.lastErrorText0());
        if (!src.isOpen() || !target.isOpen()) {
            AsynchronousCloseException closed = new AsynchronousCloseException();
            closed.addSuppressed(e);
            throw ZeroCopy.transferFailed(closed, src, target);
        }
        throw e;
    }
}
