package dev.zerocopy;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a native transfer inside the JDK channels' own close protocol, as the JDK's
 * {@code FileChannelImpl.transferTo} runs its sendfile, so that the native side can use the
 * channels' descriptor numbers as they are: no duplicate, no watchdog.
 *
 * <p>Why it is safe. While a thread is registered with a channel, the channel's close does not
 * free its descriptor number, so no other file can get that number under the transfer:
 * <ul>
 *   <li>{@code FileChannelImpl} (source, and a file target): {@code threads.add()} /
 *       {@code threads.remove(int)} on its {@code NativeThreadSet}; {@code implCloseChannel}
 *       signals every registered thread and waits until the set is empty before it closes.
 *       {@code beginBlocking()} / {@code endBlocking(boolean)} on the source install the
 *       {@code Thread.interrupt()} hook for a file target, which closes the channel (and so
 *       signals the thread).</li>
 *   <li>{@code SocketChannelImpl} and {@code SinkChannelImpl} (socket and pipe targets): the
 *       {@code writeLock}, then {@code beginWrite(blocking)} / {@code endWrite(blocking,
 *       completed)}, exactly as their own {@code write} does. A close of a blocking channel
 *       with a writer registered {@code dup2}s a dead socket onto the number, signals the writer
 *       and defers the real close to {@code endWrite}; a close of a non-blocking one waits for
 *       the {@code writeLock}. For a blocking channel {@code beginWrite} also installs the
 *       interrupt hook (the source's {@code beginBlocking} is then not called: one hook per call,
 *       see {@link #transfer}).</li>
 * </ul>
 * The signal (the JDK's, {@code SIGRTMAX-2}, whose handler has no {@code SA_RESTART}) makes the
 * blocked kernel call return; the native loop then asks {@code Native.checkpoint}, which sees the
 * closed channel or the interrupt and ends the transfer.
 *
 * <p>These members are the same in JDK 17 and JDK 25 (JDK 25's {@code beforeTransfer} and
 * {@code beforeTransferTo} are built from them). They are looked up once, when this class
 * loads, through the JDK's full-privilege lookup, which the native library reads with JNI (JNI
 * ignores access and module boundaries, so no {@code --add-opens} is needed); the handles are
 * typed, so a changed member fails the lookup here and never misbehaves at a call. When any is
 * missing, {@link #UNAVAILABLE} says which, and every transfer duplicates the descriptors
 * instead (the slower path that needs nothing of the JDK's internals).
 */
final class JdkChannels {
    /** Null when every member was found; otherwise what was missing. */
    static final String UNAVAILABLE;

    private static final MethodHandle FILE_FD;          // (Object) FileDescriptor
    private static final MethodHandle DESCRIPTOR_FD;    // (FileDescriptor) int
    private static final MethodHandle FILE_READABLE;    // (Object) boolean
    private static final MethodHandle FILE_WRITABLE;    // (Object) boolean
    private static final MethodHandle THREADS_ADD;      // (Object) int
    private static final MethodHandle THREADS_REMOVE;   // (Object, int) void
    private static final MethodHandle BEGIN_BLOCKING;   // (Object) void
    private static final MethodHandle END_BLOCKING;     // (Object, boolean) void
    private static final MethodHandle SOCKET_FD;        // (Object) int
    private static final MethodHandle SOCKET_LOCK;      // (Object) ReentrantLock
    private static final MethodHandle SOCKET_BEGIN;     // (Object, boolean) void
    private static final MethodHandle SOCKET_END;       // (Object, boolean, boolean) void
    private static final MethodHandle SINK_FD;
    private static final MethodHandle SINK_LOCK;
    private static final MethodHandle SINK_BEGIN;
    private static final MethodHandle SINK_END;
    /** {@code Thread.isVirtual()} (JDK 21+), or null. */
    private static final MethodHandle IS_VIRTUAL;

    static {
        MethodHandle[] h = new MethodHandle[16];
        String missing = null;
        if (!Native.AVAILABLE) {
            missing = "the native library did not load";
        } else {
            try {
                find(h);
            } catch (ReflectiveOperationException | RuntimeException e) {
                missing = e.toString();
                h = new MethodHandle[h.length];
            }
        }
        UNAVAILABLE = missing;
        FILE_FD = h[0];
        DESCRIPTOR_FD = h[1];
        FILE_READABLE = h[2];
        FILE_WRITABLE = h[3];
        THREADS_ADD = h[4];
        THREADS_REMOVE = h[5];
        BEGIN_BLOCKING = h[6];
        END_BLOCKING = h[7];
        SOCKET_FD = h[8];
        SOCKET_LOCK = h[9];
        SOCKET_BEGIN = h[10];
        SOCKET_END = h[11];
        SINK_FD = h[12];
        SINK_LOCK = h[13];
        SINK_BEGIN = h[14];
        SINK_END = h[15];
        MethodHandle isVirtual = null;
        try {
            isVirtual = MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            // before JDK 21: every thread is a platform thread
        }
        IS_VIRTUAL = isVirtual;
    }

    private JdkChannels() {}

    private static void find(MethodHandle[] h) throws ReflectiveOperationException {
        Object found = Native.trustedLookup0();
        if (!(found instanceof MethodHandles.Lookup)) {
            throw new NoSuchFieldException("java.lang.invoke.MethodHandles$Lookup.IMPL_LOOKUP");
        }
        MethodHandles.Lookup lookup = (MethodHandles.Lookup) found;
        Class<?> file = Class.forName("sun.nio.ch.FileChannelImpl", false, null);
        Class<?> threadSet = Class.forName("sun.nio.ch.NativeThreadSet", false, null);
        Class<?> socket = Class.forName("sun.nio.ch.SocketChannelImpl", false, null);
        Class<?> sink = Class.forName("sun.nio.ch.SinkChannelImpl", false, null);
        MethodType onObject = MethodType.methodType(void.class, Object.class);

        h[0] = getter(lookup, file, "fd", FileDescriptor.class);
        h[1] = lookup.findGetter(FileDescriptor.class, "fd", int.class);
        h[2] = getter(lookup, file, "readable", boolean.class);
        h[3] = getter(lookup, file, "writable", boolean.class);
        MethodHandle threads = lookup.findGetter(file, "threads", threadSet);
        h[4] = MethodHandles.filterArguments(
                lookup.findVirtual(threadSet, "add", MethodType.methodType(int.class)), 0, threads)
                .asType(MethodType.methodType(int.class, Object.class));
        h[5] = MethodHandles.filterArguments(
                lookup.findVirtual(threadSet, "remove", MethodType.methodType(void.class, int.class)), 0, threads)
                .asType(MethodType.methodType(void.class, Object.class, int.class));
        h[6] = lookup.findVirtual(file, "beginBlocking", MethodType.methodType(void.class)).asType(onObject);
        h[7] = lookup.findVirtual(file, "endBlocking", MethodType.methodType(void.class, boolean.class))
                .asType(MethodType.methodType(void.class, Object.class, boolean.class));
        Class<?>[] writers = {socket, sink};
        for (int i = 0; i < writers.length; i++) {
            Class<?> c = writers[i];
            h[8 + 4 * i] = getter(lookup, c, "fdVal", int.class);
            h[9 + 4 * i] = getter(lookup, c, "writeLock", ReentrantLock.class);
            h[10 + 4 * i] = lookup.findVirtual(c, "beginWrite", MethodType.methodType(void.class, boolean.class))
                    .asType(MethodType.methodType(void.class, Object.class, boolean.class));
            h[11 + 4 * i] = lookup.findVirtual(c, "endWrite",
                    MethodType.methodType(void.class, boolean.class, boolean.class))
                    .asType(MethodType.methodType(void.class, Object.class, boolean.class, boolean.class));
        }
    }

    private static MethodHandle getter(MethodHandles.Lookup lookup, Class<?> c, String name, Class<?> type)
            throws ReflectiveOperationException {
        return lookup.findGetter(c, name, type).asType(MethodType.methodType(type, Object.class));
    }

    /**
     * Whether this call can join the protocol: the members were found and the thread is a
     * platform thread (a virtual thread is never signalled by a close, so a blocked call could
     * not be woken; it uses the duplicates and the watchdog instead).
     */
    static boolean usable() {
        if (UNAVAILABLE != null) {
            return false;
        }
        if (IS_VIRTUAL == null) {
            return true;
        }
        try {
            return !(boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The JDK's {@code readable} flag of a FileChannelImpl (the mode it was opened with). */
    static boolean readable(FileChannel file) {
        try {
            return (boolean) FILE_READABLE.invokeExact((Object) file);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The JDK's {@code writable} flag of a FileChannelImpl. */
    static boolean writable(Object file) {
        try {
            return (boolean) FILE_WRITABLE.invokeExact(file);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A native call on the channels' descriptor numbers, made while they cannot be reused. */
    interface OnDescriptors {
        /** The bytes moved, or {@link Native#INTERRUPTED}. */
        long run(int srcFd, int targetFd) throws IOException;
    }

    /**
     * Runs {@code call} (a native transfer) with this thread registered with both channels for
     * the whole call. A close or interrupt that lands during the call shows as the JDK's own
     * exceptions from the deregistration ({@code AsynchronousCloseException},
     * {@code ClosedByInterruptException}); the caller translates them as JDK 25 does.
     *
     * <p>Exactly one channel's {@code begin()} (the {@code Thread.interrupt()} hook) runs per call,
     * and before any registration: {@code Thread.interrupt()} runs the hook while it holds the
     * thread's blocker lock, and the hook's close waits for the registered thread, so a second
     * {@code begin()} after a registration (which takes that lock) would deadlock with it.
     */
    static long transfer(FileChannel src, WritableByteChannel target, int kind, OnDescriptors call)
            throws IOException {
        if (kind == Native.FILE) {
            return toFile(src, (FileChannel) target, call);
        }
        long n = toWriter(src, target, kind == Native.SOCKET, call);
        if (n >= 0 && Thread.currentThread().isInterrupted()) {
            // Interrupted during a transfer to a non-blocking target, which has no hook (a
            // blocking one's hook closed it, and its deregistration threw): what the source's
            // hook does in JDK 25.
            return Native.INTERRUPTED;
        }
        return n;
    }

    /** JDK 25's transferToFileChannel: the source's interrupt hook, both registered. */
    private static long toFile(FileChannel src, FileChannel target, OnDescriptors call) throws IOException {
        boolean completed = false;
        try {
            beginBlocking(src);
            int sourceIndex = register(src);
            try {
                int targetIndex = register(target);
                try {
                    long n = call.run(fileFd(src), fileFd(target));
                    completed = n >= 0;
                    return n;
                } finally {
                    deregister(target, targetIndex);
                }
            } finally {
                deregister(src, sourceIndex);
            }
        } finally {
            endBlocking(src, completed);
        }
    }

    /**
     * A socket or pipe target: its own write protocol, as its {@code write} runs it (for a
     * blocking channel that includes its interrupt hook), and the source registered inside it.
     * A non-blocking target has no hook: it never blocks, and the caller checks the interrupt
     * status after the call, as the hook would have.
     */
    private static long toWriter(FileChannel src, WritableByteChannel target, boolean socket, OnDescriptors call)
            throws IOException {
        boolean completed = false;
        ReentrantLock lock = writeLock(socket, target);
        lock.lock();
        try {
            boolean blocking = ((SelectableChannel) target).isBlocking();
            try {
                beginWrite(socket, target, blocking);
                if (!target.isOpen()) {
                    // beginWrite checks nothing for a non-blocking socket
                    throw new ClosedChannelException();
                }
                int sourceIndex = register(src);
                try {
                    long n = call.run(fileFd(src), fdVal(socket, target));
                    completed = n >= 0;
                    return n;
                } finally {
                    deregister(src, sourceIndex);
                }
            } finally {
                endWrite(socket, target, blocking, completed);
            }
        } finally {
            lock.unlock();
        }
    }

    /** JDK 25's {@code beforeTransfer}: registered, or ClosedChannelException. */
    private static int register(Object file) throws ClosedChannelException {
        int index;
        try {
            index = (int) THREADS_ADD.invokeExact(file);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (!((FileChannel) file).isOpen()) {
            deregister(file, index);
            throw new ClosedChannelException();
        }
        return index;
    }

    private static void deregister(Object file, int index) {
        try {
            THREADS_REMOVE.invokeExact(file, index);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void beginBlocking(FileChannel file) {
        try {
            BEGIN_BLOCKING.invokeExact((Object) file);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void endBlocking(FileChannel file, boolean completed) throws IOException {
        try {
            END_BLOCKING.invokeExact((Object) file, completed);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static int fileFd(Object file) {
        try {
            return (int) DESCRIPTOR_FD.invokeExact((FileDescriptor) FILE_FD.invokeExact(file));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static int fdVal(boolean socket, Object channel) {
        try {
            return socket ? (int) SOCKET_FD.invokeExact(channel) : (int) SINK_FD.invokeExact(channel);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static ReentrantLock writeLock(boolean socket, Object channel) {
        try {
            return socket ? (ReentrantLock) SOCKET_LOCK.invokeExact(channel)
                    : (ReentrantLock) SINK_LOCK.invokeExact(channel);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void beginWrite(boolean socket, Object channel, boolean blocking) throws IOException {
        try {
            if (socket) {
                SOCKET_BEGIN.invokeExact(channel, blocking);
            } else {
                SINK_BEGIN.invokeExact(channel, blocking);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void endWrite(boolean socket, Object channel, boolean blocking, boolean completed)
            throws IOException {
        try {
            if (socket) {
                SOCKET_END.invokeExact(channel, blocking, completed);
            } else {
                SINK_END.invokeExact(channel, blocking, completed);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The members above throw nothing checked but what their callers declare. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        throw new AssertionError(t);
    }
}
