package dev.zerocopy.examples;

import dev.zerocopy.Strategy;
import dev.zerocopy.TransferReport;
import dev.zerocopy.ZeroCopy;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * A static file server: HTTP/1.1 GET and HEAD with Content-Length, one thread per connection,
 * each response (header and file) sent with {@link ZeroCopy#sendFile} by the strategy you pick.
 *
 * <pre>
 *   java -cp zerocopy-nio.jar:examples dev.zerocopy.examples.StaticFileServer \
 *        --dir /srv/files --port 8080 --strategy sendfile
 *   curl -o copy.bin http://127.0.0.1:8080/big.bin
 * </pre>
 */
public final class StaticFileServer implements Closeable {
    private final Path root;
    private final Strategy strategy;
    private final ServerSocketChannel server;

    public StaticFileServer(Path root, Strategy strategy, InetSocketAddress address) throws IOException {
        this.root = root.toRealPath();
        this.strategy = strategy;
        this.server = ServerSocketChannel.open();
        server.bind(address);
    }

    /** The port the server listens on (useful with port 0). */
    public int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    /** Accepts connections until {@link #close()}, each served by a thread of its own. */
    public void serve() throws IOException {
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException closed) {
                return;
            }
            Thread t = new Thread(() -> handle(client), "http-" + client.socket().getPort());
            t.setDaemon(true);
            t.start();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    private void handle(SocketChannel client) {
        try (SocketChannel c = client) {
            BufferedReader in = new BufferedReader(
                    new InputStreamReader(Channels.newInputStream(c), StandardCharsets.ISO_8859_1));
            String request = in.readLine();
            if (request == null) {
                return;
            }
            for (String header = in.readLine(); header != null && !header.isEmpty(); header = in.readLine()) {
                // headers are not needed: every response closes the connection
            }
            String[] parts = request.split(" ");
            if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
                status(c, 400, "Bad Request");
                return;
            }
            boolean head = parts[0].equals("HEAD");
            if (!head && !parts[0].equals("GET")) {
                status(c, 405, "Method Not Allowed");
                return;
            }
            Path file = resolve(parts[1]);
            if (file == null) {
                status(c, 404, "Not Found");
                return;
            }
            send(c, file, head, parts[1]);
        } catch (IOException e) {
            System.err.println("connection: " + e);
        }
    }

    /** The regular file a request path names inside the root, or null. */
    private Path resolve(String target) throws IOException {
        String path = URLDecoder.decode(target.split("\\?", 2)[0], "UTF-8");
        Path file = root.resolve(path.replaceFirst("^/+", "")).normalize();
        try {
            file = file.toRealPath(); // follows links, so check containment afterwards
        } catch (NoSuchFileException e) {
            return null;
        }
        return file.startsWith(root) && Files.isRegularFile(file) ? file : null;
    }

    /**
     * The response in one {@link ZeroCopy#sendFile} call: the header and the file together, in
     * two kernel calls and one TCP segment for a small file (AUTO), the header riding in the
     * body's first segment for a large one.
     */
    private void send(SocketChannel c, Path file, boolean head, String name) throws IOException {
        try (FileChannel body = FileChannel.open(file)) {
            long size = body.size();
            ByteBuffer[] header = {ByteBuffer.wrap(("HTTP/1.1 200 OK\r\nContent-Length: " + size
                    + "\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1))};
            long want = head ? 0 : size;
            TransferReport report = new TransferReport();
            long start = System.nanoTime();
            long sent = 0;
            long calls = 0;
            while (header[0].hasRemaining() || sent < want) {
                int before = header[0].remaining();
                long n = ZeroCopy.sendFile(c, header, body, sent, want - sent, null, strategy, report);
                if (n == 0) {
                    break; // the file shrank while we sent it
                }
                sent += n - (before - header[0].remaining());
                calls += Math.max(report.syscalls(), 0);
            }
            String cost = report.strategy() == Strategy.JDK ? "kernel calls not counted" : calls + " kernel calls";
            System.out.printf(Locale.ROOT, "%s %s: %d bytes by %s, %s, %.1f ms%n", head ? "HEAD" : "GET", name, sent,
                    report.strategy(), cost, (System.nanoTime() - start) / 1e6);
        }
    }

    private static void status(SocketChannel c, int code, String text) throws IOException {
        byte[] body = (code + " " + text + "\n").getBytes(StandardCharsets.US_ASCII);
        write(c, "HTTP/1.1 " + code + " " + text + "\r\nContent-Length: " + body.length
                + "\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" + new String(body, StandardCharsets.US_ASCII));
    }

    private static void write(SocketChannel c, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    public static void main(String[] args) throws IOException {
        Path dir = Paths.get(".");
        int port = 8080;
        String bind = "127.0.0.1";
        Strategy strategy = Strategy.AUTO;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--dir": dir = Paths.get(args[++i]); break;
                    case "--port": port = Integer.parseInt(args[++i]); break;
                    case "--bind": bind = args[++i]; break;
                    case "--strategy": strategy = Strategy.valueOf(args[++i].toUpperCase(Locale.ROOT)); break;
                    default: throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("StaticFileServer: " + e.getMessage() + "\nusage: StaticFileServer [--dir DIR] "
                    + "[--port 8080] [--bind 127.0.0.1] [--strategy auto|sendfile|mmap|read_write|jdk]");
            System.exit(2);
        }
        try (StaticFileServer server = new StaticFileServer(dir, strategy,
                new InetSocketAddress(InetAddress.getByName(bind), port))) {
            System.out.println("serving " + server.root + " on http://" + bind + ":" + server.port() + "/ with "
                    + strategy + (ZeroCopy.isNativeAvailable() ? "" : " (native library not available: JDK path)"));
            // On Ctrl-C: which paths ran, and what they moved (also the JMX MXBean dev.zerocopy:type=Transfers).
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println(ZeroCopy.statistics())));
            server.serve();
        }
    }
}
