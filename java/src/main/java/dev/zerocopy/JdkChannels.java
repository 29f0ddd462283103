package dev.zerocopy;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
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
    /** The read side of SocketChannelImpl and SourceChannelImpl, for transferFrom. */
    private static final MethodHandle SOCKET_READ_LOCK;  // (Object) ReentrantLock
    private static final MethodHandle SOCKET_BEGIN_READ; // (Object, boolean) void
    private static final MethodHandle SOCKET_END_READ;   // (Object, boolean, boolean) void
    private static final MethodHandle SOURCE_FD;
    private static final MethodHandle SOURCE_READ_LOCK;
    private static final MethodHandle SOURCE_BEGIN_READ;
    private static final MethodHandle SOURCE_END_READ;
    /** {@code Thread.isVirtual()} (JDK 21+), or null. */
    private static final MethodHandle IS_VIRTUAL;

    static {
        MethodHandle[] h = new MethodHandle[23];
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
        SOCKET_READ_LOCK = h[16];
        SOCKET_BEGIN_READ = h[17];
        SOCKET_END_READ = h[18];
        SOURCE_FD = h[19];
        SOURCE_READ_LOCK = h[20];
        SOURCE_BEGIN_READ = h[21];
        SOURCE_END_READ = h[22];
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
        Class<?> source = Class.forName("sun.nio.ch.SourceChannelImpl", false, null);
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
        h[19] = getter(lookup, source, "fdVal", int.class);
        Class<?>[] readers = {socket, source};
        int[] at = {16, 20};
        for (int i = 0; i < readers.length; i++) {
            Class<?> c = readers[i];
            h[at[i]] = getter(lookup, c, "readLock", ReentrantLock.class);
            h[at[i] + 1] = lookup.findVirtual(c, "beginRead", MethodType.methodType(void.class, boolean.class))
                    .asType(MethodType.methodType(void.class, Object.class, boolean.class));
            h[at[i] + 2] = lookup.findVirtual(c, "endRead",
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
        /**
         * The bytes moved, or {@link Native#INTERRUPTED}; the descriptors in the order the call
         * names its channels (transferTo: source, target; transferFrom: target, source).
         */
        long run(int firstFd, int secondFd) throws IOException;
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
        return withSourceHook(src, srcFd -> {
            int targetIndex = register(target);
            try {
                return call.run(srcFd, fileFd(target));
            } finally {
                deregister(target, targetIndex);
            }
        });
    }

    /** A native call on the source's descriptor number, made while it cannot be reused. */
    private interface OnSource {
        long run(int srcFd) throws IOException;
    }

    /**
     * Runs {@code call} with the source's interrupt hook installed and this thread registered with
     * the source, so that an interrupt (which closes the source) or a close of the source ends a
     * call blocked on the target; a close during the call shows as the JDK's exception from
     * {@code endBlocking}.
     */
    private static long withSourceHook(FileChannel src, OnSource call) throws IOException {
        boolean completed = false;
        try {
            beginBlocking(src);
            int sourceIndex = register(src);
            try {
                long n = call.run(fileFd(src));
                completed = n >= 0;
                return n;
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

    /**
     * A target known only by its descriptor number, which its owner keeps open for the call (a
     * framework's socket, such as Netty's epoll channel, closed only by the thread that calls): as
     * {@link #toFile}, under the source's interrupt hook with the source registered.
     */
    static long toDescriptor(FileChannel src, int targetFd, OnDescriptors call) throws IOException {
        return withSourceHook(src, srcFd -> call.run(srcFd, targetFd));
    }

    /**
     * Runs {@code call} (a native transferFrom, given the target's and the source's descriptor
     * numbers) with this thread registered with both channels for the whole call, one interrupt
     * hook per call as in {@link #transfer}: from a file, JDK 25's transferFromDirect (the
     * target's hook, both registered); from a socket or pipe, the source's own read protocol, as
     * its {@code read} runs it, with the target registered inside it. A close or interrupt that
     * lands during the call shows as the JDK's own exceptions from the deregistration, except
     * that a stream that gave some bytes first returns their count, as JDK 25's loop returns it.
     */
    static long transferFrom(FileChannel target, ReadableByteChannel src, int srcKind, OnDescriptors call)
            throws IOException {
        if (srcKind == Native.FILE) {
            return fromFile(target, (FileChannel) src, call);
        }
        long n = fromReader(target, src, srcKind == Native.SOCKET, call);
        // Interrupted with nothing read from a non-blocking source, which has no hook (a blocking
        // one's hook closed it, and its endRead threw).
        return n == 0 && Thread.currentThread().isInterrupted() ? Native.INTERRUPTED : n;
    }

    /** JDK 25's transferFromDirect: the target's interrupt hook, both registered. */
    private static long fromFile(FileChannel target, FileChannel src, OnDescriptors call) throws IOException {
        boolean completed = false;
        try {
            beginBlocking(target);
            int targetIndex = register(target);
            try {
                int sourceIndex = register(src);
                try {
                    long n = call.run(fileFd(target), fileFd(src));
                    completed = n >= 0;
                    return n;
                } finally {
                    deregister(src, sourceIndex);
                }
            } finally {
                deregister(target, targetIndex);
            }
        } finally {
            endBlocking(target, completed);
        }
    }

    /** A socket or pipe source: its own read protocol, the target registered inside it. */
    private static long fromReader(FileChannel target, ReadableByteChannel src, boolean socket, OnDescriptors call)
            throws IOException {
        long n = -1;
        ReentrantLock lock = readLock(socket, src);
        lock.lock();
        try {
            boolean blocking = ((SelectableChannel) src).isBlocking();
            try {
                beginRead(socket, src, blocking);
                if (!src.isOpen()) {
                    // beginRead checks nothing for a non-blocking channel
                    throw new ClosedChannelException();
                }
                int targetIndex = register(target);
                try {
                    n = call.run(fileFd(target), socket ? fdVal(true, src) : sourceFd(src));
                    return n;
                } finally {
                    deregister(target, targetIndex);
                }
            } finally {
                endRead(socket, src, blocking, n > 0);
            }
        } catch (ClosedChannelException e) {
            if (n > 0) {
                return n; // JDK 25's loop: the bytes that arrived before the close or interrupt
            }
            throw e;
        } finally {
            lock.unlock();
        }
    }

    private static int sourceFd(Object channel) {
        try {
            return (int) SOURCE_FD.invokeExact(channel);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static ReentrantLock readLock(boolean socket, Object channel) {
        try {
            return socket ? (ReentrantLock) SOCKET_READ_LOCK.invokeExact(channel)
                    : (ReentrantLock) SOURCE_READ_LOCK.invokeExact(channel);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void beginRead(boolean socket, Object channel, boolean blocking) throws IOException {
        try {
            if (socket) {
                SOCKET_BEGIN_READ.invokeExact(channel, blocking);
            } else {
                SOURCE_BEGIN_READ.invokeExact(channel, blocking);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void endRead(boolean socket, Object channel, boolean blocking, boolean completed)
            throws IOException {
        try {
            if (socket) {
                SOCKET_END_READ.invokeExact(channel, blocking, completed);
            } else {
                SOURCE_END_READ.invokeExact(channel, blocking, completed);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
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

    static int fdVal(boolean socket, Object channel) {
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
