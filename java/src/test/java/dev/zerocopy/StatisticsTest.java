package dev.zerocopy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.TabularData;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * ZeroCopy.statistics() and the dev.zerocopy:type=Transfers MXBean: a transfer is counted under
 * its call and the strategy that ran, a failure under the strategy asked for, an AUTO hand-off to
 * the JDK under its reason. Other tests may run transfers meanwhile, so counts are compared as
 * "grew by at least".
 */
public class StatisticsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path file(int size) throws Exception {
        Path p = tmp.newFile().toPath();
        Files.write(p, Fixtures.pattern(size, 3));
        return p;
    }

    @Test
    public void transfersAreCountedByCallAndStrategy() throws Exception {
        Path src = file(10_000);
        Path dst = tmp.newFile().toPath();
        TransferStatistics before = ZeroCopy.statistics();
        try (FileChannel in = FileChannel.open(src); FileChannel out = FileChannel.open(dst,
                StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            TransferReport report = new TransferReport();
            assertEquals(10_000, ZeroCopy.transferTo(in, 0, 10_000, out, Strategy.READ_WRITE, report));
            assertEquals(4_000, ZeroCopy.transferFrom(out, in, 20_000, 4_000, Strategy.READ_WRITE));
            TransferStatistics after = ZeroCopy.statistics();
            TransferStatistics.Call to = TransferStatistics.Call.TRANSFER_TO;
            assertTrue(after.toString(), after.calls(to, Strategy.READ_WRITE) >= before.calls(to, Strategy.READ_WRITE) + 1);
            assertTrue(after.bytes(to, Strategy.READ_WRITE) >= before.bytes(to, Strategy.READ_WRITE) + 10_000);
            assertTrue(after.kernelCalls(to, Strategy.READ_WRITE)
                    >= before.kernelCalls(to, Strategy.READ_WRITE) + report.syscalls());
            TransferStatistics.Call from = TransferStatistics.Call.TRANSFER_FROM;
            assertTrue(after.bytes(from, Strategy.READ_WRITE) >= before.bytes(from, Strategy.READ_WRITE) + 4_000);
            assertTrue(after.calls() >= before.calls() + 2);
            assertTrue(after.toString(), after.toString().contains("\n  transferTo READ_WRITE: "));
            assertTrue(after.toString(), after.toString().contains("\n  transferFrom READ_WRITE: "));
        }
    }

    @Test
    public void aFailedCallIsCountedUnderTheStrategyAskedFor() throws Exception {
        Path src = file(100);
        TransferStatistics before = ZeroCopy.statistics();
        try (FileChannel in = FileChannel.open(src); FileChannel out = FileChannel.open(tmp.newFile().toPath(),
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            try {
                ZeroCopy.transferTo(in, 0, 100, out, Strategy.SENDFILE);
            } catch (UnsupportedOperationException expected) {
                // SENDFILE cannot write an append-mode file
            }
        }
        TransferStatistics after = ZeroCopy.statistics();
        TransferStatistics.Call to = TransferStatistics.Call.TRANSFER_TO;
        assertTrue(after.toString(), after.errors(to, Strategy.SENDFILE) >= before.errors(to, Strategy.SENDFILE) + 1);
        assertTrue(after.errors() >= before.errors() + 1);
    }

    @Test
    public void anAutoHandOffIsCountedWithItsReason() throws Exception {
        Path src = file(300);
        String reason = "the target is a " + Channels.newChannel(new ByteArrayOutputStream()).getClass().getName();
        long before = ZeroCopy.statistics().jdkHandOffs().getOrDefault(reason, 0L);
        try (FileChannel in = FileChannel.open(src)) {
            assertEquals(300, ZeroCopy.transferTo(in, 0, 300, Channels.newChannel(new ByteArrayOutputStream())));
        }
        TransferStatistics after = ZeroCopy.statistics();
        assertEquals(after.toString(), before + 1, (long) after.jdkHandOffs().get(reason));
        assertTrue(after.toString(), after.toString().contains("handed to the JDK (" + reason + "): "));
    }

    @Test(timeout = 30_000)
    public void theMxBeanShowsTheSameFigures() throws Exception {
        Path src = file(5_000);
        try (FileChannel in = FileChannel.open(src); FileChannel out = FileChannel.open(tmp.newFile().toPath(),
                StandardOpenOption.WRITE)) {
            assertEquals(5_000, ZeroCopy.transferTo(in, 0, 5_000, out, Strategy.READ_WRITE));
        }
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.zerocopy:type=Transfers");
        while (!server.isRegistered(name)) {
            Thread.sleep(10); // registered on a daemon thread when ZeroCopy loads
        }
        long calls = ZeroCopy.statistics().calls();
        assertTrue((Long) server.getAttribute(name, "Calls") >= calls);
        assertTrue((Long) server.getAttribute(name, "Bytes") >= 5_000);
        TabularData byPath = (TabularData) server.getAttribute(name, "CallsByPath");
        assertTrue(byPath.toString(), byPath.toString().contains("transferTo READ_WRITE"));
        String summary = (String) server.getAttribute(name, "Summary");
        assertTrue(summary, summary.startsWith("zerocopy-nio statistics:"));
        Map<String, Long> byReason = ZeroCopy.statistics().jdkHandOffs();
        assertEquals(byReason.size(), ((TabularData) server.getAttribute(name, "JdkHandOffsByReason")).size());
    }
}
