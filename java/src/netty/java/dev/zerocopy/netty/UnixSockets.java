package dev.zerocopy.netty;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * The socket descriptor behind the channel Netty's epoll transport gives a {@code FileRegion}
 * ({@code io.netty.channel.unix.SocketWritableByteChannel}, whose {@code fd} is the channel's own
 * socket, {@code UnixChannel.fd()}). Netty keeps that field protected and has no getter for it,
 * so it is read through reflection, looked up once when this class loads. Where that fails (no
 * unix transport on the class path, Netty's jars on the module path, a Netty whose field has
 * another name), {@link #UNAVAILABLE} says why and {@link #fd} answers -1 for every channel.
 */
final class UnixSockets {
    private static final Class<?> SOCKET_CHANNEL;
    private static final MethodHandle FD; // (Object) int

    /** Why the descriptor cannot be read, or null when it can. */
    static final String UNAVAILABLE;

    static {
        Class<?> channel = null;
        MethodHandle fd = null;
        String why = null;
        try {
            ClassLoader loader = UnixSockets.class.getClassLoader();
            channel = Class.forName("io.netty.channel.unix.SocketWritableByteChannel", false, loader);
            Class<?> descriptor = Class.forName("io.netty.channel.unix.FileDescriptor", false, loader);
            Field field = channel.getDeclaredField("fd");
            field.setAccessible(true);
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle intValue = lookup.findVirtual(descriptor, "intValue", MethodType.methodType(int.class));
            fd = MethodHandles.filterReturnValue(lookup.unreflectGetter(field), intValue)
                    .asType(MethodType.methodType(int.class, Object.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // RuntimeException: InaccessibleObjectException (JDK 9+) when Netty is a named module
            channel = null;
            fd = null;
            why = e.toString();
        }
        SOCKET_CHANNEL = channel;
        FD = fd;
        UNAVAILABLE = why;
    }

    private UnixSockets() {}

    /** The socket descriptor behind {@code target} if it is a Netty unix socket's channel, else -1. */
    static int fd(Object target) {
        if (SOCKET_CHANNEL == null || !SOCKET_CHANNEL.isInstance(target)) {
            return -1;
        }
        try {
            return (int) FD.invokeExact(target);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t); // a field getter throws nothing checked
        }
    }
}
