package dev.zerocopy.compare;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The three outputs of a run: the table (with ns per call at 4 KiB), the JSON file and the chart;
 * for the response view, its own table and chart and a section of the JSON file.
 */
final class Output {
    private Output() {}

    static String size(long bytes) {
        if (bytes % (1 << 30) == 0) {
            return bytes / (1 << 30) + "GiB";
        } else if (bytes % (1 << 20) == 0) {
            return bytes / (1 << 20) + "MiB";
        } else if (bytes % (1 << 10) == 0) {
            return bytes / (1 << 10) + "KiB";
        }
        return bytes + "B";
    }

    private static Cell find(List<Cell> cells, String target, long size, String path) {
        for (Cell c : cells) {
            if (c.target.equals(target) && c.size == size && c.path.equals(path)) {
                return c;
            }
        }
        return null;
    }

    private static final String[] TARGET_TITLES = {"socket", "socket: loopback TCP (127.0.0.1, TCP_NODELAY), a thread drains it",
        "file", "file: a file truncated before each batch", "pipe", "pipe: a thread drains its reading end",
        "devnull", "devnull: /dev/null as a FileChannel (only byte counts checked)"};

    private static String title(String target) {
        for (int i = 0; i < TARGET_TITLES.length; i += 2) {
            if (TARGET_TITLES[i].equals(target)) {
                return TARGET_TITLES[i + 1];
            }
        }
        return target;
    }

    static void table(PrintStream out, Machine machine, List<Cell> cells, List<String> targets, List<Long> sizes,
            List<String> paths) {
        out.println();
        for (String target : targets) {
            out.println(title(target));
            rows(out, "GB/s", "median [min-max] of the batches", cells, target, sizes, paths,
                c -> String.format(Locale.ROOT, "%.2f [%.2f-%.2f]", c.median(), c.min(), c.max()));
            rows(out, "CPU", "CPU s/GB of sender+receiver (sender); kernel calls per transfer", cells, target, sizes,
                paths, c -> String.format(Locale.ROOT, "%.2f (%.2f); %s", c.cpuPerGB(), c.senderCpuPerGB(),
                        c.callsPerTransfer() < 0 ? "-" : fmtCalls(c.callsPerTransfer())));
            StringBuilder auto = new StringBuilder();
            for (long size : sizes) {
                Cell c = find(cells, target, size, "AUTO");
                if (c != null && c.ran != null) {
                    auto.append(auto.length() == 0 ? "" : ", ").append(size(size)).append(' ').append(c.ran);
                }
            }
            if (auto.length() > 0) {
                out.println("  AUTO ran: " + auto);
            }
            out.println();
        }
        perCall(out, cells, targets, paths);
        out.println("GB = 10^9 bytes; every transfer's byte count and sampled CRC were checked"
                + (targets.contains("devnull") ? " (devnull: the count alone)" : "") + ". " + machine.summary());
    }

    /** The size whose per-call times get a table of their own: 4 KiB, a small file or a page. */
    static final long PER_CALL_SIZE = 4096;

    /** The ratios of the per-call table: the JDK's time over these paths' (calls per second over the JDK's). */
    private static final String[] OVER_JDK = {"AUTO", "SENDFILE"};

    private static boolean hasPerCall(List<Cell> cells) {
        for (Cell c : cells) {
            if (c.size == PER_CALL_SIZE) {
                return true;
            }
        }
        return false;
    }

    /** The ratio columns that this run's paths allow: JDK/AUTO, JDK/SENDFILE. */
    private static List<String> ratios(List<String> paths) {
        List<String> r = new java.util.ArrayList<>();
        for (String p : OVER_JDK) {
            if (paths.contains("JDK") && paths.contains(p)) {
                r.add(p);
            }
        }
        return r;
    }

    /** The JDK's median time per call over the path's, for a target at {@link #PER_CALL_SIZE}. */
    private static double jdkOver(List<Cell> cells, String target, String path) {
        return find(cells, target, PER_CALL_SIZE, "JDK").medianNsPerTransfer()
                / find(cells, target, PER_CALL_SIZE, path).medianNsPerTransfer();
    }

    /**
     * When 4 KiB is among the sizes: ns per call at 4 KiB, a row per target and a column per path
     * (median of the batches), then the JDK's time over AUTO's and SENDFILE's.
     */
    private static void perCall(PrintStream out, List<Cell> cells, List<String> targets, List<String> paths) {
        if (!hasPerCall(cells)) {
            return;
        }
        List<String> ratios = ratios(paths);
        out.println("ns per call at " + size(PER_CALL_SIZE) + ": one transfer of " + PER_CALL_SIZE
                + " bytes per call, median of the batches");
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-8s", "ns/call"));
        for (String p : paths) {
            head.append(String.format(Locale.ROOT, " %-11s", p));
        }
        for (String r : ratios) {
            head.append(String.format(Locale.ROOT, " %-13s", "JDK/" + r));
        }
        out.println(head.toString().replaceAll("\\s+$", ""));
        for (String target : targets) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-8s", target));
            for (String p : paths) {
                row.append(String.format(Locale.ROOT, " %-11.0f",
                        find(cells, target, PER_CALL_SIZE, p).medianNsPerTransfer()));
            }
            for (String r : ratios) {
                row.append(String.format(Locale.ROOT, " %-13.2f", jdkOver(cells, target, r)));
            }
            out.println(row.toString().replaceAll("\\s+$", ""));
        }
        if (!ratios.isEmpty()) {
            out.println("  JDK/X: the JDK's ns per call over X's = X's calls per second over the JDK's (>1: X is faster)");
        }
        out.println();
    }

    /** A header row, then a row per size with one cell per path. */
    private static void rows(PrintStream out, String label, String legend, List<Cell> cells, String target,
            List<Long> sizes, List<String> paths, java.util.function.Function<Cell, String> text) {
        out.print(String.format(Locale.ROOT, "  %-7s", label));
        for (String p : paths) {
            out.print(String.format(Locale.ROOT, " %-19s", p));
        }
        out.println("   " + legend);
        for (long size : sizes) {
            out.print(String.format(Locale.ROOT, "  %-7s", size(size)));
            for (String p : paths) {
                out.print(String.format(Locale.ROOT, " %-19s", text.apply(find(cells, target, size, p))));
            }
            out.println();
        }
    }

    /** The response view's ratios: these contenders' time over AUTO's. */
    private static final String[] OVER_AUTO = {ResponseView.WRITE_TRANSFER_TO, ResponseView.READ_GATHER};

    private static final String RESPONSES_TITLE = "responses: a " + ResponseView.HEADER_BYTES
            + "-byte header, then a body from a file in the page cache, to loopback TCP (127.0.0.1, TCP_NODELAY),"
            + " a thread drains it";

    /** A contender's median microseconds per response at a body size. */
    private static double micros(List<Cell> cells, long size, String contender) {
        return find(cells, "socket", size, contender).medianNsPerTransfer() / 1000;
    }

    /**
     * The response view's table: a row per body size with the median microseconds per response of
     * each contender, then each hand-written pattern's time over AUTO's; and what AUTO ran.
     */
    static void responseTable(PrintStream out, Machine machine, List<Cell> cells, List<Long> sizes) {
        List<String> contenders = ResponseView.CONTENDERS;
        out.println();
        out.println(RESPONSES_TITLE);
        out.println("  microseconds per response, median of the batches");
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-7s", "body"));
        for (String c : contenders) {
            head.append(String.format(Locale.ROOT, " %-" + width(c) + "s", c));
        }
        for (String c : OVER_AUTO) {
            String r = "(" + c + ")/AUTO";
            head.append(String.format(Locale.ROOT, " %-" + width(r) + "s", r));
        }
        out.println(head.toString().replaceAll("\\s+$", ""));
        for (long size : sizes) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-7s", size(size)));
            for (String c : contenders) {
                row.append(String.format(Locale.ROOT, " %-" + width(c) + ".2f", micros(cells, size, c)));
            }
            for (String c : OVER_AUTO) {
                row.append(String.format(Locale.ROOT, " %-" + width("(" + c + ")/AUTO") + ".2f",
                        micros(cells, size, c) / micros(cells, size, "AUTO")));
            }
            out.println(row.toString().replaceAll("\\s+$", ""));
        }
        StringBuilder auto = new StringBuilder();
        for (long size : sizes) {
            Cell c = find(cells, "socket", size, "AUTO");
            auto.append(auto.length() == 0 ? "" : ", ").append(size(size)).append(' ').append(c.ran);
            if (c.callsPerTransfer() >= 0) {
                auto.append(" (").append(fmtCalls(c.callsPerTransfer())).append(" calls)");
            }
        }
        out.println("  AUTO ran: " + auto);
        out.println("  (X)/AUTO: X's microseconds per response over AUTO's (>1: AUTO is faster)");
        out.println();
        out.println("Every response's byte count and sampled CRC were checked. " + machine.summary());
    }

    /** A table column's width: its name and a space, and at least 10. */
    private static int width(String name) {
        return Math.max(10, name.length() + 1);
    }

    private static String fmtCalls(double calls) {
        return calls == Math.rint(calls) ? String.valueOf((long) calls) : String.format(Locale.ROOT, "%.1f", calls);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String num(double d) {
        return String.format(Locale.ROOT, "%.6g", d);
    }

    /** compare.json: the cells of the run, then the response view's section and the per-call table (null where not run). */
    static void json(Path file, Machine machine, List<Cell> cells, List<String> targets, List<String> paths,
            List<Cell> responses, int batches, double batchSeconds) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("{\n  \"machine\": {\"cpu\": " + quote(machine.cpu) + ", \"cores\": " + machine.cores
                    + ", \"kernel\": " + quote(machine.kernel) + ", \"jdk\": " + quote(machine.jdk)
                    + ", \"native_library\": " + machine.nativeLoaded + "},\n");
            w.write("  \"settings\": {\"batches\": " + batches + ", \"batch_seconds\": " + num(batchSeconds)
                    + ", \"gb\": 1000000000},\n  \"cells\": [\n");
            for (int i = 0; i < cells.size(); i++) {
                Cell c = cells.get(i);
                StringBuilder samples = new StringBuilder();
                for (double g : c.gbps) {
                    samples.append(samples.length() == 0 ? "" : ", ").append(num(g));
                }
                w.write("    {\"target\": " + quote(c.target) + ", \"size\": " + c.size + ", \"path\": " + quote(c.path)
                        + ", \"ran\": " + (c.ran == null ? "null" : quote(c.ran))
                        + ", \"gbps\": {\"median\": " + num(c.median()) + ", \"min\": " + num(c.min()) + ", \"max\": "
                        + num(c.max()) + ", \"samples\": [" + samples + "]}"
                        + ", \"cpu_seconds_per_gb\": {\"sender_and_receiver\": " + num(c.cpuPerGB()) + ", \"sender\": "
                        + num(c.senderCpuPerGB()) + "}"
                        + ", \"kernel_calls_per_transfer\": "
                        + (c.callsPerTransfer() < 0 ? "null" : num(c.callsPerTransfer()))
                        + "}" + (i + 1 < cells.size() ? "," : "") + "\n");
            }
            w.write("  ],\n  \"responses\": ");
            responsesJson(w, responses);
            w.write(",\n  \"ns_per_call_4k\": ");
            perCallJson(w, cells, targets, paths);
            w.write("\n}\n");
        }
    }

    /**
     * The per-call table as JSON (null when 4 KiB was not measured): per target, the median ns per
     * call and the per-batch samples of each path, and jdk_over_auto, jdk_over_sendfile.
     */
    private static void perCallJson(Writer w, List<Cell> cells, List<String> targets, List<String> paths)
            throws IOException {
        if (!hasPerCall(cells)) {
            w.write("null");
            return;
        }
        List<String> ratios = ratios(paths);
        w.write("{\"size\": " + PER_CALL_SIZE + ", \"statistic\": \"median of the batches\", "
                + "\"jdk_over\": \"the JDK's median ns per call over the path's (>1: the path is faster)\", "
                + "\"targets\": [\n");
        for (int t = 0; t < targets.size(); t++) {
            String target = targets.get(t);
            StringBuilder medians = new StringBuilder();
            StringBuilder samples = new StringBuilder();
            for (String p : paths) {
                Cell c = find(cells, target, PER_CALL_SIZE, p);
                medians.append(medians.length() == 0 ? "" : ", ").append(quote(p)).append(": ")
                        .append(num(c.medianNsPerTransfer()));
                StringBuilder s = new StringBuilder();
                for (double ns : c.nsPerTransfer()) {
                    s.append(s.length() == 0 ? "" : ", ").append(num(ns));
                }
                samples.append(samples.length() == 0 ? "" : ", ").append(quote(p)).append(": [").append(s)
                        .append(']');
            }
            StringBuilder over = new StringBuilder();
            for (String r : ratios) {
                over.append(", ").append(quote("jdk_over_" + r.toLowerCase(Locale.ROOT))).append(": ")
                        .append(num(jdkOver(cells, target, r)));
            }
            w.write("    {\"target\": " + quote(target) + ", \"ns\": {" + medians + "}" + over + ", \"samples\": {"
                    + samples + "}}" + (t + 1 < targets.size() ? "," : "") + "\n");
        }
        w.write("  ]}");
    }

    /**
     * The response view as JSON (null when it did not run): per body size, the median microseconds
     * per response of each contender, each hand-written pattern's time over AUTO's, what AUTO ran,
     * kernel calls and CPU microseconds (sender and receiver) per response, and the per-batch samples.
     */
    private static void responsesJson(Writer w, List<Cell> cells) throws IOException {
        if (cells.isEmpty()) {
            w.write("null");
            return;
        }
        List<Long> sizes = new java.util.ArrayList<>();
        for (Cell c : cells) {
            if (!sizes.contains(c.size)) {
                sizes.add(c.size);
            }
        }
        w.write("{\"header_bytes\": " + ResponseView.HEADER_BYTES + ", \"target\": \"socket\", "
                + "\"unit\": \"microseconds per response\", \"statistic\": \"median of the batches\", "
                + "\"over_auto\": \"the pattern's median microseconds per response over AUTO's (>1: AUTO is faster)\", "
                + "\"sizes\": [\n");
        for (int i = 0; i < sizes.size(); i++) {
            long size = sizes.get(i);
            StringBuilder micros = new StringBuilder();
            StringBuilder calls = new StringBuilder();
            StringBuilder cpu = new StringBuilder();
            StringBuilder samples = new StringBuilder();
            for (String contender : ResponseView.CONTENDERS) {
                Cell c = find(cells, "socket", size, contender);
                String key = (micros.length() == 0 ? "" : ", ") + quote(contender) + ": ";
                micros.append(key).append(num(micros(cells, size, contender)));
                calls.append(key).append(c.callsPerTransfer() < 0 ? "null" : num(c.callsPerTransfer()));
                cpu.append(key).append(num(c.cpuPerGB() * size / 1000));
                StringBuilder s = new StringBuilder();
                for (double ns : c.nsPerTransfer()) {
                    s.append(s.length() == 0 ? "" : ", ").append(num(ns / 1000));
                }
                samples.append(key).append('[').append(s).append(']');
            }
            StringBuilder over = new StringBuilder();
            for (String contender : OVER_AUTO) {
                over.append(", ").append(quote(contender.replace('+', '_').toLowerCase(Locale.ROOT) + "_over_auto"))
                        .append(": ").append(num(micros(cells, size, contender) / micros(cells, size, "AUTO")));
            }
            w.write("    {\"size\": " + size + ", \"auto_ran\": " + quote(find(cells, "socket", size, "AUTO").ran)
                    + ", \"us\": {" + micros + "}" + over + ", \"kernel_calls_per_response\": {" + calls
                    + "}, \"cpu_us_per_response\": {" + cpu + "}, \"samples\": {" + samples + "}}"
                    + (i + 1 < sizes.size() ? "," : "") + "\n");
        }
        w.write("  ]}");
    }

    static void chart(Path file, List<Cell> cells, List<String> targets, List<String> paths) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int width = 640;
        int height = 480;
        BufferedImage image = new BufferedImage(width * targets.size(), height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        for (int t = 0; t < targets.size(); t++) {
            XYSeriesCollection data = new XYSeriesCollection();
            for (String p : paths) {
                XYSeries series = new XYSeries(p);
                for (Cell c : cells) {
                    if (c.target.equals(targets.get(t)) && c.path.equals(p)) {
                        series.add(c.size, c.median());
                    }
                }
                data.addSeries(series);
            }
            JFreeChart chart = ChartFactory.createXYLineChart(title(targets.get(t)), "transfer size (bytes)",
                    "GB/s (median)", data, PlotOrientation.VERTICAL, true, false, false);
            style(chart, "transfer size (bytes, log scale)", paths.size());
            chart.draw(g, new Rectangle2D.Double(t * width, 0, width, height));
        }
        write(image, g, file);
    }

    /** A log-scale size axis (base 2), white background, grey grid lines and thick lines for {@code series} series. */
    private static void style(JFreeChart chart, String sizeLabel, int series) {
        XYPlot plot = chart.getXYPlot();
        LogAxis sizes = new LogAxis(sizeLabel);
        sizes.setBase(2);
        sizes.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        org.jfree.data.Range range = org.jfree.data.general.DatasetUtils.findDomainBounds(plot.getDataset());
        if (range != null && range.getLength() == 0) {
            // One size: a log axis cannot range over a single value; a factor of 2 either side.
            sizes.setAutoRange(false);
            sizes.setRange(range.getLowerBound() / 2, range.getUpperBound() * 2);
        }
        plot.setDomainAxis(sizes);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int s = 0; s < series; s++) {
            renderer.setSeriesStroke(s, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        chart.getTitle().setFont(chart.getTitle().getFont().deriveFont(14f));
    }

    /** Releases {@code g} and writes {@code image} to {@code file} as PNG. */
    private static void write(BufferedImage image, Graphics2D g, Path file) throws IOException {
        g.dispose();
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    /** Paints {@code image} white; returns its graphics. */
    private static Graphics2D canvas(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        return g;
    }

    /** The response view's chart: median microseconds per response by body size, a line per contender (log scales). */
    static void responseChart(Path file, List<Cell> cells) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeriesCollection data = new XYSeriesCollection();
        for (String contender : ResponseView.CONTENDERS) {
            XYSeries series = new XYSeries(contender);
            for (Cell c : cells) {
                if (c.path.equals(contender)) {
                    series.add(c.size, c.medianNsPerTransfer() / 1000);
                }
            }
            data.addSeries(series);
        }
        JFreeChart chart = ChartFactory.createXYLineChart("a " + ResponseView.HEADER_BYTES
                + "-byte header and a body to loopback TCP", "body size (bytes)", "microseconds per response",
                data, PlotOrientation.VERTICAL, true, false, false);
        style(chart, "body size (bytes, log scale)", ResponseView.CONTENDERS.size());
        LogAxis micros = new LogAxis("microseconds per response (median, log scale)");
        micros.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        micros.setNumberFormatOverride(new java.text.DecimalFormat("0"));
        chart.getXYPlot().setRangeAxis(micros);
        BufferedImage image = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        chart.draw(g, new Rectangle2D.Double(0, 0, 640, 480));
        write(image, g, file);
    }

    private static final String[] SOURCE_TITLES = {
        "socket", "socket -> file: loopback TCP (127.0.0.1), a sender thread writes the bytes from memory",
        "pipe", "pipe -> file: a sender thread writes the pipe's sink from memory",
        "file", "file -> file: a source file in the page cache, rewound before each transfer"};

    private static String receiveTitle(String source) {
        for (int i = 0; i < SOURCE_TITLES.length; i += 2) {
            if (SOURCE_TITLES[i].equals(source)) {
                return SOURCE_TITLES[i + 1];
            }
        }
        return source;
    }

    /** A cell's median GB/s over the JDK's, and over AUTO's, at its source and size. */
    private static double[] receiveRatios(List<Cell> cells, Cell c) {
        double jdk = ReceiveView.find(cells, c.target, c.size, "JDK").median();
        double auto = ReceiveView.find(cells, c.target, c.size, "AUTO").median();
        return new double[] {c.median() / jdk, c.median() / auto};
    }

    /**
     * A target's line: "AUTO >= 2x JDK from 1MiB up: yes (1MiB 2.310, 16MiB 2.402)"; three
     * decimals, so that a ratio just under the threshold never reads as the threshold.
     */
    private static String checkLine(ReceiveView.Check check) {
        Boolean met = check.met();
        StringBuilder b = new StringBuilder("  target: " + check.text + " from " + size(ReceiveView.CHECK_FROM) + " up: ");
        if (met == null) {
            return b.append("not measured (no size from ").append(size(ReceiveView.CHECK_FROM)).append(" up)").toString();
        }
        b.append(met ? "yes (" : "NO (");
        for (int i = 0; i < check.sizes.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(size(check.sizes.get(i))).append(' ')
                    .append(String.format(Locale.ROOT, "%.3f", check.ratios.get(i)));
            if (!check.key.equals("auto_over_jdk")) {
                b.append(" of ").append(check.against.get(i));
            }
        }
        return b.append(')').toString();
    }

    /**
     * The receive view's table: per source, GB/s (median [min-max]), CPU s/GB and kernel calls,
     * each path's median over the JDK's and AUTO's, what AUTO ran, and the targets' lines.
     */
    static void receiveTable(PrintStream out, Machine machine, List<Cell> cells, List<String> sources,
            List<Long> sizes) {
        List<ReceiveView.Check> checks = ReceiveView.checks(cells, sources, sizes);
        out.println();
        for (String source : sources) {
            List<String> paths = ReceiveView.paths(source);
            out.println(receiveTitle(source));
            rows(out, "GB/s", "median [min-max] of the batches", cells, source, sizes, paths,
                c -> String.format(Locale.ROOT, "%.2f [%.2f-%.2f]", c.median(), c.min(), c.max()));
            rows(out, "CPU", "CPU s/GB of receiver+sender (receiver); kernel calls per transfer", cells, source,
                sizes, paths, c -> String.format(Locale.ROOT, "%.2f (%.2f); %s", c.cpuPerGB(), c.senderCpuPerGB(),
                        c.callsPerTransfer() < 0 ? "-" : fmtCalls(c.callsPerTransfer())));
            rows(out, "ratio", "median GB/s over the JDK's / over AUTO's (>1: faster than the JDK / AUTO)", cells,
                source, sizes, paths, c -> {
                    double[] r = receiveRatios(cells, c);
                    return String.format(Locale.ROOT, "%.2f / %.2f", r[0], r[1]);
                });
            StringBuilder auto = new StringBuilder();
            for (long size : sizes) {
                Cell c = ReceiveView.find(cells, source, size, "AUTO");
                auto.append(auto.length() == 0 ? "" : ", ").append(size(size)).append(' ').append(c.ran);
            }
            out.println("  AUTO ran: " + auto);
            for (ReceiveView.Check check : checks) {
                if (check.source.equals(source)) {
                    out.println(checkLine(check));
                }
            }
            out.println();
        }
        out.println("GB = 10^9 bytes; every transfer's byte count and sampled CRC were checked. " + ReceiveView.TIMING);
        out.println(machine.summary());
    }

    /**
     * receive.json: the machine and settings, a cell per source, size and path (GB/s with the
     * per-batch samples, CPU, kernel calls, the path AUTO took, the ratios over the JDK and AUTO),
     * and the targets.
     */
    static void receiveJson(Path file, Machine machine, List<Cell> cells, List<String> sources, List<Long> sizes,
            int batches, double batchSeconds) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("{\n  \"machine\": {\"cpu\": " + quote(machine.cpu) + ", \"cores\": " + machine.cores
                    + ", \"kernel\": " + quote(machine.kernel) + ", \"jdk\": " + quote(machine.jdk)
                    + ", \"native_library\": " + machine.nativeLoaded + "},\n");
            w.write("  \"settings\": {\"batches\": " + batches + ", \"batch_seconds\": " + num(batchSeconds)
                    + ", \"gb\": 1000000000, \"timing\": " + quote(ReceiveView.TIMING) + "},\n  \"cells\": [\n");
            for (int i = 0; i < cells.size(); i++) {
                Cell c = cells.get(i);
                StringBuilder samples = new StringBuilder();
                for (double g : c.gbps) {
                    samples.append(samples.length() == 0 ? "" : ", ").append(num(g));
                }
                double[] r = receiveRatios(cells, c);
                w.write("    {\"source\": " + quote(c.target) + ", \"size\": " + c.size + ", \"path\": " + quote(c.path)
                        + ", \"ran\": " + (c.ran == null ? "null" : quote(c.ran))
                        + ", \"gbps\": {\"median\": " + num(c.median()) + ", \"min\": " + num(c.min()) + ", \"max\": "
                        + num(c.max()) + ", \"samples\": [" + samples + "]}"
                        + ", \"over_jdk\": " + num(r[0]) + ", \"over_auto\": " + num(r[1])
                        + ", \"cpu_seconds_per_gb\": {\"receiver_and_sender\": " + num(c.cpuPerGB())
                        + ", \"receiver\": " + num(c.senderCpuPerGB()) + "}"
                        + ", \"kernel_calls_per_transfer\": "
                        + (c.callsPerTransfer() < 0 ? "null" : num(c.callsPerTransfer()))
                        + "}" + (i + 1 < cells.size() ? "," : "") + "\n");
            }
            w.write("  ],\n  \"checks\": [\n");
            List<ReceiveView.Check> checks = ReceiveView.checks(cells, sources, sizes);
            for (int i = 0; i < checks.size(); i++) {
                ReceiveView.Check check = checks.get(i);
                StringBuilder at = new StringBuilder();
                for (int k = 0; k < check.sizes.size(); k++) {
                    at.append(k == 0 ? "" : ", ").append("{\"size\": ").append(check.sizes.get(k))
                            .append(", \"ratio\": ").append(num(check.ratios.get(k))).append(", \"against\": ")
                            .append(quote(check.against.get(k))).append('}');
                }
                w.write("    {\"source\": " + quote(check.source) + ", \"check\": " + quote(check.key)
                        + ", \"threshold\": " + num(check.threshold) + ", \"from_size\": " + ReceiveView.CHECK_FROM
                        + ", \"met\": " + check.met() + ", \"sizes\": [" + at + "]}"
                        + (i + 1 < checks.size() ? "," : "") + "\n");
            }
            w.write("  ]\n}\n");
        }
    }

    /** A path's colour in the receive view's chart, the same in every panel. */
    private static Color pathColor(String path) {
        switch (path) {
            case "AUTO": return new Color(0xE41A1C);
            case "SPLICE": return new Color(0x377EB8);
            case "COPY_FILE_RANGE": return new Color(0x984EA3);
            case "SENDFILE": return new Color(0xFF7F00);
            case "MMAP": return new Color(0xA65628);
            case "READ_WRITE": return new Color(0x4DAF4A);
            case "JDK": return Color.BLACK;
            default: return Color.GRAY;
        }
    }

    /** The receive view's chart: a panel per source, median GB/s by size, a line per path. */
    static void receiveChart(Path file, List<Cell> cells, List<String> sources) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int width = 640;
        int height = 480;
        BufferedImage image = new BufferedImage(width * sources.size(), height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        for (int s = 0; s < sources.size(); s++) {
            List<String> paths = ReceiveView.paths(sources.get(s));
            XYSeriesCollection data = new XYSeriesCollection();
            for (String p : paths) {
                XYSeries series = new XYSeries(p);
                for (Cell c : cells) {
                    if (c.target.equals(sources.get(s)) && c.path.equals(p)) {
                        series.add(c.size, c.median());
                    }
                }
                data.addSeries(series);
            }
            JFreeChart chart = ChartFactory.createXYLineChart(receiveTitle(sources.get(s)).replaceFirst(":.*", ""),
                    "transfer size (bytes)", "GB/s (median)", data, PlotOrientation.VERTICAL, true, false, false);
            style(chart, "transfer size (bytes, log scale)", paths.size());
            XYLineAndShapeRenderer renderer = (XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
            for (int i = 0; i < paths.size(); i++) {
                renderer.setSeriesPaint(i, pathColor(paths.get(i)));
            }
            chart.draw(g, new Rectangle2D.Double(s * width, 0, width, height));
        }
        write(image, g, file);
    }
}
