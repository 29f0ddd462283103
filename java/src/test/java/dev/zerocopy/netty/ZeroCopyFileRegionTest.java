package dev.zerocopy.netty;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.zerocopy.Strategy;
import dev.zerocopy.TransferStatistics;
import dev.zerocopy.ZeroCopy;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.util.IllegalReferenceCountException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** ZeroCopyFileRegion's contract: DefaultFileRegion's, with the strategy run where it can. */
public class ZeroCopyFileRegionTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path file(byte[] data) throws IOException {
        Path p = tmp.newFile().toPath();
        Files.write(p, data);
        return p;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] slice(byte[] data, int from, int length) {
        byte[] out = new byte[length];
        System.arraycopy(data, from, out, 0, length);
        return out;
    }

    /** Reads a socket to its end. */
    private static byte[] readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        while (ch.read(buf) >= 0) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        return out.toByteArray();
    }

    @Test
    public void constructorsCheckTheirArguments() throws Exception {
        try (FileChannel ch = FileChannel.open(file(new byte[1]))) {
            assertEquals(ZeroCopy.defaultStrategy(), new ZeroCopyFileRegion(ch, 0, 1).strategy());
            for (long[] bad : new long[][] {{-1, 1}, {0, -1}}) {
                try {
                    new ZeroCopyFileRegion(ch, bad[0], bad[1], Strategy.AUTO);
                    fail("accepted " + bad[0] + ", " + bad[1]);
                } catch (IllegalArgumentException expected) {
                }
            }
            for (Strategy fileOnly : new Strategy[] {Strategy.COPY_FILE_RANGE, Strategy.SPLICE}) {
                try {
                    new ZeroCopyFileRegion(ch, 0, 1, fileOnly);
                    fail("accepted " + fileOnly);
                } catch (IllegalArgumentException expected) {
                    assertTrue(expected.getMessage(), expected.getMessage().startsWith(fileOnly + " cannot send"));
                }
            }
            try {
                new ZeroCopyFileRegion(null, 0, 1);
                fail("null file");
            } catch (NullPointerException expected) {
            }
            try {
                new ZeroCopyFileRegion(ch, 0, 1, null);
                fail("null strategy");
            } catch (NullPointerException expected) {
            }
        }
    }

    @Test
    public void sendsItsPartOfTheFileFromAPositionInTheRegion() throws Exception {
        byte[] data = random(300_000, 1);
        for (Strategy strategy : new Strategy[] {Strategy.AUTO, Strategy.SENDFILE, Strategy.MMAP, Strategy.READ_WRITE}) {
            ZeroCopyFileRegion region = new ZeroCopyFileRegion(FileChannel.open(file(data)), 100, 200_000, strategy);
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                try (SocketChannel target = SocketChannel.open(server.getLocalAddress());
                        SocketChannel peer = server.accept()) {
                    TransferStatistics before = ZeroCopy.statistics();
                    long sent = 10;
                    while (sent < region.count()) {
                        sent += region.transferTo(target, sent);
                    }
                    assertEquals(200_000 - 10, region.transferred());
                    assertEquals(0, region.transferTo(target, region.count()));
                    target.shutdownOutput();
                    assertArrayEquals(strategy.name(), slice(data, 110, 200_000 - 10), readAll(peer));
                    TransferStatistics after = ZeroCopy.statistics();
                    Strategy ran = strategy == Strategy.AUTO ? Strategy.SENDFILE : strategy;
                    assertTrue(strategy + " ran", after.calls(TransferStatistics.Call.TRANSFER_TO, ran)
                            > before.calls(TransferStatistics.Call.TRANSFER_TO, ran));
                    assertEquals(before.jdkHandOffCount(), after.jdkHandOffCount());
                }
            } finally {
                assertTrue(region.release());
            }
        }
    }

    @Test
    public void aPositionOutsideTheRegionIsRefused() throws Exception {
        ZeroCopyFileRegion region = new ZeroCopyFileRegion(FileChannel.open(file(new byte[10])), 0, 10);
        try {
            for (long bad : new long[] {-1, 11}) {
                try {
                    region.transferTo(Channels.newChannel(new ByteArrayOutputStream()), bad);
                    fail("position " + bad);
                } catch (IllegalArgumentException expected) {
                }
            }
        } finally {
            region.release();
        }
    }

    @Test
    public void theLastReleaseClosesTheFile() throws Exception {
        FileChannel ch = FileChannel.open(file(new byte[10]));
        ZeroCopyFileRegion region = new ZeroCopyFileRegion(ch, 0, 10);
        assertSame(region, region.retain(2));
        assertEquals(3, region.refCnt());
        assertFalse(region.release(2));
        assertTrue(ch.isOpen());
        assertTrue(region.release());
        assertFalse(ch.isOpen());
        try {
            region.transferTo(Channels.newChannel(new ByteArrayOutputStream()), 0);
            fail("released");
        } catch (IllegalReferenceCountException expected) {
        }
    }

    @Test
    public void aFileShorterThanTheRegionFailsTheWrite() throws Exception {
        Path p = file(random(1000, 2));
        ZeroCopyFileRegion region = new ZeroCopyFileRegion(FileChannel.open(p), 0, 1000, Strategy.SENDFILE);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(500);
        }
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel target = SocketChannel.open(server.getLocalAddress());
                    SocketChannel peer = server.accept()) {
                assertEquals(500, region.transferTo(target, 0));
                try {
                    region.transferTo(target, 500);
                    fail("the file is shorter than the region");
                } catch (IOException e) {
                    assertTrue(e.getMessage(), e.getMessage().contains("smaller than requested count 1000"));
                }
            }
        } finally {
            region.release();
        }
    }

    @Test
    public void aTargetWithoutADescriptorGetsTheJdkPathWhateverTheStrategy() throws Exception {
        byte[] data = random(50_000, 3);
        ZeroCopyFileRegion region = new ZeroCopyFileRegion(FileChannel.open(file(data)), 0, data.length,
                Strategy.SENDFILE);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        TransferStatistics before = ZeroCopy.statistics();
        try {
            long sent = 0;
            while (sent < data.length) {
                sent += region.transferTo(Channels.newChannel(sink), sent);
            }
        } finally {
            region.release();
        }
        assertArrayEquals(data, sink.toByteArray());
        assertTrue(ZeroCopy.statistics().jdkHandOffCount() > before.jdkHandOffCount());
    }

    /**
     * On epoll Netty gives the region its own channel around the socket: the strategy runs on the
     * socket's descriptor, and a wrapped FileChannel (which crashes DefaultFileRegion there) is safe.
     */
    @Test
    public void onEpollTheStrategyRunsOnTheSocketEvenForAWrappedChannel() throws Exception {
        assertNull("the descriptor of Netty's unix channels is readable", UnixSockets.UNAVAILABLE);
        assertTrue("epoll runs here: " + Epoll.unavailabilityCause(), Epoll.isAvailable());
        byte[] data = random(5 << 20, 4);
        Path p = file(data);
        for (Strategy strategy : new Strategy[] {Strategy.AUTO, Strategy.MMAP, Strategy.READ_WRITE}) {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
            try {
                Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                        .childHandler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) throws IOException {
                                ctx.writeAndFlush(new ZeroCopyFileRegion(ZeroCopy.wrap(FileChannel.open(p)), 0,
                                        data.length, strategy)).addListener(ChannelFutureListener.CLOSE);
                            }
                        })
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
                TransferStatistics before = ZeroCopy.statistics();
                try (SocketChannel client = SocketChannel.open(server.localAddress())) {
                    assertArrayEquals(strategy.name(), data, readAll(client));
                }
                server.close().sync();
                TransferStatistics after = ZeroCopy.statistics();
                Strategy ran = strategy == Strategy.AUTO ? Strategy.SENDFILE : strategy;
                TransferStatistics.Call to = TransferStatistics.Call.TRANSFER_TO;
                assertTrue(strategy + " ran", after.calls(to, ran) > before.calls(to, ran));
                assertTrue(after.bytes(to, ran) - before.bytes(to, ran) >= data.length);
                assertEquals(before.jdkHandOffCount(), after.jdkHandOffCount());
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }

    /**
     * forChannel: Netty's own region on io_uring for more than 16 KiB of a plain JDK channel, ours
     * everywhere else.
     */
    @Test
    public void forChannelPicksTheRegionTheTransportSendsFastest() throws Exception {
        Path p = file(new byte[100_000]);
        Channel[] channels = {new NioSocketChannel(), new EpollSocketChannel(),
            IoUring.isAvailable() ? new IoUringSocketChannel() : null};
        try {
            for (Channel ch : channels) {
                if (ch == null) {
                    continue;
                }
                boolean uring = ch instanceof IoUringSocketChannel;
                long big = ZeroCopyFileRegion.IO_URING_COPY_MAX + 1;
                FileRegion plain = ZeroCopyFileRegion.forChannel(ch, FileChannel.open(p), 1, big, Strategy.MMAP);
                FileRegion small = ZeroCopyFileRegion.forChannel(ch, FileChannel.open(p), 1, big - 1, Strategy.MMAP);
                FileRegion wrapped = ZeroCopyFileRegion.forChannel(ch, ZeroCopy.wrap(FileChannel.open(p)), 1, big,
                        Strategy.MMAP);
                try {
                    assertEquals(ch.toString(), uring ? DefaultFileRegion.class : ZeroCopyFileRegion.class,
                            plain.getClass());
                    assertEquals(ZeroCopyFileRegion.class, small.getClass());
                    assertEquals(ZeroCopyFileRegion.class, wrapped.getClass());
                    assertEquals(Strategy.MMAP, ((ZeroCopyFileRegion) wrapped).strategy());
                    assertEquals(1, plain.position());
                    assertEquals(big, plain.count());
                } finally {
                    plain.release();
                    small.release();
                    wrapped.release();
                }
            }
            try (FileChannel ch = FileChannel.open(p)) {
                ZeroCopyFileRegion.forChannel(channels[0], ch, 0, 1, Strategy.SPLICE);
                fail("SPLICE");
            } catch (IllegalArgumentException expected) {
            }
        } finally {
            for (Channel ch : channels) {
                if (ch != null) {
                    ch.unsafe().closeForcibly();
                }
            }
        }
    }
}
