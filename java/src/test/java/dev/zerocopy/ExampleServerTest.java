package dev.zerocopy;

import static dev.zerocopy.Fixtures.pattern;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.zerocopy.examples.StaticFileServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** examples/java's StaticFileServer, over 127.0.0.1, with each strategy. */
public class ExampleServerTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static HttpURLConnection open(int port, String path, String method) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
        c.setRequestMethod(method);
        return c;
    }

    private static byte[] body(HttpURLConnection c) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = c.getInputStream()) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0;) {
                out.write(buf, 0, n);
            }
        }
        return out.toByteArray();
    }

    @Test
    public void servesFilesWithEachStrategy() throws Exception {
        Path root = tmp.newFolder("root").toPath();
        byte[] data = pattern((5 << 20) + 3, 21);
        Files.write(root.resolve("big.bin"), data);
        byte[] small = pattern(4096, 5);
        Files.write(root.resolve("small.bin"), small);
        Files.write(root.resolve("empty.bin"), new byte[0]);
        Files.write(tmp.getRoot().toPath().resolve("secret"), new byte[] {1});
        for (Strategy s : Strategy.values()) {
            if (s == Strategy.COPY_FILE_RANGE || s == Strategy.SPLICE) {
                continue; // file targets, transferFrom only: a server's socket refuses them
            }
            try (StaticFileServer server = new StaticFileServer(root, s,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                Thread t = new Thread(() -> {
                    try {
                        server.serve();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                t.setDaemon(true);
                t.start();
                int port = server.port();

                HttpURLConnection get = open(port, "/big.bin", "GET");
                assertEquals(200, get.getResponseCode());
                assertEquals(data.length, get.getContentLengthLong());
                assertArrayEquals(s.toString(), data, body(get));

                // A small response is one gathering write with its header; an empty body is the header.
                assertArrayEquals(s.toString(), small, body(open(port, "/small.bin", "GET")));
                HttpURLConnection empty = open(port, "/empty.bin", "GET");
                assertEquals(0, empty.getContentLengthLong());
                assertArrayEquals(new byte[0], body(empty));

                HttpURLConnection head = open(port, "/big.bin", "HEAD");
                assertEquals(200, head.getResponseCode());
                assertEquals(data.length, head.getContentLengthLong());

                assertEquals(404, open(port, "/missing", "GET").getResponseCode());
                assertEquals(404, open(port, "/../secret", "GET").getResponseCode());
                assertEquals(405, open(port, "/big.bin", "DELETE").getResponseCode());
            }
        }
    }
}
