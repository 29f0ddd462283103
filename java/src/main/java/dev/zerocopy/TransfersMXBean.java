package dev.zerocopy;

import java.util.Map;

/**
 * The process-wide statistics as a JMX MXBean, {@code dev.zerocopy:type=Transfers}, registered
 * when {@link ZeroCopy} loads: JConsole, VisualVM and Prometheus' JMX exporter read it with no
 * code. Each attribute reads a fresh {@link TransferStatistics} snapshot.
 */
public interface TransfersMXBean {
    /** Native calls that returned a count. */
    long getCalls();

    /** Bytes they moved. */
    long getBytes();

    /** Kernel calls they made. */
    long getKernelCalls();

    /** Native calls that failed. */
    long getErrors();

    /** Fallbacks to the next path before the first byte. */
    long getFallbacks();

    /** AUTO calls handed to the JDK. */
    long getJdkHandOffs();

    /** Calls by "call strategy" ("transferTo SENDFILE"), those that counted anything. */
    Map<String, Long> getCallsByPath();

    /** Bytes by "call strategy". */
    Map<String, Long> getBytesByPath();

    /** AUTO calls handed to the JDK, by reason. */
    Map<String, Long> getJdkHandOffsByReason();

    /** {@link TransferStatistics#toString()}. */
    String getSummary();
}
