package dev.zerocopy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.zerocopy.compare.Compare;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * `compare --quick` produces the table, the per-call table at 4 KiB, the JSON and the chart, with
 * every path and target, `compare --responses --quick` the response view and `compare --receive
 * --quick` the receive view (never timings).
 */
public class CompareTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final String[] PATHS = {"AUTO", "SENDFILE", "MMAP", "READ_WRITE", "JDK", "STREAM"};
    private static final String[] TARGETS = {"socket", "file", "pipe", "devnull"};
    private static final String PER_CALL = "ns per call at 4KiB: ";
    private static final String NUMBER = "[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?";

    @Test
    public void quickRunWritesTableJsonAndChart() throws Exception {
        File out = tmp.newFolder("out");
        String table = run("--quick", "--out", out.getPath());
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
        assertPerCallTable(table, TARGETS, PATHS, new String[] {"AUTO", "SENDFILE"});

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
        assertEquals(4 * 6 * 3, json.split("\"gbps\": \\{\"median\": ").length - 1);
        assertPerCallJson(json, TARGETS, PATHS, new String[] {"AUTO", "SENDFILE"});
        assertTrue(json, json.contains("\"responses\": null"));

        BufferedImage chart = ImageIO.read(new File(out, "compare.png"));
        assertEquals(4 * 640, chart.getWidth());
        assertEquals(480, chart.getHeight());
    }

    /** The per-call table follows the run's targets and paths, and is there only when 4 KiB is. */
    @Test
    public void perCallTableFollowsTheRun() throws Exception {
        File out = tmp.newFolder("subset");
        String[] targets = {"devnull", "pipe"};
        String[] paths = {"JDK", "AUTO"};
        String table = run("--quick", "--targets", "devnull,pipe", "--paths", "JDK,AUTO", "--sizes", "64k,4k",
                "--out", out.getPath());
        assertPerCallTable(table, targets, paths, new String[] {"AUTO"});
        assertFalse(table, table.contains("JDK/SENDFILE"));
        String json = new String(Files.readAllBytes(new File(out, "compare.json").toPath()), StandardCharsets.UTF_8);
        assertPerCallJson(json, targets, paths, new String[] {"AUTO"});
        assertFalse(json, json.contains("jdk_over_sendfile"));

        table = run("--quick", "--targets", "devnull", "--sizes", "64k", "--out", out.getPath());
        assertFalse(table, table.contains(PER_CALL));
        json = new String(Files.readAllBytes(new File(out, "compare.json").toPath()), StandardCharsets.UTF_8);
        assertTrue(json, json.contains("\"ns_per_call_4k\": null"));
    }

    /**
     * `compare --responses --quick`: a row per body size with the microseconds per response of each
     * contender and the two ratios over AUTO, what AUTO ran, the JSON section and the chart.
     */
    @Test
    public void responseViewReportsEverySizeAndTheRatiosOverAuto() throws Exception {
        File out = tmp.newFolder("responses");
        String table = run("--responses", "--quick", "--out", out.getPath());
        String[] contenders = {"AUTO", "SENDFILE", "MMAP", "READ_WRITE", "write+transferTo", "read+gather"};
        String[] ratios = {"(write+transferTo)/AUTO", "(read+gather)/AUTO"};
        List<String> header = new ArrayList<>();
        header.add("body");
        header.addAll(Arrays.asList(contenders));
        header.addAll(Arrays.asList(ratios));
        int at = table.indexOf("\n  body ");
        assertTrue(table, at >= 0);
        String[] lines = table.substring(at + 1).split("\n");
        assertEquals(table, header, Arrays.asList(lines[0].trim().split(" +")));
        String[] sizes = {"1KiB", "4KiB", "16KiB", "64KiB", "1MiB"};
        for (int s = 0; s < sizes.length; s++) {
            String[] cols = lines[1 + s].trim().split(" +");
            assertEquals(lines[1 + s], header.size(), cols.length);
            assertEquals(lines[1 + s], sizes[s], cols[0]);
            for (int i = 1; i < cols.length; i++) {
                assertTrue(lines[1 + s], cols[i].matches("[0-9]+\\.[0-9]{2}"));
                assertTrue(lines[1 + s], Double.parseDouble(cols[i]) > 0);
            }
        }
        assertTrue(table, lines[1 + sizes.length].startsWith("  AUTO ran: 1KiB READ_WRITE "));
        assertTrue(table, lines[1 + sizes.length].contains(", 1MiB SENDFILE "));
        assertTrue(table, lines[2 + sizes.length].startsWith("  (X)/AUTO: "));

        String json = new String(Files.readAllBytes(new File(out, "compare.json").toPath()), StandardCharsets.UTF_8);
        assertTrue(json, json.contains("\"cells\": [\n  ],\n  \"responses\": {\"header_bytes\": 200, "));
        for (long size : new long[] {1024, 4096, 16384, 65536, 1 << 20}) {
            StringBuilder row = new StringBuilder("\\{\"size\": " + size + ", \"auto_ran\": \"[A-Z_]+\", \"us\": \\{");
            for (int i = 0; i < contenders.length; i++) {
                row.append(i == 0 ? "" : ", ").append(Pattern.quote("\"" + contenders[i] + "\": ")).append(NUMBER);
            }
            row.append("\\}, \"write_transferto_over_auto\": " + NUMBER + ", \"read_gather_over_auto\": " + NUMBER);
            assertTrue(size + " in " + json, Pattern.compile(row.toString()).matcher(json).find());
        }
        assertTrue(json, json.contains("\"ns_per_call_4k\": null"));

        BufferedImage chart = ImageIO.read(new File(out, "compare.png"));
        assertEquals(640, chart.getWidth());
        assertEquals(480, chart.getHeight());
    }

    /**
     * `compare --receive --quick`: per source (socket, pipe, file) a GB/s, CPU and ratio row per
     * size with a column per path that applies, what AUTO took (SPLICE from a socket or a pipe, a
     * native path from a file), the targets' lines; the JSON cells and checks, and the chart.
     */
    @Test
    public void receiveViewReportsEverySourceAndPath() throws Exception {
        File out = tmp.newFolder("receive");
        String table = run("--receive", "--quick", "--out", out.getPath());
        String[] sources = {"socket", "pipe", "file"};
        String[][] paths = {
            {"AUTO", "SPLICE", "READ_WRITE", "JDK", "STREAM"},
            {"AUTO", "SPLICE", "READ_WRITE", "JDK", "STREAM"},
            {"AUTO", "COPY_FILE_RANGE", "SENDFILE", "MMAP", "READ_WRITE", "JDK", "STREAM"}};
        String[] sizes = {"64KiB", "1MiB"};
        // AUTO: SPLICE from a socket, READ_WRITE from a pipe, from a file COPY_FILE_RANGE (or SPLICE
        // from 256 KiB where the file system copies through the page cache).
        String ranFile = "(COPY_FILE_RANGE|SPLICE|SENDFILE|MMAP|READ_WRITE)";
        String[] ranBy = {"SPLICE", "READ_WRITE", ranFile};
        for (int s = 0; s < sources.length; s++) {
            int at = table.indexOf("\n" + sources[s] + " -> file: ");
            assertTrue(sources[s] + " in " + table, at >= 0);
            int end = table.indexOf("\n\n", at + 1);
            String[] lines = table.substring(at + 1, end).split("\n");
            int line = 1;
            for (String label : new String[] {"GB/s", "CPU", "ratio"}) {
                List<String> head = Arrays.asList(lines[line].trim().split(" +"));
                List<String> expected = new ArrayList<>();
                expected.add(label);
                expected.addAll(Arrays.asList(paths[s]));
                assertEquals(lines[line], expected, head.subList(0, expected.size()));
                for (String size : sizes) {
                    line++;
                    assertTrue(lines[line], lines[line].startsWith("  " + size + " "));
                }
                line++;
            }
            String ran = ranBy[s];
            assertTrue(lines[line], lines[line].matches("  AUTO ran: 64KiB " + ran + ", 1MiB " + ran));
            line++;
            assertTrue(lines[line], lines[line].matches(
                    "  target: AUTO >= 0\\.95x the best other path from 1MiB up: (yes|NO) \\(1MiB " + NUMBER
                            + " of [A-Z_]+\\)"));
            if (s != 1) {
                line++;
                assertTrue(lines[line], lines[line].matches("  target: AUTO >= " + (s == 0 ? "2" : "1")
                        + "x JDK from 1MiB up: (yes|NO) \\(1MiB " + NUMBER + "\\)"));
            }
            assertEquals(table, line + 1, lines.length);
        }
        assertTrue(table, table.contains("truncated to 0"));

        String json = new String(Files.readAllBytes(new File(out, "receive.json").toPath()), StandardCharsets.UTF_8);
        assertTrue(json, json.contains("\"machine\": {\"cpu\": "));
        int cells = 0;
        for (int s = 0; s < sources.length; s++) {
            for (String path : paths[s]) {
                for (long size : new long[] {65536, 1 << 20}) {
                    String ran = path.equals("AUTO") ? "\"" + ranBy[s] + "\""
                            : path.equals("JDK") || path.equals("STREAM") ? "null" : "\"" + path + "\"";
                    String cell = Pattern.quote("{\"source\": \"" + sources[s] + "\", \"size\": " + size
                            + ", \"path\": \"" + path + "\", \"ran\": ") + ran + Pattern.quote(", \"gbps\": {\"median\": ")
                            + NUMBER + ".*, \"over_jdk\": " + NUMBER + ", \"over_auto\": " + NUMBER;
                    assertTrue(cell + " in " + json, Pattern.compile(cell).matcher(json).find());
                    cells++;
                }
            }
        }
        assertEquals(cells, json.split("\"gbps\": \\{\"median\": ").length - 1);
        for (String check : new String[] {"socket\", \"check\": \"auto_over_best_other", "socket\", \"check\": \"auto_over_jdk",
                "pipe\", \"check\": \"auto_over_best_other", "file\", \"check\": \"auto_over_best_other",
                "file\", \"check\": \"auto_over_jdk"}) {
            assertTrue(check, json.contains("{\"source\": \"" + check + "\", "));
        }
        assertEquals(5, json.split("\"met\": (true|false), \"sizes\": \\[\\{\"size\": 1048576, ").length - 1);

        BufferedImage chart = ImageIO.read(new File(out, "receive.png"));
        assertEquals(3 * 640, chart.getWidth());
        assertEquals(480, chart.getHeight());
    }

    /** `--sources` picks the receive view's sources: their sections, checks and chart panels alone. */
    @Test
    public void receiveViewFollowsTheSources() throws Exception {
        File out = tmp.newFolder("receive-pipe");
        String table = run("--receive", "--quick", "--sources", "pipe", "--sizes", "1m", "--out", out.getPath());
        assertTrue(table, table.contains("\npipe -> file: "));
        assertFalse(table, table.contains("\nsocket -> file: "));
        assertFalse(table, table.contains("\nfile -> file: "));
        assertTrue(table, table.contains("  AUTO ran: 1MiB READ_WRITE\n"));
        String json = new String(Files.readAllBytes(new File(out, "receive.json").toPath()), StandardCharsets.UTF_8);
        assertEquals(5, json.split("\"gbps\": \\{\"median\": ").length - 1);
        assertEquals(1, json.split("\"check\": ").length - 1);
        assertEquals(640, ImageIO.read(new File(out, "receive.png")).getWidth());
    }

    /** Runs compare, expects exit status 0, returns what it printed. */
    private static String run(String... args) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try (PrintStream ps = new PrintStream(captured, true, "UTF-8")) {
            status = Compare.run(ps, args);
        }
        String table = new String(captured.toByteArray(), StandardCharsets.UTF_8);
        assertEquals(table, 0, status);
        return table;
    }

    /**
     * The "ns per call at 4KiB" table: a header with a column per path then JDK/X per ratio, a row
     * per target with a positive whole number of ns per path and a positive ratio per ratio.
     */
    private static void assertPerCallTable(String table, String[] targets, String[] paths, String[] ratios) {
        int at = table.indexOf("\n" + PER_CALL);
        assertTrue(table, at >= 0);
        assertEquals(table, at, table.lastIndexOf("\n" + PER_CALL));
        String[] lines = table.substring(at + 1).split("\n");
        List<String> header = new ArrayList<>();
        header.add("ns/call");
        header.addAll(Arrays.asList(paths));
        for (String r : ratios) {
            header.add("JDK/" + r);
        }
        assertEquals(table, header, Arrays.asList(lines[1].trim().split(" +")));
        for (int t = 0; t < targets.length; t++) {
            String[] cols = lines[2 + t].trim().split(" +");
            assertEquals(lines[2 + t], 1 + paths.length + ratios.length, cols.length);
            assertEquals(lines[2 + t], targets[t], cols[0]);
            for (int i = 1; i < cols.length; i++) {
                assertTrue(lines[2 + t], cols[i].matches(i <= paths.length ? "[0-9]+" : "[0-9]+\\.[0-9]{2}"));
                assertTrue(lines[2 + t], Double.parseDouble(cols[i]) > 0);
            }
        }
        assertTrue(table, lines[2 + targets.length].startsWith("  JDK/X: ") || ratios.length == 0);
    }

    /**
     * compare.json's "ns_per_call_4k": size 4096, then per target in order, a positive median ns per
     * path, a positive jdk_over_X per ratio and per-batch samples per path.
     */
    private static void assertPerCallJson(String json, String[] targets, String[] paths, String[] ratios) {
        int at = json.indexOf("\"ns_per_call_4k\": {\"size\": 4096, ");
        assertTrue(json, at >= 0);
        String perCall = json.substring(at);
        int from = 0;
        for (String target : targets) {
            StringBuilder row = new StringBuilder("\\{\"target\": \"" + target + "\", \"ns\": \\{");
            for (int i = 0; i < paths.length; i++) {
                row.append(i == 0 ? "" : ", ").append('"').append(paths[i]).append("\": (" + NUMBER + ")");
            }
            row.append("\\}");
            for (String r : ratios) {
                row.append(", \"jdk_over_").append(r.toLowerCase(Locale.ROOT)).append("\": (" + NUMBER + ")");
            }
            row.append(", \"samples\": \\{");
            for (int i = 0; i < paths.length; i++) {
                row.append(i == 0 ? "" : ", ").append('"').append(paths[i]).append("\": \\[" + NUMBER + "(?:, " + NUMBER + ")*\\]");
            }
            row.append("\\}\\}");
            Matcher m = Pattern.compile(row.toString()).matcher(perCall);
            assertTrue(target + " in " + perCall, m.find(from));
            from = m.end();
            for (int g = 1; g <= m.groupCount(); g++) {
                assertTrue(m.group(), Double.parseDouble(m.group(g)) > 0);
            }
        }
        assertTrue(perCall, perCall.substring(from).matches("(?s)\\s*\\]\\}\\s*\\}\\s*"));
    }

    @Test
    public void badOptionsAreUsageErrors() {
        ByteArrayOutputStream ignored = new ByteArrayOutputStream();
        PrintStream err = System.err;
        System.setErr(new PrintStream(ignored));
        try {
            assertEquals(2, Compare.run(new PrintStream(ignored), "--targets", "socket", "--paths", "FAST"));
            assertEquals(2, Compare.run(new PrintStream(ignored), "--no-such-option"));
            assertEquals(2, Compare.run(new PrintStream(ignored), "--responses", "--targets", "socket"));
            assertEquals(2, Compare.run(new PrintStream(ignored), "--receive", "--paths", "AUTO"));
            assertEquals(2, Compare.run(new PrintStream(ignored), "--receive", "--responses"));
            assertEquals(2, Compare.run(new PrintStream(ignored), "--receive", "--sources", "disk"));
            assertEquals(2, Compare.run(new PrintStream(ignored), "--sources", "pipe"));
        } finally {
            System.setErr(err);
        }
    }
}
