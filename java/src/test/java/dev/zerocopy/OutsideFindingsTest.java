package dev.zerocopy;

import static dev.zerocopy.Fixtures.pattern;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * What OpenJDK's own transferTo tests, run through ZeroCopy, found: a wrapper left open after an
 * interrupt, AUTO's hand-off to the JDK keeping JDK 17's behaviour, and an explicit strategy
 * refusing before the JDK's own checks. JDK 25's behaviour is expected on every JDK.
 */
@RunWith(Parameterized.class)
public class OutsideFindingsTest {
    @Parameters(name = "{0}")
    public static List<Object[]> data() {
        return Fixtures.strategiesAndJdk();
    }

    @Parameter
    public Strategy strategy;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path source(int size) throws IOException {
        return Fixtures.file(tmp, pattern(size, 3));
    }

    /** A WritableByteChannel with no file descriptor, as Netty's and users' own channels are. */
    private static WritableByteChannel descriptorless(ByteArrayOutputStream sink) {
        return Channels.newChannel(sink);
    }

    @Test
    public void wrappedSourceIsClosedAfterAnInterrupt() throws IOException {
        Path src = source(10_000);
        Pipe pipe = Pipe.open();
        FileChannel wrapped = ZeroCopy.wrap(FileChannel.open(src));
        try {
            Thread.currentThread().interrupt();
            try {
                ZeroCopy.transferTo(wrapped, 0, 10_000, pipe.sink(), strategy);
                fail("no ClosedByInterruptException");
            } catch (ClosedByInterruptException expected) {
                // the JDK's exception
            }
            assertTrue("interrupt status kept", Thread.interrupted());
            assertFalse("the wrapper still says open", wrapped.isOpen());
            if (strategy != Strategy.JDK || Fixtures.jdkIsReference()) {
                assertFalse("the target still open", pipe.sink().isOpen());
            }
        } finally {
            Thread.interrupted();
            wrapped.close();
            pipe.sink().close();
            pipe.source().close();
        }
    }

    @Test
    public void wrappedTargetIsClosedAfterAnInterrupt() throws IOException {
        Path src = source(10_000);
        FileChannel wrappedTarget = ZeroCopy.wrap(FileChannel.open(tmp.newFile().toPath(), StandardOpenOption.WRITE));
        try (FileChannel in = FileChannel.open(src)) {
            Thread.currentThread().interrupt();
            try {
                ZeroCopy.transferTo(in, 0, 10_000, wrappedTarget, strategy);
                fail("no ClosedByInterruptException");
            } catch (ClosedByInterruptException expected) {
                // the JDK's exception
            }
            assertTrue(Thread.interrupted());
            assertFalse("the source still open", in.isOpen());
            assertFalse("the wrapped target still says open", wrappedTarget.isOpen());
        } finally {
            Thread.interrupted();
            wrappedTarget.close();
        }
    }

    /** AUTO hands a target without a descriptor to the JDK; an interrupt closes both, as in JDK 25. */
    @Test
    public void autoHandOffClosesBothChannelsOnAnInterrupt() throws IOException {
        if (strategy != Strategy.AUTO) {
            return;
        }
        Path src = source(10_000);
        WritableByteChannel target = descriptorless(new ByteArrayOutputStream());
        TransferReport report = new TransferReport();
        try (FileChannel in = FileChannel.open(src)) {
            Thread.currentThread().interrupt();
            try {
                ZeroCopy.transferTo(in, 0, 10_000, target, Strategy.AUTO, report);
                fail("no ClosedByInterruptException");
            } catch (ClosedByInterruptException expected) {
                // the JDK's exception
            }
            assertTrue(Thread.interrupted());
            assertFalse(in.isOpen());
            assertFalse("JDK 17 leaves the target open; JDK 25 closes it", target.isOpen());
        } finally {
            Thread.interrupted();
        }
    }

    /** AUTO's hand-off copies a source that reports size 0 to its end, as JDK 21+ do (JDK 17: 0). */
    @Test
    public void autoHandOffCopiesAProcFile() throws IOException {
        if (strategy != Strategy.AUTO) {
            return;
        }
        byte[] expected = Files.readAllBytes(Paths.get("/proc/self/mountinfo"));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        TransferReport report = new TransferReport();
        try (FileChannel in = FileChannel.open(Paths.get("/proc/self/mountinfo"));
                WritableByteChannel target = descriptorless(sink)) {
            long n = ZeroCopy.transferTo(in, 0, Long.MAX_VALUE, target, Strategy.AUTO, report);
            assertEquals(Strategy.JDK, report.strategy());
            // mountinfo of this process does not change while it reads it
            assertEquals(expected.length, n);
            assertArrayEquals(expected, sink.toByteArray());
        }
    }

    /**
     * An explicit native strategy and a target without a descriptor: the JDK's checks come first,
     * 0 where no byte would move, and UnsupportedOperationException only where bytes would.
     */
    @Test
    public void explicitStrategyRefusesOnlyWhereBytesWouldMove() throws IOException {
        if (strategy == Strategy.JDK || strategy == Strategy.AUTO) {
            return;
        }
        Path src = source(100);
        try (FileChannel in = FileChannel.open(src); WritableByteChannel target = descriptorless(new ByteArrayOutputStream())) {
            assertOutcome(IllegalArgumentException.class, in, -1, 10, target);
            assertOutcome(IllegalArgumentException.class, in, 0, -1, target);
            assertOutcome(0L, in, 0, 0, target);
            assertOutcome(0L, in, 100, 10, target);
            assertOutcome(0L, in, 1000, 10, target);
            assertOutcome(UnsupportedOperationException.class, in, 99, 10, target);
            assertTrue(in.isOpen());
        }
        try (FileChannel out = FileChannel.open(src, StandardOpenOption.WRITE);
                WritableByteChannel target = descriptorless(new ByteArrayOutputStream())) {
            assertOutcome(NonReadableChannelException.class, out, -1, 10, target);
            assertOutcome(NonReadableChannelException.class, out, 0, 0, target);
        }
        // A FileChannel target not open for writing, and a source without a descriptor (a file in a
        // zip file system, another provider's FileChannel): the JDK's exception, before the refusal.
        Path zip = tmp.getRoot().toPath().resolve("foreign.zip");
        Map<String, String> create = new HashMap<>();
        create.put("create", "true");
        try (FileSystem zipfs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), create)) {
            Path entry = zipfs.getPath("entry");
            Files.write(entry, pattern(100, 4));
            try (FileChannel foreign = FileChannel.open(entry); FileChannel readOnly = FileChannel.open(src);
                    FileChannel writable = FileChannel.open(tmp.newFile().toPath(), StandardOpenOption.WRITE)) {
                assertOutcome(NonWritableChannelException.class, foreign, -1, 10, readOnly);
                assertOutcome(IllegalArgumentException.class, foreign, -1, 10, writable);
                assertOutcome(0L, foreign, 100, 10, writable);
                assertOutcome(UnsupportedOperationException.class, foreign, 0, 10, writable);
                assertEquals(0, writable.size());
            }
        }
    }

    /** SENDFILE to an append-mode file: 0 where nothing would move, refused where bytes would. */
    @Test
    public void sendfileToAnAppendFileRefusesOnlyWhereBytesWouldMove() throws IOException {
        if (strategy != Strategy.SENDFILE) {
            return;
        }
        Path src = source(100);
        try (FileChannel in = FileChannel.open(src);
                FileChannel append = FileChannel.open(tmp.newFile().toPath(), StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND)) {
            assertOutcome(0L, in, 0, 0, append);
            assertOutcome(0L, in, 100, 10, append);
            assertOutcome(0L, in, Long.MAX_VALUE, 10, append);
            assertOutcome(UnsupportedOperationException.class, in, 50, 10, append);
            assertEquals("nothing written", 0, append.size());
        }
    }

    private void assertOutcome(Object expected, FileChannel src, long position, long count, WritableByteChannel target) {
        Object got;
        try {
            got = ZeroCopy.transferTo(src, position, count, target, strategy);
        } catch (Exception e) {
            got = e.getClass();
        }
        assertEquals(strategy + " position " + position + " count " + count, expected, got);
    }
}
