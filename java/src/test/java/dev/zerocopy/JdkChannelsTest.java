package dev.zerocopy;

import static dev.zerocopy.Fixtures.pattern;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The JDK members the native path registers with (see docs/close-protocol.md): found on every JDK
 * we support, looked up when the library's classes load, and used by every transfer on a
 * platform thread. A JDK that renames or retypes one fails here, loudly, not at a call.
 */
public class JdkChannelsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void everyMemberIsFoundOnThisJdk() {
        assertNull("a JDK member the native path uses is missing: " + JdkChannels.UNAVAILABLE,
                JdkChannels.UNAVAILABLE);
    }

    @Test
    public void everyTargetKindRegisters() throws Exception {
        byte[] data = pattern(64 << 10, 9);
        Path src = Fixtures.file(tmp, data);
        TransferReport report = new TransferReport();
        try (FileChannel in = FileChannel.open(src);
                FileChannel out = FileChannel.open(tmp.newFile().toPath(), StandardOpenOption.WRITE)) {
            assertEquals(data.length, ZeroCopy.transferTo(in, 0, data.length, out, Strategy.SENDFILE, report));
            assertTrue("file target: " + report, report.registered());
        }
    }

    /**
     * A virtual thread is never signalled by a close (the JDK's NativeThreadSet skips it), so a
     * transfer on one works on private duplicates instead, with the watchdog. JDK 21+ only.
     */
    @Test
    public void aVirtualThreadUsesDuplicates() throws Exception {
        Class<?> builderClass;
        Object builder;
        try {
            builder = Thread.class.getMethod("ofVirtual").invoke(null);
            builderClass = Class.forName("java.lang.Thread$Builder");
        } catch (NoSuchMethodException e) {
            return; // before JDK 21
        }
        byte[] data = pattern(100_000, 5);
        Path src = Fixtures.file(tmp, data);
        Path dst = tmp.newFile().toPath();
        AtomicReference<Object> outcome = new AtomicReference<>();
        TransferReport report = new TransferReport();
        Runnable body = () -> {
            try (FileChannel in = FileChannel.open(src); FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
                outcome.set(ZeroCopy.transferTo(in, 0, data.length, out, Strategy.SENDFILE, report));
            } catch (Exception e) {
                outcome.set(e);
            }
        };
        Thread t = (Thread) builderClass.getMethod("unstarted", Runnable.class).invoke(builder, body);
        t.start();
        t.join(30_000);
        assertEquals((long) data.length, outcome.get());
        assertFalse("a virtual thread registered: " + report, report.registered());
        assertEquals(Strategy.SENDFILE, report.strategy());
        assertTrue(java.util.Arrays.equals(data, java.nio.file.Files.readAllBytes(dst)));
    }
}
