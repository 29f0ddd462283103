package dev.zerocopy.compare;

import dev.zerocopy.Strategy;
import dev.zerocopy.TransferReport;
import dev.zerocopy.ZeroCopy;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job: every transfer path side by side, in one JVM, on a generated file in the page
 * cache, to a loopback TCP socket, a file, a pipe and /dev/null. Prints a table (and, when 4 KiB
 * is among the sizes, nanoseconds per call at 4 KiB), writes the measurements as JSON and draws
 * a chart. Every transfer's byte count and a sampled CRC of what arrived are
 * checked, so a fast wrong path can never win. Two other views: responses ({@link ResponseView})
 * and the receiving direction, transferFrom into a file ({@link ReceiveView}).
 */
@Command(name = "compare", mixinStandardHelpOptions = true, version = "zerocopy-nio compare 0.1.0",
        sortOptions = false,
        description = {
            "Runs every zerocopy-nio strategy, FileChannel.transferTo (JDK) and a naive InputStream -> OutputStream",
            "copy with an 8 KiB buffer (STREAM) side by side: a generated file in the page cache to a loopback TCP",
            "socket (127.0.0.1, a receiving thread drains it), a file, a pipe and /dev/null. Within a cell the",
            "paths run in turns, batch after batch, so drift on a shared machine hits them alike. Per cell: GB/s",
            "(median, min, max over the batches), CPU seconds per GB (the sending and receiving threads, and the",
            "sending thread alone), kernel calls per transfer (native paths) and the path AUTO took. The socket",
            "has TCP_NODELAY. When 4 KiB is among the sizes, a table of nanoseconds per call at 4 KiB follows",
            "(target by path, with the JDK's time over AUTO's and SENDFILE's): the per-call view is",
            "  compare --sizes 4k",
            "The response view (--responses) times responses instead: a 200-byte header and a body from a file,",
            "to the loopback socket, by ZeroCopy.sendFile per strategy, by write(header) + transferTo and by",
            "read + a gathering write; microseconds per response and each pattern's time over AUTO's.",
            "The receive view (--receive) times the other direction, ZeroCopy.transferFrom into a file: from a",
            "loopback TCP socket (a sender thread writes the bytes from memory into 127.0.0.1, TCP_NODELAY), from a",
            "pipe (a sender thread writes its sink) and from a file in the page cache (rewound to 0 before each",
            "transfer). Paths: AUTO, every strategy that applies (SPLICE from a socket or pipe; COPY_FILE_RANGE,",
            "SENDFILE, MMAP from a file; READ_WRITE), FileChannel.transferFrom (JDK) and STREAM",
            "(Channels.newInputStream(src) to a FileOutputStream, 8 KiB buffer). The target file is truncated to 0",
            "before each transfer, untimed (every transfer fills a fresh file at position 0); each transfer is timed",
            "alone, from the sender's start (a file: the first call) until the last byte is in the file, and its",
            "size and sampled CRC are checked after it. Per cell: GB/s, CPU s/GB (receiver and sender threads),",
            "kernel calls, each path's GB/s over the JDK's and over AUTO's, the path AUTO took, and per source",
            "whether AUTO reached 0.95x the best other path (and 2x the JDK from a socket, 1x from a file) from",
            "1 MiB up. Writes receive.json and receive.png.",
            ""})
public final class Compare implements Callable<Integer> {
    static final String[] PATHS = {"AUTO", "SENDFILE", "MMAP", "READ_WRITE", "JDK", "STREAM"};
    static final String[] TARGETS = {"socket", "file", "pipe", "devnull"};

    @Option(names = "--responses", description = "runs the response view alone (see above); --targets and --paths do not apply")
    boolean responses;

    @Option(names = "--receive", description = "runs the receive view alone (see above); --targets and --paths do not apply")
    boolean receive;

    @Option(names = "--sources", split = ",", paramLabel = "SOURCE",
            description = "--receive: socket, pipe, file (default: all three)")
    List<String> sources;

    @Option(names = "--sizes", split = ",", paramLabel = "SIZE",
            description = "transfer (body) sizes, with k/m/g suffixes (default: 4k,64k,1m,16m,256m; --quick: 4k,64k,1m;"
                    + " --responses: 1k,4k,16k,64k,1m; --receive: 64k,1m,16m,256m, --quick 64k,1m)")
    List<String> sizes;

    @Option(names = "--targets", split = ",", paramLabel = "TARGET",
            description = "socket, file, pipe, devnull (default: all four)")
    List<String> targets;

    @Option(names = "--paths", split = ",", paramLabel = "PATH",
            description = "AUTO, SENDFILE, MMAP, READ_WRITE, JDK, STREAM (default: all)")
    List<String> paths;

    @Option(names = "--batches", paramLabel = "N", description = "measured batches per path and cell (default: 9; --quick: 2)")
    Integer batches;

    @Option(names = "--batch-ms", paramLabel = "MS", description = "the aim for one batch's time (default: 20; --quick: 2)")
    Integer batchMillis;

    @Option(names = "--out", paramLabel = "DIR",
            description = "where compare.json and compare.png (--receive: receive.json, receive.png) go (default: build/compare)")
    Path out = Paths.get("build", "compare");

    @Option(names = "--quick", description = "a run of seconds, for tests: small sizes, 2 batches")
    boolean quick;

    private PrintStream stdout = System.out;

    public static void main(String[] args) {
        System.exit(run(System.out, args));
    }

    /** Runs the command, printing to {@code stdout}; returns the exit status. */
    public static int run(PrintStream stdout, String... args) {
        Compare compare = new Compare();
        compare.stdout = stdout;
        CommandLine cl = new CommandLine(compare);
        cl.setOut(new java.io.PrintWriter(stdout, true));
        return cl.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (responses && (targets != null || paths != null)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--responses has no targets or paths");
        }
        if (receive && (responses || targets != null || paths != null)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--receive has no targets or paths, and runs without --responses");
        }
        if (sources != null && !receive) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--sources is for --receive");
        }
        List<String> sourceList = sources != null ? sources : ReceiveView.SOURCES;
        for (String s : sourceList) {
            if (!ReceiveView.SOURCES.contains(s)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown source " + s);
            }
        }
        List<Long> sizeList = new ArrayList<>();
        for (String s : sizes != null ? sizes : defaultSizes()) {
            sizeList.add(parseSize(s));
        }
        List<String> targetList = targets != null ? targets : Arrays.asList(TARGETS);
        List<String> pathList = paths != null ? paths : Arrays.asList(PATHS);
        for (String p : pathList) {
            if (!Arrays.asList(PATHS).contains(p)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown path " + p);
            }
        }
        int nBatches = batches != null ? batches : (quick ? 2 : 9);
        double batchSeconds = (batchMillis != null ? batchMillis : (quick ? 2 : 20)) / 1000.0;
        Machine machine = Machine.describe();
        stdout.println("compare: " + machine.summary());
        if (!ZeroCopy.isNativeAvailable()) {
            stdout.println("compare: the native library did not load: AUTO is the JDK, the native strategies fail");
        }
        Files.createDirectories(out);
        Path dir = Files.createTempDirectory("zerocopy-compare");
        List<Cell> cells = new ArrayList<>();
        try {
            if (responses) {
                cells.addAll(ResponseView.measure(dir, sizeList, nBatches, batchSeconds));
            } else if (receive) {
                cells.addAll(ReceiveView.measure(dir, sourceList, sizeList, nBatches, batchSeconds));
            } else {
                int total = targetList.size() * sizeList.size();
                int done = 0;
                for (String targetName : targetList) {
                    try (Target target = Target.create(targetName, dir)) {
                        for (long size : sizeList) {
                            done++;
                            progress(done, total, targetName + " " + Output.size(size));
                            cells.addAll(measure(dir, target, size, pathList, nBatches, batchSeconds));
                        }
                    }
                }
            }
            System.err.print("\r                                                    \r");
        } finally {
            deleteTree(dir);
        }
        Path json = out.resolve(receive ? "receive.json" : "compare.json");
        Path png = out.resolve(receive ? "receive.png" : "compare.png");
        if (receive) {
            Output.receiveTable(stdout, machine, cells, sourceList, sizeList);
            Output.receiveJson(json, machine, cells, sourceList, sizeList, nBatches, batchSeconds);
            Output.receiveChart(png, cells, sourceList);
        } else if (responses) {
            Output.responseTable(stdout, machine, cells, sizeList);
            Output.json(json, machine, new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), cells, nBatches,
                    batchSeconds);
            Output.responseChart(png, cells);
        } else {
            Output.table(stdout, machine, cells, targetList, sizeList, pathList);
            Output.json(json, machine, cells, targetList, pathList, new ArrayList<>(), nBatches, batchSeconds);
            Output.chart(png, cells, targetList, pathList);
        }
        stdout.println("wrote " + json + " and " + png);
        // What the native paths did in this run, by call and strategy (ZeroCopy.statistics()).
        stdout.println(ZeroCopy.statistics());
        return 0;
    }

    private List<String> defaultSizes() {
        if (responses) {
            return Arrays.asList("1k", "4k", "16k", "64k", "1m");
        }
        if (receive) {
            return quick ? Arrays.asList("64k", "1m") : Arrays.asList("64k", "1m", "16m", "256m");
        }
        return quick ? Arrays.asList("4k", "64k", "1m") : Arrays.asList("4k", "64k", "1m", "16m", "256m");
    }

    /** Where a run is, on stderr (a line that rewrites itself). */
    static void progress(int done, int total, String what) {
        System.err.printf(Locale.ROOT, "\rcompare: %d/%d  %s            ", done, total, what);
    }

    /** Measures every path for one target and size; returns a cell per path. */
    private static List<Cell> measure(Path dir, Target target, long size, List<String> paths, int nBatches,
            double batchSeconds) throws IOException {
        Path file = dir.resolve("source-" + size);
        byte[] data = source(file, size);
        long crc = SampledCrc.of(data, data.length);
        List<Cell> cells = new ArrayList<>();
        for (String p : paths) {
            cells.add(new Cell(target.name, size, p));
        }
        try (FileChannel src = FileChannel.open(file); FileInputStream stream = new FileInputStream(file.toFile())) {
            TransferReport report = new TransferReport();
            interleave(cells, nBatches, batchSeconds, (cell, transfers, measured) -> batch(cell, target, size, crc,
                    transfers, measured, () -> send(cell, src, stream, target, size, report)));
        }
        Files.delete(file);
        return cells;
    }

    /** One transfer by a cell's path (the whole source, or a response); the kernel calls it reported, or -1. */
    interface Transfer {
        long run() throws IOException;
    }

    /** A batch of {@code transfers} transfers by a cell's path; {@code measured} false while warming up. */
    interface Batch {
        void run(Cell cell, int transfers, boolean measured) throws IOException;
    }

    /**
     * The schedule of every view: warms up each cell's path (JIT, page cache, socket buffers) a
     * transfer per batch, sizes the batches on the fastest to take about {@code batchSeconds},
     * then runs {@code nBatches} rounds of a batch per cell, each round starting one cell further
     * on, so that drift on a shared machine hits every path alike.
     */
    static void interleave(List<Cell> cells, int nBatches, double batchSeconds, Batch batch) throws IOException {
        double fastest = Double.MAX_VALUE;
        for (Cell cell : cells) {
            long start = System.nanoTime();
            int n = 0;
            do {
                batch.run(cell, 1, false);
                n++;
            } while (System.nanoTime() - start < batchSeconds * 5e9 && n < 1000);
            fastest = Math.min(fastest, (System.nanoTime() - start) / 1e9 / n);
        }
        int perBatch = (int) Math.max(1, Math.min(10_000, batchSeconds / fastest));
        for (int b = 0; b < nBatches; b++) {
            for (int k = 0; k < cells.size(); k++) {
                batch.run(cells.get((k + b) % cells.size()), perBatch, true);
            }
        }
    }

    /**
     * One batch: {@code transfers} transfers of {@code bytes} each by {@code transfer}, timed until
     * the last has arrived, then each checked (byte count and sampled CRC {@code crc}); a measured
     * batch adds its sample to the cell (as {@code cell.size} bytes per transfer).
     */
    static void batch(Cell cell, Target target, long bytes, long crc, int transfers, boolean measured,
            Transfer transfer) throws IOException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        target.reset();
        long[][] arrived = new long[transfers][];
        long receiver0 = target.receiverCpuNanos();
        long sender0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < transfers; i++) {
            target.expect(bytes);
        }
        long calls = 0;
        for (int i = 0; i < transfers; i++) {
            long c = transfer.run();
            calls = c < 0 || calls < 0 ? -1 : calls + c;
        }
        for (int i = 0; i < transfers; i++) {
            arrived[i] = target.arrived();
        }
        long wall = System.nanoTime() - t0;
        long sender = threads.getCurrentThreadCpuTime() - sender0;
        long receiver = target.receiverCpuNanos() - receiver0;
        verify(cell, target, bytes, crc, arrived);
        if (measured) {
            cell.add(cell.size * transfers, wall, sender + receiver, sender, transfers, calls);
        }
    }

    /** Every transfer of a batch arrived whole and intact (count and sampled CRC), else fail the run. */
    private static void verify(Cell cell, Target target, long size, long crc, long[][] arrived) throws IOException {
        for (long[] a : arrived) {
            long[] got = target.check(a);
            if (got == null) {
                continue; // /dev/null keeps nothing; send() saw transferTo report every byte
            }
            if (got[0] != size || got[1] != crc) {
                throw new IOException(cell.path + " to " + target.name + ": received " + got[0] + " of " + size
                        + " bytes" + (got[0] == size ? ", with other content (sampled CRC differs)" : ""));
            }
        }
    }

    /** One transfer of the whole source by the cell's path; the kernel calls it reported, or -1. */
    private static long send(Cell cell, FileChannel src, FileInputStream stream, Target target, long size,
            TransferReport report) throws IOException {
        switch (cell.path) {
            case "STREAM":
                stream.getChannel().position(0);
                copy(stream, target.stream(), size);
                return -1;
            case "JDK":
                for (long done = 0; done < size;) {
                    done += src.transferTo(done, size - done, target.channel());
                }
                return -1;
            default:
                Strategy strategy = Strategy.valueOf(cell.path);
                long calls = 0;
                for (long done = 0; done < size;) {
                    done += ZeroCopy.transferTo(src, done, size - done, target.channel(), strategy, report);
                    calls += report.syscalls();
                }
                cell.ran = report.strategy().name();
                return calls;
        }
    }

    /** What many applications do: an 8 KiB buffer between two streams. */
    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buf = new byte[8192];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("the source ended early");
            }
            out.write(buf, 0, n);
            left -= n;
        }
        out.flush();
    }

    /** Writes {@code size} pseudo-random bytes to {@code file} and returns them. */
    static byte[] source(Path file, long size) throws IOException {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("sizes up to 2 GiB");
        }
        byte[] data = new byte[(int) size];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < data.length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            data[i] = (byte) x;
        }
        Files.write(file, data);
        return data;
    }

    static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long unit = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g') {
            unit = last == 'k' ? 1 << 10 : last == 'm' ? 1 << 20 : 1L << 30;
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t) * unit;
            if (v <= 0 || v > (1L << 31) - 16) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size from 1 byte to 2 GiB: " + s);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
