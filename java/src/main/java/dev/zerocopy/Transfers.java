package dev.zerocopy;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.management.InstanceAlreadyExistsException;
import javax.management.ObjectName;

/** The {@code dev.zerocopy:type=Transfers} MXBean over {@link TransferStatistics}. */
final class Transfers implements TransfersMXBean {
    static final String NAME = "dev.zerocopy:type=Transfers";

    private static final String[] CALLS = {"transferTo", "sendFile", "transferFrom"};

    /**
     * Registers the MXBean with the platform MBean server, on a daemon thread so that loading
     * ZeroCopy does not wait for JMX to start. Another class loader's copy may have registered it
     * first; that one stays (the counters are the process's either way).
     */
    static void registerInBackground() {
        Thread t = new Thread(() -> {
            try {
                ManagementFactory.getPlatformMBeanServer().registerMBean(new Transfers(), new ObjectName(NAME));
            } catch (InstanceAlreadyExistsException e) {
                // registered by another copy of this library
            } catch (Exception | LinkageError e) {
                Logger.getLogger("dev.zerocopy").log(Level.FINE, "no JMX MXBean " + NAME, e);
            }
        }, "zerocopy-nio-jmx");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public long getCalls() {
        return TransferStatistics.now().calls();
    }

    @Override
    public long getBytes() {
        return TransferStatistics.now().bytes();
    }

    @Override
    public long getKernelCalls() {
        return TransferStatistics.now().kernelCalls();
    }

    @Override
    public long getErrors() {
        return TransferStatistics.now().errors();
    }

    @Override
    public long getFallbacks() {
        return TransferStatistics.now().fallbacks();
    }

    @Override
    public long getJdkHandOffs() {
        return TransferStatistics.now().jdkHandOffCount();
    }

    private static Map<String, Long> byPath(boolean bytes) {
        TransferStatistics now = TransferStatistics.now();
        Map<String, Long> out = new LinkedHashMap<>();
        for (TransferStatistics.Call call : TransferStatistics.Call.values()) {
            for (Strategy s : Strategy.values()) {
                long calls = now.calls(call, s);
                if (calls > 0) {
                    out.put(CALLS[call.ordinal()] + " " + s, bytes ? now.bytes(call, s) : calls);
                }
            }
        }
        return out;
    }

    @Override
    public Map<String, Long> getCallsByPath() {
        return byPath(false);
    }

    @Override
    public Map<String, Long> getBytesByPath() {
        return byPath(true);
    }

    @Override
    public Map<String, Long> getJdkHandOffsByReason() {
        return TransferStatistics.now().jdkHandOffs();
    }

    @Override
    public String getSummary() {
        return TransferStatistics.now().toString();
    }
}
