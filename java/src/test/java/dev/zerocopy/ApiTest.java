package dev.zerocopy;

import static dev.zerocopy.Fixtures.drain;
import static dev.zerocopy.Fixtures.get;
import static dev.zerocopy.Fixtures.pattern;
import static dev.zerocopy.Fixtures.slice;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.Future;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ApiTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void nativeLibraryLoaded() {
        assertTrue("native library: " + NativeLoader.LOAD_ERROR, ZeroCopy.isNativeAvailable());
        assertTrue(NativeLoader.LOADED_FROM, NativeLoader.LOADED_FROM.startsWith("jar"));
    }

    @Test
    public void wrapDelegatesAndTransfersNatively() throws Exception {
        byte[] data = pattern(100_000, 12);
        Path src = Fixtures.file(tmp, data);
        FileChannel plain = FileChannel.open(src, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel wrapped = ZeroCopy.wrap(plain);
        assertSame(wrapped, ZeroCopy.wrap(wrapped));
        assertEquals(data.length, wrapped.size());
        assertSame(wrapped, wrapped.position(10));
        ByteBuffer b = ByteBuffer.allocate(5);
        assertEquals(5, wrapped.read(b));
        assertArrayEquals(slice(data, 10, 5), b.array());
        assertEquals(15, plain.position());

        SocketChannel[] pair = Fixtures.socketPair();
        Future<byte[]> got = drain(pair[1]);
        TransferReport report = new TransferReport();
        try (SocketChannel out = pair[0]) {
            assertEquals(1000, wrapped.transferTo(50, 1000, out));
            // A wrapped channel given to ZeroCopy is unwrapped to the JDK channel: still native.
            assertEquals(500, ZeroCopy.transferTo(wrapped, 0, 500, out, Strategy.SENDFILE, report));
        }
        assertEquals(Strategy.SENDFILE, report.strategy());
        byte[] received = get(got);
        assertArrayEquals(slice(data, 50, 1000), Arrays.copyOfRange(received, 0, 1000));
        assertArrayEquals(slice(data, 0, 500), Arrays.copyOfRange(received, 1000, 1500));
        assertEquals(15, wrapped.position());

        wrapped.close();
        assertFalse("closing the wrapper closes the channel", plain.isOpen());
    }

    /**
     * JNI hygiene: one native call that calls back into Java some 256 times (a checkpoint every
     * 4 MiB of 1 GiB) must not pile up local references (-Xcheck:jni reports that) nor leak.
     */
    @Test
    public void manyCheckpointsInOneNativeCall() throws Exception {
        Path p = tmp.newFile().toPath();
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(1L << 30);
        }
        try (FileChannel in = FileChannel.open(p);
                FileChannel devNull = FileChannel.open(java.nio.file.Paths.get("/dev/null"), StandardOpenOption.WRITE)) {
            for (Strategy s : Fixtures.NATIVE_STRATEGIES) {
                TransferReport report = new TransferReport();
                assertEquals(s.toString(), 1L << 30, ZeroCopy.transferTo(in, 0, 1L << 30, devNull, s, report));
                assertTrue(report.toString(), report.syscalls() >= 256);
            }
        }
    }

    @Test(expected = NullPointerException.class)
    public void nullStrategy() throws Exception {
        try (FileChannel in = FileChannel.open(Fixtures.file(tmp, new byte[10]))) {
            ZeroCopy.transferTo(in, 0, 1, in, (Strategy) null);
        }
    }

    /** Runs a probe's main in a fresh JVM with one system property; returns what it prints. */
    private static String probe(Class<?> main, String property) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        // This JVM's class path: the classes, the probe, and the library among the resources.
        String cp = System.getProperty("java.class.path");
        // stderr apart: JDK 24+ warn there about System.load on the class path.
        File err = File.createTempFile("probe", ".err");
        try {
            Process p = new ProcessBuilder(java, "-D" + property, "-cp", cp, main.getName())
                    .redirectError(ProcessBuilder.Redirect.to(err)).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) > 0;) {
                    out.write(buf, 0, n);
                }
            }
            String stderr = new String(Files.readAllBytes(err.toPath()), "UTF-8");
            assertEquals("exit status; stderr: " + stderr, 0, p.waitFor());
            return out.toString("UTF-8").trim();
        } finally {
            assertTrue(err.delete());
        }
    }

    @Test
    public void strategyPropertyPicksTheDefault() throws Exception {
        assertEquals(Strategy.AUTO, ZeroCopy.defaultStrategy());
        String property = ZeroCopy.STRATEGY_PROPERTY + "=";
        assertEquals("MMAP\nmoved 5", probe(StrategyProbe.class, property + "mmap"));
        assertEquals("READ_WRITE\nmoved 5", probe(StrategyProbe.class, property + " READ_WRITE "));
        // A name that is no strategy: one warning when the class loads, then AUTO, and every transfer
        // works (a server must never fail in the middle of a response over a typo).
        assertEquals("AUTO\nWARNING -Ddev.zerocopy.strategy=zero names no strategy (one of [AUTO, SENDFILE, "
                + "MMAP, READ_WRITE, COPY_FILE_RANGE, SPLICE, JDK]); using AUTO\nmoved 5", probe(StrategyProbe.class, property + "zero"));
    }

    @Test
    public void withoutTheLibraryAutoUsesTheJdkAndExplicitStrategiesSayWhy() throws Exception {
        String out = probe(LoadFailureProbe.class, NativeLoader.LIBRARY_PROPERTY + "=/nonexistent/libzerocopy_nio.so");
        assertEquals("available false\nauto 3 by JDK\nsendfile refused: SENDFILE: the zerocopy-nio native library "
                + "did not load; cause java.lang.UnsatisfiedLinkError", out);
    }

    /**
     * The natives find a channel's kind from its class, never from a code Java passes: a channel
     * of any other class, in either place, is the ILLEGAL_ARGUMENT status, and no field is ever
     * read from it (that would crash the JVM).
     */
    @Test
    public void channelsOfOtherClassesAreRefused() throws Exception {
        Path src = Fixtures.file(tmp, pattern(100, 1));
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel in = FileChannel.open(src); SocketChannel a = pair[0]; SocketChannel b = pair[1]) {
            FileChannel wrapper = ZeroCopy.wrap(in); // a FileChannel, but not the JDK's class
            Object[][] wrong = {{in, "a string"}, {in, wrapper}, {in, null}, {wrapper, a}, {null, a}};
            for (Object[] channels : wrong) {
                String what = java.util.Arrays.toString(channels);
                assertEquals(what, Native.ILLEGAL_ARGUMENT, Native.transfer0((FileChannel) channels[0], 0, 100,
                        channels[1], Strategy.SENDFILE.code(), null));
                assertEquals(what, Native.ILLEGAL_ARGUMENT, Native.checkAccess0((FileChannel) channels[0],
                        channels[1]));
            }
            assertTrue(in.isOpen() && a.isOpen());
        }
    }

    /**
     * Strategy codes cross the JNI boundary: each Java strategy's code names the same strategy in
     * the native library (the other shared constants are checked by the library when it loads).
     */
    @Test
    public void strategyCodesNameTheSameStrategyOnBothSides() {
        for (Strategy s : Strategy.values()) {
            String nativeName = Native.strategyName0(s.code());
            assertEquals(s + " (code " + s.code() + ")", s == Strategy.JDK ? null : s.name(), nativeName);
        }
        assertEquals(null, Native.strategyName0(Strategy.values().length));
        // transferFrom's strategy: ZC_STRATEGY_SPLICE in the C header.
        assertEquals(5, Strategy.SPLICE.code());
        assertEquals("SPLICE", Native.strategyName0(5));
    }
}
