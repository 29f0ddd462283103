package dev.zerocopy.examples.netty;

import dev.zerocopy.Strategy;
import dev.zerocopy.ZeroCopy;
import dev.zerocopy.netty.ZeroCopyFileRegion;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FileRegion;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A static file server on Netty: HTTP/1.1 GET and HEAD with Content-Length and keep-alive, each
 * file sent as the region {@link ZeroCopyFileRegion#forChannel} picks (a ZeroCopyFileRegion with
 * the strategy you pick; on io_uring above 16 KiB Netty's own DefaultFileRegion), on the transport you pick.
 * {@code --region zerocopy} sends a ZeroCopyFileRegion on every transport, {@code --region
 * default} Netty's DefaultFileRegion, to compare.
 *
 * <pre>
 *   java -cp "$(cat build/netty-example.classpath)" dev.zerocopy.examples.netty.NettyFileServer \
 *        --dir /srv/files --port 8080 --transport epoll --strategy sendfile
 *   curl -o copy.bin http://127.0.0.1:8080/big.bin
 * </pre>
 */
public final class NettyFileServer implements AutoCloseable {
    /** The Netty transports this server runs on. */
    public enum Transport {
        NIO, EPOLL, IO_URING;

        /** Why this transport cannot run here, or null when it can. */
        public Throwable unavailability() {
            switch (this) {
                case EPOLL: return Epoll.unavailabilityCause();
                case IO_URING: return IoUring.unavailabilityCause();
                default: return null;
            }
        }

        IoHandlerFactory handler() {
            switch (this) {
                case EPOLL: return EpollIoHandler.newFactory();
                case IO_URING: return IoUringIoHandler.newFactory();
                default: return NioIoHandler.newFactory();
            }
        }

        Class<? extends ServerChannel> serverChannel() {
            switch (this) {
                case EPOLL: return EpollServerSocketChannel.class;
                case IO_URING: return IoUringServerSocketChannel.class;
                default: return NioServerSocketChannel.class;
            }
        }
    }

    /** The FileRegion a response's body is sent as. */
    public enum Region {
        /**
         * {@link ZeroCopyFileRegion#forChannel}: a ZeroCopyFileRegion with the server's strategy, or
         * on io_uring, above 16 KiB, Netty's own DefaultFileRegion, which io_uring splices.
         */
        AUTO,
        /** {@link ZeroCopyFileRegion} with the server's strategy, on every transport. */
        ZEROCOPY,
        /** Netty's own {@link DefaultFileRegion} (the strategy is not used). */
        DEFAULT
    }

    private final EventLoopGroup group;
    private final Channel server;

    private NettyFileServer(EventLoopGroup group, Channel server) {
        this.group = group;
        this.server = server;
    }

    /**
     * Starts a server on {@code address} (port 0: any free port) with {@code threads} event loops.
     *
     * @throws IllegalStateException the transport cannot run here (its cause says why)
     */
    public static NettyFileServer start(Path dir, InetSocketAddress address, Transport transport, Strategy strategy,
            Region region, int threads) throws IOException, InterruptedException {
        if (transport.unavailability() != null) {
            throw new IllegalStateException(transport + " is not available here", transport.unavailability());
        }
        Path root = dir.toRealPath();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, transport.handler());
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new FileHandler(root, strategy, region));
                        }
                    })
                    .bind(address).sync().channel();
            return new NettyFileServer(group, server);
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The port the server listens on. */
    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Closes the listening socket and every connection, and waits until the event loops end. */
    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Serves GET and HEAD of the regular files under the root; one handler per connection. */
    private static final class FileHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final Path root;
        private final Strategy strategy;
        private final Region region;

        FileHandler(Path root, Strategy strategy, Region region) {
            this.root = root;
            this.strategy = strategy;
            this.region = region;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) throws IOException {
            // Only the request line and headers matter: GET and HEAD have no body.
            if (msg instanceof HttpRequest) {
                serve(ctx, (HttpRequest) msg);
            }
        }

        private void serve(ChannelHandlerContext ctx, HttpRequest request) throws IOException {
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            boolean head = request.method().equals(HttpMethod.HEAD);
            if (!head && !request.method().equals(HttpMethod.GET)) {
                status(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, keepAlive);
                return;
            }
            Path file = resolve(request.uri());
            if (file == null) {
                status(ctx, HttpResponseStatus.NOT_FOUND, keepAlive);
                return;
            }
            FileChannel body;
            try {
                body = FileChannel.open(file);
            } catch (NoSuchFileException e) {
                status(ctx, HttpResponseStatus.NOT_FOUND, keepAlive);
                return;
            }
            long size = body.size();
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, size)
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
            HttpUtil.setKeepAlive(response, keepAlive);
            ctx.write(response);
            if (head || size == 0) {
                body.close();
            } else {
                // The region owns the channel: Netty releases it (and so closes the file) once it is
                // written, or when the write fails because the peer went away.
                FileRegion region;
                switch (this.region) {
                    case DEFAULT: region = new DefaultFileRegion(body, 0, size); break;
                    case ZEROCOPY: region = new ZeroCopyFileRegion(body, 0, size, strategy); break;
                    default: region = ZeroCopyFileRegion.forChannel(ctx.channel(), body, 0, size, strategy); break;
                }
                ctx.write(region, ctx.voidPromise());
            }
            ChannelFuture done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (!keepAlive) {
                done.addListener(ChannelFutureListener.CLOSE);
            }
        }

        /** The regular file a request's path names inside the root, or null. */
        private Path resolve(String uri) throws IOException {
            String path = new QueryStringDecoder(uri).path();
            if (path.indexOf('\0') >= 0) {
                return null;
            }
            Path file = root.resolve(path.replaceFirst("^/+", "")).normalize();
            try {
                file = file.toRealPath(); // follows links, so check containment afterwards
            } catch (NoSuchFileException | java.nio.file.InvalidPathException e) {
                return null;
            }
            return file.startsWith(root) && Files.isRegularFile(file) ? file : null;
        }

        private static void status(ChannelHandlerContext ctx, HttpResponseStatus status, boolean keepAlive) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(status + "\n", StandardCharsets.US_ASCII));
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
            HttpUtil.setKeepAlive(response, keepAlive);
            ChannelFuture done = ctx.writeAndFlush(response);
            if (!keepAlive) {
                done.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a peer that went away mid-response (reset, broken pipe)
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Paths.get(".");
        int port = 8080;
        String bind = "127.0.0.1";
        Transport transport = Transport.EPOLL.unavailability() == null ? Transport.EPOLL : Transport.NIO;
        Strategy strategy = ZeroCopy.defaultStrategy();
        Region region = Region.AUTO;
        int threads = Runtime.getRuntime().availableProcessors();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--dir": dir = Paths.get(args[++i]); break;
                    case "--port": port = Integer.parseInt(args[++i]); break;
                    case "--bind": bind = args[++i]; break;
                    case "--transport": transport = Transport.valueOf(upper(args[++i])); break;
                    case "--strategy": strategy = socketStrategy(args[++i]); break;
                    case "--region": region = Region.valueOf(upper(args[++i])); break;
                    case "--threads": threads = Integer.parseInt(args[++i]); break;
                    default: throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("NettyFileServer: " + e.getMessage() + "\nusage: NettyFileServer [--dir DIR] [--port 8080] "
                    + "[--bind 127.0.0.1] [--transport nio|epoll|io_uring] [--strategy auto|sendfile|mmap|read_write|jdk] "
                    + "[--region auto|zerocopy|default] [--threads N]");
            System.exit(2);
        }
        NettyFileServer server;
        try {
            server = start(Paths.get(dir.toString()), new InetSocketAddress(bind, port), transport, strategy, region,
                    threads);
        } catch (IllegalStateException e) {
            System.err.println("NettyFileServer: " + e.getMessage() + ": " + e.getCause());
            System.exit(1);
            return;
        }
        System.out.println("serving " + dir.toRealPath() + " on http://" + bind + ":" + server.port() + "/ with "
                + (region == Region.DEFAULT ? "DefaultFileRegion" : region == Region.AUTO
                        ? "ZeroCopyFileRegion.forChannel, " + strategy : "ZeroCopyFileRegion " + strategy) + " on "
                + transport + (ZeroCopy.isNativeAvailable() ? "" : " (native library not available: JDK path)"));
        // On Ctrl-C: which paths ran, and what they moved (also the JMX MXBean dev.zerocopy:type=Transfers).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            System.out.println(ZeroCopy.statistics());
        }));
        Thread.currentThread().join();
    }

    /** A strategy that can send to a socket (COPY_FILE_RANGE and SPLICE cannot). */
    private static Strategy socketStrategy(String name) {
        Strategy s = Strategy.valueOf(upper(name));
        if (s == Strategy.COPY_FILE_RANGE || s == Strategy.SPLICE) {
            throw new IllegalArgumentException(s + " cannot send to a socket");
        }
        return s;
    }

    private static String upper(String s) {
        return s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
