package dev.zerocopy.netty;

import dev.zerocopy.Strategy;
import dev.zerocopy.ZeroCopy;
import io.netty.channel.Channel;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A Netty {@link FileRegion} sent by zerocopy-nio's native path: Netty's
 * {@code DefaultFileRegion}, with a {@link Strategy}. It is reference-counted as
 * {@code DefaultFileRegion} is: it owns the {@code FileChannel} and closes it when the last
 * reference is released (Netty releases a region once it is written, or when the write fails).
 *
 * <pre>{@code
 * ctx.write(response);
 * ctx.writeAndFlush(new ZeroCopyFileRegion(FileChannel.open(path), 0, size, Strategy.SENDFILE));
 * }</pre>
 *
 * <p>Where the strategy runs, by transport:
 * <ul>
 *   <li><b>NIO</b>: Netty hands the region its {@code SocketChannel};
 *       {@link ZeroCopy#transferTo(FileChannel, long, long, WritableByteChannel, Strategy)} runs
 *       the strategy on it.</li>
 *   <li><b>epoll</b>: Netty hands the region a channel of its own around the socket; the region
 *       reads the socket's descriptor from it and runs the strategy on that descriptor
 *       ({@link ZeroCopy#transferToDescriptor}). Netty's native code never sees the region, so a
 *       {@code ZeroCopy.wrap}ped channel, or any other {@code FileChannel}, is safe here, which it
 *       is not in a {@code DefaultFileRegion} on epoll.</li>
 *   <li><b>io_uring</b>, and any transport that gives the region neither: Netty copies the region
 *       into a buffer of its own through {@code transferTo}; the region fills it with the JDK's
 *       {@code FileChannel.transferTo}, as a {@code DefaultFileRegion} would be filled there, and
 *       the statistics count an AUTO hand-off to the JDK. On io_uring, Netty's own
 *       {@code DefaultFileRegion} splices instead, which is faster above 16 KiB:
 *       {@link #forChannel} gives one there.</li>
 * </ul>
 * What ran shows in {@link ZeroCopy#statistics()} and the JMX MXBean
 * {@code dev.zerocopy:type=Transfers}.
 *
 * <p>Like {@code DefaultFileRegion}, a region is for one channel and one write; it is not
 * thread-safe, and {@link #transferTo} fails with {@code IOException} when the file has become
 * shorter than the region (a write of 0 bytes with bytes still to send).
 */
public final class ZeroCopyFileRegion extends AbstractReferenceCounted implements FileRegion {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(ZeroCopyFileRegion.class);

    private final FileChannel file;
    private final long position;
    private final long count;
    private final Strategy strategy;
    private long transferred;

    /**
     * A region of {@code count} bytes of {@code file} from {@code position}, sent with the default
     * strategy ({@link ZeroCopy#defaultStrategy()}: AUTO, or {@code -Ddev.zerocopy.strategy}).
     */
    public ZeroCopyFileRegion(FileChannel file, long position, long count) {
        this(file, position, count, ZeroCopy.defaultStrategy());
    }

    /**
     * A region of {@code count} bytes of {@code file} from {@code position}, sent with
     * {@code strategy}. The region owns {@code file} and closes it when it is released.
     *
     * @throws NullPointerException {@code file} or {@code strategy} is null
     * @throws IllegalArgumentException {@code position} or {@code count} is negative, or the strategy
     *     cannot send to a socket ({@code COPY_FILE_RANGE} copies between files, {@code SPLICE} is a
     *     {@code transferFrom} strategy): a region is refused here rather than failing its write after
     *     a response's header has gone out
     */
    public ZeroCopyFileRegion(FileChannel file, long position, long count, Strategy strategy) {
        check(file, position, count, strategy);
        this.file = file;
        this.position = position;
        this.count = count;
        this.strategy = strategy;
    }

    /**
     * The largest region {@link #forChannel} leaves to the copy on io_uring: up to 16 KiB the copy
     * into Netty's buffer served 1.1-1.3 times the requests of Netty's splice, at 32 KiB 0.97 times
     * (benches/netty/results-io_uring-small-jdk17.md).
     */
    static final long IO_URING_COPY_MAX = 16 * 1024;

    /**
     * The fastest region for {@code channel}'s transport: a {@code ZeroCopyFileRegion} with
     * {@code strategy}, except on io_uring, where Netty splices a {@link DefaultFileRegion} in the
     * ring but copies any other region into a buffer first: there, a region of more than 16 KiB
     * of a plain JDK {@code FileChannel} is a {@code DefaultFileRegion} (which the statistics do not
     * count: Netty sends it), and a smaller one, which the copy sends faster, a
     * {@code ZeroCopyFileRegion}. A {@code ZeroCopy.wrap}ped or other {@code FileChannel} always
     * gets a {@code ZeroCopyFileRegion}, since Netty's natives would read a JDK field out of it.
     *
     * @param channel the channel the region will be written to ({@code ctx.channel()})
     * @throws NullPointerException an argument is null
     * @throws IllegalArgumentException as the constructor
     */
    public static FileRegion forChannel(Channel channel, FileChannel file, long position, long count,
            Strategy strategy) {
        if (channel == null) {
            throw new NullPointerException("channel");
        }
        check(file, position, count, strategy);
        if (count > IO_URING_COPY_MAX && channel.getClass().getName().startsWith("io.netty.channel.uring.")
                && file.getClass().getName().equals("sun.nio.ch.FileChannelImpl")) {
            return new DefaultFileRegion(file, position, count);
        }
        return new ZeroCopyFileRegion(file, position, count, strategy);
    }

    private static void check(FileChannel file, long position, long count, Strategy strategy) {
        if (file == null) {
            throw new NullPointerException("file");
        }
        if (strategy == null) {
            throw new NullPointerException("strategy");
        }
        if (strategy == Strategy.COPY_FILE_RANGE || strategy == Strategy.SPLICE) {
            throw new IllegalArgumentException(strategy + " cannot send to a socket (one of AUTO, SENDFILE, MMAP, "
                    + "READ_WRITE, JDK)");
        }
        if (position < 0) {
            throw new IllegalArgumentException("position: " + position + " (expected: >= 0)");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count: " + count + " (expected: >= 0)");
        }
    }

    /** The strategy this region is sent with. */
    public Strategy strategy() {
        return strategy;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Deprecated
    @Override
    public long transfered() {
        return transferred;
    }

    /**
     * Writes the region's bytes from {@code position} (relative to the region) to
     * {@code target}, as many as it takes now: the bytes written, possibly 0 (a non-blocking
     * socket that is full).
     *
     * @throws IllegalArgumentException {@code position} is outside the region
     * @throws IllegalReferenceCountException the region was released
     * @throws IOException the file has become shorter than the region, or the write failed (the
     *     exceptions of {@link ZeroCopy#transferTo(FileChannel, long, long, WritableByteChannel,
     *     Strategy)}, for example {@code "Broken pipe"} when the peer has gone)
     */
    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long remaining = this.count - position;
        if (remaining < 0 || position < 0) {
            throw new IllegalArgumentException(
                    "position out of range: " + position + " (expected: 0 - " + (this.count - 1) + ')');
        }
        if (remaining == 0) {
            return 0L;
        }
        if (refCnt() == 0) {
            throw new IllegalReferenceCountException(0);
        }
        long written = send(target, this.position + position, remaining);
        if (written > 0) {
            transferred += written;
        } else if (written == 0) {
            validate(position);
        }
        return written;
    }

    private long send(WritableByteChannel target, long at, long n) throws IOException {
        int fd = UnixSockets.fd(target);
        if (fd >= 0) {
            return ZeroCopy.transferToDescriptor(file, at, n, target, fd, strategy, null);
        }
        // A JDK socket (NIO) runs the strategy; a target the native side cannot take (io_uring's
        // buffer) gets what AUTO gives it, the JDK's transferTo, never an exception.
        return ZeroCopy.transferTo(file, at, n, target, target instanceof SocketChannel ? strategy : Strategy.AUTO);
    }

    /** DefaultFileRegion's check after a write of 0: the file must still hold the region. */
    private void validate(long position) throws IOException {
        long size = file.size();
        if (this.position + this.count > size) {
            throw new IOException("Underlying file size " + size + " smaller than requested count " + this.count
                    + " (region at " + this.position + ", " + position + " bytes sent)");
        }
    }

    @Override
    protected void deallocate() {
        try {
            file.close();
        } catch (IOException e) {
            logger.warn("Failed to close a file.", e);
        }
    }

    @Override
    public FileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public FileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FileRegion touch() {
        return this;
    }

    @Override
    public FileRegion touch(Object hint) {
        return this;
    }

    @Override
    public String toString() {
        return "ZeroCopyFileRegion(" + strategy + ", position: " + position + ", count: " + count
                + ", transferred: " + transferred + ", refCnt: " + refCnt() + ')';
    }
}
