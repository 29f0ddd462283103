package dev.zerocopy.netty;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import dev.zerocopy.Strategy;
import dev.zerocopy.TransferStatistics;
import dev.zerocopy.TransferStatistics.Call;
import dev.zerocopy.ZeroCopy;
import dev.zerocopy.examples.netty.NettyFileServer;
import dev.zerocopy.examples.netty.NettyFileServer.Region;
import dev.zerocopy.examples.netty.NettyFileServer.Transport;

import java.io.Closeable;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * examples/netty's NettyFileServer with ZeroCopyFileRegion over 127.0.0.1, on NIO, epoll (which
 * must run on this Linux machine) and io_uring (skipped where it cannot run), through a raw
 * HTTP/1.1 client of its own: files of 0 B to 64 MiB of random bytes compared byte for byte, on
 * fresh connections, from 8 clients at once, on one keep-alive connection (sequential and
 * pipelined), with each strategy (checked in ZeroCopy.statistics(): the strategy ran natively on
 * NIO and epoll, the region went to the JDK on io_uring), and 200 downloads aborted mid-way (60
 * more with MMAP), after which the server holds no more descriptors than before, no file open or
 * mapped, and still serves the file exactly.
 */
@RunWith(Parameterized.class)
public class NettyServerTest {
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;
    private static final String BIG = "big.bin";
    /** The files served, smallest first, and their sizes. */
    private static final String[] NAMES = {"empty.bin", "one.bin", "page.bin", "odd.bin", BIG};
    private static final int[] SIZES = {0, 1, 4 * KIB, MIB + 7, 64 * MIB};
    /** The bytes of every file, by name (the files on disk hold the same). */
    private static final Map<String, byte[]> FILES = new TreeMap<>();
    private static final long TOTAL = 0L + 1 + 4 * KIB + MIB + 7 + 64 * MIB;
    private static final String HOST = "127.0.0.1";

    @ClassRule
    public static final TemporaryFolder TMP = new TemporaryFolder();
    private static Path root;

    @Parameters(name = "{0}")
    public static List<Object[]> transports() {
        List<Object[]> out = new ArrayList<>();
        for (Transport t : Transport.values()) {
            out.add(new Object[] {t});
        }
        return out;
    }

    @Parameter
    public Transport transport;

    @Rule
    public final Timeout timeout = Timeout.seconds(120);

    @BeforeClass
    public static void writeFiles() throws IOException {
        root = TMP.newFolder("www").toPath();
        Files.write(root.resolveSibling("secret.bin"), new byte[] {1, 2, 3});
        Random random = new Random(0x5eed);
        for (int i = 0; i < NAMES.length; i++) {
            byte[] data = new byte[SIZES[i]];
            random.nextBytes(data);
            Files.write(root.resolve(NAMES[i]), data);
            FILES.put(NAMES[i], data);
        }
    }

    @AfterClass
    public static void forgetFiles() {
        FILES.clear(); // 65 MiB the rest of the suite (same JVM) does not need; TMP deletes the files
    }

    @Before
    public void transportRunsHere() {
        Throwable cause = transport.unavailability();
        if (transport == Transport.EPOLL && cause != null) {
            throw new AssertionError("epoll must run on this Linux x86-64 machine, but: " + cause, cause);
        }
        assumeTrue(transport + " cannot run here: " + cause, cause == null);
    }

    private NettyFileServer start(Strategy strategy, Region region) throws Exception {
        return NettyFileServer.start(root, new InetSocketAddress(HOST, 0), transport, strategy, region, 2);
    }

    private NettyFileServer start() throws Exception {
        return start(Strategy.AUTO, Region.ZEROCOPY);
    }

    // ---------------------------------------------------------------------------------------------
    // The tests

    /** Each file on a fresh connection: GET closed by the server, GET on keep-alive, HEAD; and 404. */
    @Test
    public void servesEachFileOnFreshConnections() throws Exception {
        try (NettyFileServer server = start()) {
            for (String name : NAMES) {
                byte[] data = FILES.get(name);
                try (Client c = new Client(server.port())) {
                    c.send(request("GET", "/" + name, true));
                    Response r = c.expectFile(name, true);
                    assertEquals(name, "close", r.header("connection").toLowerCase(Locale.ROOT));
                    c.expectEnd(name + " with Connection: close");
                }
                try (Client c = new Client(server.port())) {
                    c.send(request("GET", "/" + name, false));
                    Response r = c.expectFile(name, true);
                    assertNull(name + ": HTTP/1.1 keeps the connection", r.header("connection"));
                }
                try (Client c = new Client(server.port())) {
                    c.send(request("HEAD", "/" + name, true));
                    Response r = c.response();
                    assertEquals("HEAD " + name, 200, r.status);
                    assertEquals("HEAD " + name, data.length, r.contentLength());
                    c.expectEnd("HEAD " + name + " (no body)");
                }
            }
            try (Client c = new Client(server.port())) {
                c.send(request("GET", "/missing.bin", true));
                c.expectNotFound("/missing.bin");
                c.expectEnd("404 with Connection: close");
            }
            try (Client c = new Client(server.port())) {
                c.send(request("GET", "/../secret.bin", true)); // a file beside the root, not in it
                c.expectNotFound("/../secret.bin");
            }
        }
    }

    /** 8 clients at once, each fetching every file: 4 on one keep-alive connection, 4 on one per file. */
    @Test
    public void servesEightClientsAtOnce() throws Exception {
        try (NettyFileServer server = start()) {
            int clients = 8;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Long>> results = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    int id = i;
                    Callable<Long> client = () -> {
                        List<String> order = new ArrayList<>(Arrays.asList(NAMES));
                        Collections.shuffle(order, new Random(id));
                        go.await();
                        long bytes = 0;
                        if (id % 2 == 0) {
                            try (Client c = new Client(server.port())) {
                                for (String name : order) {
                                    c.send(request("GET", "/" + name, false));
                                    bytes += c.expectFile("client " + id + ": " + name, name, true).contentLength();
                                }
                            }
                        } else {
                            for (String name : order) {
                                try (Client c = new Client(server.port())) {
                                    c.send(request("GET", "/" + name, true));
                                    bytes += c.expectFile("client " + id + ": " + name, name, true).contentLength();
                                    c.expectEnd("client " + id + ": " + name);
                                }
                            }
                        }
                        return bytes;
                    };
                    results.add(pool.submit(client));
                }
                go.countDown();
                for (Future<Long> f : results) {
                    assertEquals(TOTAL, (long) get(f, 90));
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Every file three times on one connection, with HEAD and 404 between; then pipelined requests. */
    @Test
    public void servesManyRequestsOnOneKeepAliveConnection() throws Exception {
        try (NettyFileServer server = start()) {
            try (Client c = new Client(server.port())) {
                for (int round = 0; round < 3; round++) {
                    for (String name : NAMES) {
                        c.send(request("GET", "/" + name, false));
                        c.expectFile("round " + round + ": " + name, name, true);
                    }
                    c.send(request("HEAD", "/odd.bin", false));
                    Response head = c.response();
                    assertEquals(200, head.status);
                    assertEquals(MIB + 7, head.contentLength());
                    c.send(request("GET", "/nothing/here", false));
                    c.expectNotFound("/nothing/here");
                }
                // and the connection still serves after all that
                c.send(request("GET", "/one.bin", true));
                c.expectFile("one.bin", true);
                c.expectEnd("the last request, with Connection: close");
            }

            // Pipelined: every request written before the first response is read.
            List<String> expected = new ArrayList<>();
            StringBuilder requests = new StringBuilder();
            for (int round = 0; round < 2; round++) {
                for (String name : NAMES) {
                    requests.append(request("GET", "/" + name, false));
                    expected.add(name);
                }
                requests.append(request("HEAD", "/" + BIG, false));
                expected.add("HEAD");
                requests.append(request("GET", "/missing", false));
                expected.add("404");
            }
            requests.append(request("GET", "/page.bin", true));
            expected.add("page.bin");
            try (Client c = new Client(server.port())) {
                c.send(requests.toString());
                int i = 0;
                for (String what : expected) {
                    String label = "pipelined response " + i++ + " (" + what + ")";
                    if (what.equals("HEAD")) {
                        Response head = c.response();
                        assertEquals(label, 200, head.status);
                        assertEquals(label, 64L * MIB, head.contentLength());
                    } else if (what.equals("404")) {
                        c.expectNotFound(label);
                    } else {
                        c.expectFile(label, what, true);
                    }
                }
                c.expectEnd("pipelined, after the last response (Connection: close)");
            }
        }
    }

    /**
     * Each strategy serves every file exactly. On NIO and epoll it runs natively (the statistics
     * count its transferTo calls and bytes, AUTO's as SENDFILE) with no hand-off to the JDK; on
     * io_uring the region is handed to the JDK. Netty's DefaultFileRegion, to compare, runs none
     * of the library.
     */
    @Test
    public void eachStrategyRunsWhereTheTransportLetsIt() throws Exception {
        assertTrue("the native library must load here", ZeroCopy.isNativeAvailable());
        boolean natively = transport != Transport.IO_URING;
        int nonEmpty = 0;
        for (int size : SIZES) {
            nonEmpty += size > 0 ? 1 : 0;
        }
        for (Strategy s : new Strategy[] {Strategy.AUTO, Strategy.SENDFILE, Strategy.MMAP, Strategy.READ_WRITE}) {
            String label = transport + " " + s;
            TransferStatistics before;
            TransferStatistics after;
            try (NettyFileServer server = start(s, Region.ZEROCOPY)) {
                before = ZeroCopy.statistics();
                downloadAllOnOneConnection(server, label);
                after = ZeroCopy.statistics();
            }
            String figures = label + "\nbefore: " + before + "\nafter: " + after;
            long handOffs = after.jdkHandOffCount() - before.jdkHandOffCount();
            if (natively) {
                Strategy ran = s == Strategy.AUTO ? Strategy.SENDFILE : s;
                assertEquals("hand-offs to the JDK: " + figures, 0, handOffs);
                assertTrue("transferTo " + ran + " calls: " + figures,
                        after.calls(Call.TRANSFER_TO, ran) - before.calls(Call.TRANSFER_TO, ran) >= nonEmpty);
                assertTrue("transferTo " + ran + " bytes: " + figures,
                        after.bytes(Call.TRANSFER_TO, ran) - before.bytes(Call.TRANSFER_TO, ran) >= TOTAL);
            } else {
                assertTrue("hand-offs to the JDK: " + figures, handOffs >= nonEmpty);
            }
        }

        TransferStatistics before;
        TransferStatistics after;
        try (NettyFileServer server = start(Strategy.AUTO, Region.DEFAULT)) {
            before = ZeroCopy.statistics();
            downloadAllOnOneConnection(server, transport + " DefaultFileRegion");
            after = ZeroCopy.statistics();
        }
        String figures = "DefaultFileRegion\nbefore: " + before + "\nafter: " + after;
        assertEquals("native calls: " + figures, before.calls(), after.calls());
        assertEquals("hand-offs: " + figures, before.jdkHandOffCount(), after.jdkHandOffCount());
    }

    /**
     * 200 downloads of the 64 MiB file aborted after 64 KiB to 1 MiB, from 4 clients at once: half
     * reset (SO_LINGER 0), a quarter closed with the rest unread, a quarter shut down for output
     * first. The server then closes every socket and region (so every file): its descriptors (this
     * JVM's) come back to the count before; and it still serves the file exactly.
     */
    @Test
    public void abortedDownloadsLeaveNoDescriptorBehind() throws Exception {
        try (NettyFileServer server = start()) {
            abortAndCheck(server, 200);
        }
    }

    /**
     * The same with MMAP, whose windows of the file must be unmapped whatever the abort interrupts
     * (on io_uring the region goes to the JDK, which must leave nothing either).
     */
    @Test
    public void abortedMmapDownloadsLeaveNoMappingBehind() throws Exception {
        try (NettyFileServer server = start(Strategy.MMAP, Region.ZEROCOPY)) {
            abortAndCheck(server, 60);
        }
    }

    private static void abortAndCheck(NettyFileServer server, int aborts) throws Exception {
        try (Client c = new Client(server.port())) {
            c.send(request("GET", "/" + BIG, false));
            c.expectFile(BIG, true);
        }
        for (int i = 0; i < 4; i++) {
            abort(server.port(), i); // every way once, so whatever it loads is loaded
        }
        // What is counted is what is looked for: a download under way holds its file open.
        try (Client c = new Client(server.port())) {
            c.send(request("GET", "/" + BIG, false));
            c.expectFile(BIG, false);
            c.body("a download under way", FILES.get(BIG), 64 * KIB);
            assertTrue("the file of a download under way is not among " + openDescriptors(),
                    underRoot(openDescriptors()).toString().contains(BIG));
            c.socket.setSoLinger(true, 0);
        }
        Map<String, String> baseline = settledDescriptors();

        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                Callable<Void> aborter = () -> {
                    for (int i = first; i < aborts; i += threads) {
                        abort(server.port(), i);
                    }
                    return null;
                };
                done.add(pool.submit(aborter));
            }
            for (Future<Void> f : done) {
                get(f, 90);
            }
        } finally {
            pool.shutdownNow();
        }

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<String, String> now = openDescriptors();
        List<String> mapped = mappedUnderRoot();
        while ((now.size() > baseline.size() || !underRoot(now).isEmpty() || !mapped.isEmpty())
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
            now = openDescriptors();
            mapped = mappedUnderRoot();
        }
        Map<String, String> added = new TreeMap<>(now);
        added.entrySet().removeAll(baseline.entrySet());
        assertTrue("descriptors 10 s after " + aborts + " aborted downloads: " + now.size() + ", before: "
                + baseline.size() + "; new: " + added, now.size() <= baseline.size());
        assertTrue("files still open after the aborts: " + underRoot(now), underRoot(now).isEmpty());
        assertTrue("files still mapped after the aborts: " + mapped, mapped.isEmpty());

        try (Client c = new Client(server.port())) {
            c.send(request("GET", "/" + BIG, false));
            c.expectFile("after the aborts", BIG, true);
            c.send(request("GET", "/odd.bin", true));
            c.expectFile("after the aborts", "odd.bin", true);
            c.expectEnd("after the aborts");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /** Every file once on one keep-alive connection, then a 404 on it, read. */
    private static void downloadAllOnOneConnection(NettyFileServer server, String label) throws IOException {
        try (Client c = new Client(server.port())) {
            for (String name : NAMES) {
                c.send(request("GET", "/" + name, false));
                c.expectFile(label + ": " + name, name, true);
            }
            // The same event loop wrote the files and counted them before it read this request.
            c.send(request("GET", "/missing.bin", false));
            c.expectNotFound(label);
        }
    }

    /** One download of the big file, aborted after 64 KiB to 1 MiB of its body, the way i says. */
    private static void abort(int port, int i) throws IOException {
        Random random = new Random(i);
        int read = 64 * KIB + random.nextInt(960 * KIB + 1);
        try (Client c = new Client(port)) {
            c.send(request("GET", "/" + BIG, false));
            Response r = c.response();
            assertEquals("abort " + i, 200, r.status);
            assertEquals("abort " + i, 64L * MIB, r.contentLength());
            c.body("abort " + i, FILES.get(BIG), read);
            switch (i % 4) {
                case 0:
                case 2:
                    c.socket.setSoLinger(true, 0); // close() resets
                    break;
                case 3:
                    c.socket.shutdownOutput(); // the server reads the end of the input mid-response
                    break;
                default:
                    break; // close() with bytes unread
            }
        }
    }

    private static String request(String method, String path, boolean close) {
        return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
    }

    private static <T> T get(Future<T> f, int seconds) throws Exception {
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            if (e.getCause() instanceof Error) {
                throw (Error) e.getCause();
            }
            throw e;
        }
    }

    /** This JVM's open descriptors (the server runs here), number to what it is, from /proc/self/fd. */
    private static Map<String, String> openDescriptors() {
        Map<String, String> fds = new TreeMap<>();
        File[] entries = new File("/proc/self/fd").listFiles();
        if (entries == null) {
            throw new AssertionError("cannot list /proc/self/fd");
        }
        for (File fd : entries) {
            String target;
            try {
                target = Files.readSymbolicLink(fd.toPath()).toString();
            } catch (IOException e) {
                target = "(gone: " + e + ")"; // closed since the listing (or the listing's own)
            }
            fds.put(fd.getName(), target);
        }
        return fds;
    }

    /** The descriptors once the server has closed what it was closing: no served file open, a steady count. */
    private static Map<String, String> settledDescriptors() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<String, String> last = openDescriptors();
        while (System.nanoTime() < deadline) {
            Thread.sleep(100);
            Map<String, String> now = openDescriptors();
            if (now.size() == last.size() && underRoot(now).isEmpty()) {
                return now;
            }
            last = now;
        }
        throw new AssertionError("the server's descriptors do not settle after the warm-up (served files open: "
                + underRoot(last) + "): " + last);
    }

    private static List<String> underRoot(Map<String, String> fds) {
        List<String> out = new ArrayList<>();
        String prefix = root.toString() + File.separator;
        String real;
        try {
            real = root.toRealPath().toString() + File.separator;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        for (Map.Entry<String, String> fd : fds.entrySet()) {
            if (fd.getValue().startsWith(prefix) || fd.getValue().startsWith(real)) {
                out.add(fd.getKey() + " -> " + fd.getValue());
            }
        }
        return out;
    }

    /** The lines of /proc/self/maps that map a file of the served directory. */
    private static List<String> mappedUnderRoot() throws IOException {
        String real = root.toRealPath().toString() + File.separator;
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get("/proc/self/maps"), StandardCharsets.UTF_8)) {
            if (line.contains(real)) {
                out.add(line);
            }
        }
        return out;
    }

    /** A response's status line and headers (names in lower case). */
    static final class Response {
        final int status;
        final Map<String, List<String>> headers;
        final String text;

        Response(int status, Map<String, List<String>> headers, String text) {
            this.status = status;
            this.headers = headers;
            this.text = text;
        }

        /** The header's only value, or null when absent. */
        String header(String name) {
            List<String> values = headers.get(name);
            if (values == null) {
                return null;
            }
            assertEquals("one " + name + " header in\n" + text, 1, values.size());
            return values.get(0);
        }

        /** Content-Length, which every response of the server has (and no Transfer-Encoding). */
        long contentLength() {
            assertNull("Transfer-Encoding in\n" + text, headers.get("transfer-encoding"));
            String value = header("content-length");
            assertTrue("no Content-Length in\n" + text, value != null);
            try {
                long n = Long.parseLong(value.trim());
                assertTrue("Content-Length " + n, n >= 0);
                return n;
            } catch (NumberFormatException e) {
                throw new AssertionError("Content-Length in\n" + text, e);
            }
        }
    }

    /**
     * A raw HTTP/1.1 client on one socket: writes requests as given, reads a status line and
     * headers up to CRLF CRLF, then exactly Content-Length bytes of body, compared as they come.
     */
    static final class Client implements Closeable {
        final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buf = new byte[64 * KIB];
        private int pos;
        private int lim;

        Client(int port) throws IOException {
            socket = new Socket();
            try {
                socket.setSoTimeout(30_000);
                socket.connect(new InetSocketAddress(HOST, port), 10_000);
                in = socket.getInputStream();
                out = socket.getOutputStream();
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }

        void send(String requests) throws IOException {
            out.write(requests.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        private boolean fill() throws IOException {
            pos = 0;
            lim = 0;
            int n = in.read(buf);
            if (n < 0) {
                return false;
            }
            lim = n;
            return true;
        }

        /** The next response's status line and headers. */
        Response response() throws IOException {
            StringBuilder head = new StringBuilder();
            while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                if (pos == lim && !fill()) {
                    throw new EOFException("the connection ended after " + head.length()
                            + " bytes of a response head: " + head);
                }
                head.append((char) (buf[pos++] & 0xff));
                if (head.length() > 16 * KIB) {
                    throw new AssertionError("a response head over 16 KiB: " + head);
                }
            }
            String text = head.toString();
            String[] lines = text.substring(0, text.length() - 4).split("\r\n", -1);
            String[] status = lines[0].split(" ", 3);
            assertTrue("status line: " + lines[0], status.length >= 2 && status[0].equals("HTTP/1.1"));
            Map<String, List<String>> headers = new TreeMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                assertTrue("header line: " + lines[i], colon > 0);
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
            }
            try {
                return new Response(Integer.parseInt(status[1]), headers, text);
            } catch (NumberFormatException e) {
                throw new AssertionError("status line: " + lines[0], e);
            }
        }

        /**
         * Reads {@code length} bytes of body, each compared with {@code expected} from its start
         * (unless null): the first byte that differs fails, as does the end of the connection.
         */
        void body(String what, byte[] expected, long length) throws IOException {
            long done = 0;
            while (done < length) {
                if (pos == lim && !fill()) {
                    throw new AssertionError(what + ": the connection ended after " + done + " of " + length
                            + " bytes of body");
                }
                int n = (int) Math.min(lim - pos, length - done);
                if (expected != null) {
                    int at = (int) done;
                    if (at + n > expected.length) {
                        throw new AssertionError(what + ": body longer than the file's " + expected.length + " bytes");
                    }
                    if (!ByteBuffer.wrap(buf, pos, n).equals(ByteBuffer.wrap(expected, at, n))) {
                        for (int i = 0; i < n; i++) {
                            if (buf[pos + i] != expected[at + i]) {
                                fail(what + ": body byte " + (at + i) + " is " + buf[pos + i] + ", the file's is "
                                        + expected[at + i]);
                            }
                        }
                    }
                }
                pos += n;
                done += n;
            }
        }

        /** A 200 whose Content-Length is the file's size and whose body is the file, byte for byte. */
        Response expectFile(String what, String name, boolean withBody) throws IOException {
            byte[] data = FILES.get(name);
            Response r = response();
            assertEquals(what + ": status in\n" + r.text, 200, r.status);
            assertEquals(what + ": Content-Length", data.length, r.contentLength());
            if (withBody) {
                body(what, data, data.length);
            }
            return r;
        }

        Response expectFile(String name, boolean withBody) throws IOException {
            return expectFile(name, name, withBody);
        }

        void expectNotFound(String what) throws IOException {
            Response r = response();
            assertEquals(what + ": status in\n" + r.text, 404, r.status);
            long n = r.contentLength();
            assertTrue(what + ": 404 body of " + n + " bytes", n < 4 * KIB);
            body(what, null, n);
        }

        /** The server closes the connection here: no byte more. */
        void expectEnd(String what) throws IOException {
            if (pos < lim) {
                fail(what + ": " + (lim - pos) + " bytes after the response");
            }
            if (fill()) {
                fail(what + ": " + lim + " bytes after the response");
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
