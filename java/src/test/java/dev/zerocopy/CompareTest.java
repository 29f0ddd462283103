package dev.zerocopy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.zerocopy.compare.Compare;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import javax.imageio.ImageIO;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** `compare --quick` produces the table, the JSON and the chart, with every path and target (never timings). */
public class CompareTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final String[] PATHS = {"AUTO", "SENDFILE", "MMAP", "READ_WRITE", "JDK", "STREAM"};
    private static final String[] TARGETS = {"socket", "file", "pipe"};

    @Test
    public void quickRunWritesTableJsonAndChart() throws Exception {
        File out = tmp.newFolder("out");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try (PrintStream ps = new PrintStream(captured, true, "UTF-8")) {
            status = Compare.run(ps, "--quick", "--out", out.getPath());
        }
        String table = new String(captured.toByteArray(), StandardCharsets.UTF_8);
        assertEquals(table, 0, status);
        for (String target : TARGETS) {
            assertTrue(table, table.contains("\n" + target + ": "));
        }
        for (String path : PATHS) {
            assertTrue(path, table.contains(" " + path + " "));
        }
        for (String size : new String[] {"4KiB", "64KiB", "1MiB"}) {
            assertTrue(size, table.contains("\n  " + size + " "));
        }
        assertTrue(table, table.contains("AUTO ran: 4KiB SENDFILE"));

        String json = new String(Files.readAllBytes(new File(out, "compare.json").toPath()), StandardCharsets.UTF_8);
        assertTrue(json, json.contains("\"machine\": {\"cpu\": "));
        for (String target : TARGETS) {
            for (String path : PATHS) {
                for (long size : new long[] {4096, 65536, 1 << 20}) {
                    String cell = "{\"target\": \"" + target + "\", \"size\": " + size + ", \"path\": \"" + path + "\"";
                    assertTrue(cell, json.contains(cell));
                }
            }
        }
        assertEquals(3 * 6 * 3, json.split("\"gbps\": \\{\"median\": ").length - 1);

        BufferedImage chart = ImageIO.read(new File(out, "compare.png"));
        assertEquals(3 * 640, chart.getWidth());
        assertEquals(480, chart.getHeight());
    }

    @Test
    public void badOptionsAreUsageErrors() {
        ByteArrayOutputStream ignored = new ByteArrayOutputStream();
        PrintStream err = System.err;
        System.setErr(new PrintStream(ignored));
        try {
            assertEquals(2, Compare.run(new PrintStream(ignored), "--targets", "socket", "--paths", "FAST"));
            assertEquals(2, Compare.run(new PrintStream(ignored), "--no-such-option"));
        } finally {
            System.setErr(err);
        }
    }
}
