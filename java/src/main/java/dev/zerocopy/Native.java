package dev.zerocopy;

import java.nio.channels.Channel;
import java.nio.channels.FileChannel;

/**
 * The native methods and what decides whether they apply. The natives read the file descriptor
 * of the JDK's own channel classes (FileChannelImpl, SocketChannelImpl, SinkChannelImpl,
 * SourceChannelImpl), so a channel qualifies only when its class is exactly one of them.
 */
final class Native {
    /*
     * The constants below are shared with the native library, which reads them when it loads
     * (JNI_OnLoad) and refuses to load if any differs from its own: a mismatch can never run.
     */

    /** Kind codes: the class a channel is, as the native side also finds it from the class. */
    static final int FILE = 0;
    static final int SOCKET = 1;
    static final int PIPE_SINK = 2;
    static final int PIPE_SOURCE = 3;
    static final int NONE = -1;

    /**
     * The statuses a native transfer returns instead of a count (Outcome turns each into the
     * JDK's exception): the thread was interrupted (both channels are then closed); a channel was
     * closed by another thread; an illegal argument; a source not open for reading; a target not
     * open for writing; a strategy that cannot apply; an I/O error; an internal error. The text
     * of the last three comes from lastErrorText0.
     */
    static final int INTERRUPTED = -2;
    static final int ASYNC_CLOSED = -3;
    static final int ILLEGAL_ARGUMENT = -4;
    static final int NOT_READABLE = -5;
    static final int NOT_WRITABLE = -6;
    static final int UNSUPPORTED = -7;
    static final int IO_ERROR = -8;
    static final int INTERNAL_ERROR = -9;

    static final boolean AVAILABLE = NativeLoader.LOAD_ERROR == null;

    private static final Class<?> FILE_CHANNEL = jdkClass("sun.nio.ch.FileChannelImpl");
    private static final Class<?> SOCKET_CHANNEL = jdkClass("sun.nio.ch.SocketChannelImpl");
    private static final Class<?> SINK_CHANNEL = jdkClass("sun.nio.ch.SinkChannelImpl");
    private static final Class<?> SOURCE_CHANNEL = jdkClass("sun.nio.ch.SourceChannelImpl");

    private Native() {}

    private static Class<?> jdkClass(String name) {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException e) {
            return null; // another JDK: such channels then never qualify
        }
    }

    /** The kind code of a channel whose descriptor the natives can read, or NONE. */
    static int kind(Object channel) {
        Class<?> c = channel.getClass();
        if (c == FILE_CHANNEL) {
            return FILE;
        } else if (c == SOCKET_CHANNEL) {
            return SOCKET;
        } else if (c == SINK_CHANNEL) {
            return PIPE_SINK;
        } else if (c == SOURCE_CHANNEL) {
            return PIPE_SOURCE;
        }
        return NONE;
    }

    /** Why the native path cannot run for these channels, or null when it can. */
    static String unsupportedReason(FileChannel src, int targetKind, Object target) {
        if (!AVAILABLE) {
            return "the zerocopy-nio native library did not load";
        } else if (kind(src) != FILE) {
            return "the source is a " + src.getClass().getName()
                    + ", not a JDK FileChannel with a file descriptor";
        } else if (targetKind == NONE) {
            return "the target is a " + target.getClass().getName()
                    + ", not a JDK FileChannel, SocketChannel or Pipe.SinkChannel with a file descriptor";
        }
        return null;
    }

    /** Why the native transferFrom cannot run for these channels, or null when it can. */
    static String unsupportedFromReason(int targetKind, Object target, int srcKind, Object src) {
        if (!AVAILABLE) {
            return "the zerocopy-nio native library did not load";
        } else if (targetKind != FILE) {
            return "the target is a " + target.getClass().getName()
                    + ", not a JDK FileChannel with a file descriptor";
        } else if (srcKind == NONE || srcKind == PIPE_SINK) {
            return "the source is a " + src.getClass().getName()
                    + ", not a JDK FileChannel, SocketChannel or Pipe.SourceChannel with a file descriptor";
        }
        return null;
    }

    /** The longs statistics0 fills (TransferStatistics reads them). */
    static final int STATISTICS_LONGS = 3 * 6 * 4 + 6;

    /** Fills out (STATISTICS_LONGS longs) with the process-wide counters; 0, or a status. */
    static native long statistics0(long[] out);

    /** Bytes of results at the start of sendFile0's staging buffer (three longs), before the header. */
    static final int STAGING_RESULTS = 24;

    /** What checkpoint answers. */
    static final int GO_ON = 0;
    static final int STOP_INTERRUPTED = 1;
    static final int STOP_CLOSED = 2;

    /**
     * Called by the native loop every few MiB (and when a signal interrupted a call): GO_ON, or
     * STOP_INTERRUPTED when the thread is interrupted, or STOP_CLOSED when a channel was closed.
     */
    static int checkpoint(Object src, Object dst) {
        if (Thread.currentThread().isInterrupted()) {
            return STOP_INTERRUPTED;
        }
        return ((Channel) src).isOpen() && ((Channel) dst).isOpen() ? GO_ON : STOP_CLOSED;
    }

    /*
     * The natives throw nothing of their own: each returns a count or one of the statuses above
     * (a Java exception thrown by a callback, or an OutOfMemoryError, still propagates).
     */

    /**
     * Transfers with the core on private duplicates of the descriptors: the bytes moved, or a
     * status (a wrong mode, a negative argument, a channel closed meanwhile, an OS error, an
     * interrupt). report, if not null, receives {strategy code, kernel calls}.
     */
    static native long transfer0(FileChannel src, long position, long count, Object dst, int strategy,
            long[] report);

    /**
     * transfer0 on the channels' descriptor numbers, which the caller keeps valid by its
     * registration with both channels (JdkChannels.transfer); position and count non-negative,
     * the modes checked.
     */
    static native long transferRegistered0(int srcFd, long position, long count, int dstFd, int dstKind,
            int strategy, FileChannel src, Object dst, long[] report);

    /**
     * ZeroCopy.sendFile: on the descriptor numbers when registered (the caller holds both
     * channels' close protocol, JdkChannels.transfer), else on private duplicates. The header and
     * trailer are headerLen and trailerLen bytes of staging after its STAGING_RESULTS bytes of results, or
     * (headerLen negative) what remains in the arrays. The bytes written in all, or a status;
     * staging receives {strategy code, kernel calls, body bytes} as three native-order longs.
     * The modes and arguments were checked, and the buffers are not null.
     */
    static native long sendFile0(boolean registered, int fileFd, int targetFd, long position, long count,
            int targetKind, int strategy, java.nio.ByteBuffer staging, int headerLen, int trailerLen,
            java.nio.ByteBuffer[] header, java.nio.ByteBuffer[] trailer, FileChannel file, Object target);

    /**
     * ZeroCopy.transferFrom on private duplicates of the descriptors: the bytes moved, or a
     * status. blocking: the source channel blocks (whatever its descriptor's O_NONBLOCK says).
     * The modes and arguments were checked.
     */
    static native long transferFrom0(FileChannel dst, Object src, long position, long count, int strategy,
            boolean blocking, long[] report);

    /**
     * transferFrom0 on the channels' descriptor numbers, which the caller keeps valid by its
     * registration with both channels (JdkChannels.transferFrom). stream: the source is a socket
     * or pipe.
     */
    static native long transferFromRegistered0(int dstFd, int srcFd, long position, long count, int strategy,
            boolean blocking, boolean stream, FileChannel dst, Object src, long[] report);

    /** The name of the strategy with this code in the native library, or null if it has none. */
    static native String strategyName0(int code);

    /** The JDK's MethodHandles.Lookup.IMPL_LOOKUP (for JdkChannels), or null. */
    static native Object trustedLookup0();

    /** 0, or NOT_READABLE or NOT_WRITABLE (from fcntl(2) on duplicates of the descriptors). */
    static native long checkAccess0(FileChannel src, Object dst);

    /** The text of this thread's last IO_ERROR, UNSUPPORTED or INTERNAL_ERROR status, or null. */
    static native String lastErrorText0();
}
