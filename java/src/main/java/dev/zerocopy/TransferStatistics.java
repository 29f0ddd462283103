package dev.zerocopy;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A snapshot of the process-wide counters ({@link ZeroCopy#statistics()}): for each call and
 * strategy that ran, the calls, bytes and kernel calls, and the failed calls by the strategy asked
 * for; the fallbacks from each strategy; and the calls AUTO handed to the JDK, by reason. The
 * native counters are shared with the C and Rust faces of the same process. The same figures are
 * the JMX MBean {@code dev.zerocopy:type=Transfers}.
 */
public final class TransferStatistics {
    /** The call a count belongs to. */
    public enum Call {
        /** {@code ZeroCopy.transferTo}, {@code zc_transfer_to}. */
        TRANSFER_TO,
        /** {@code ZeroCopy.sendFile}, {@code zc_send_file}. */
        SEND_FILE,
        /** {@code ZeroCopy.transferFrom}, {@code zc_transfer_from}. */
        TRANSFER_FROM
    }

    private static final int STRATEGIES = 6;
    private static final int FIELDS = 4;
    private static final Map<String, LongAdder> HAND_OFFS = new ConcurrentHashMap<>();

    private final long[] raw;
    private final Map<String, Long> handOffs;

    private TransferStatistics(long[] raw, Map<String, Long> handOffs) {
        this.raw = raw;
        this.handOffs = handOffs;
    }

    /** Counts one AUTO call handed to the JDK, for {@code why} (Native's reason, up to ", not"). */
    static void handedOff(String why) {
        int end = why.indexOf(", not ");
        String reason = end < 0 ? why : why.substring(0, end);
        HAND_OFFS.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    static TransferStatistics now() {
        long[] raw = new long[Native.STATISTICS_LONGS];
        if (Native.AVAILABLE) {
            Native.statistics0(raw);
        }
        Map<String, Long> handOffs = new TreeMap<>();
        HAND_OFFS.forEach((reason, n) -> handOffs.put(reason, n.sum()));
        return new TransferStatistics(raw, Collections.unmodifiableMap(handOffs));
    }

    private long field(Call call, Strategy strategy, int field) {
        if (strategy.code() < 0) {
            return 0; // JDK: counted as hand-offs
        }
        return raw[(call.ordinal() * STRATEGIES + strategy.code()) * FIELDS + field];
    }

    /** Calls of {@code call} that ran {@code strategy} and returned a count (0 included). */
    public long calls(Call call, Strategy strategy) {
        return field(call, strategy, 0);
    }

    /** Bytes those calls moved (for sendFile, header and trailer included). */
    public long bytes(Call call, Strategy strategy) {
        return field(call, strategy, 1);
    }

    /** Kernel calls those calls made. */
    public long kernelCalls(Call call, Strategy strategy) {
        return field(call, strategy, 2);
    }

    /** Calls of {@code call} that asked for {@code strategy} and failed with no byte moved. */
    public long errors(Call call, Strategy strategy) {
        return field(call, strategy, 3);
    }

    /** Times the kernel refused {@code strategy}'s call before the first byte and the next path ran. */
    public long fallbacks(Strategy strategy) {
        return strategy.code() < 0 ? 0 : raw[3 * STRATEGIES * FIELDS + strategy.code()];
    }

    /** AUTO calls handed to the JDK, by reason (which channel class the native side cannot take). */
    public Map<String, Long> jdkHandOffs() {
        return handOffs;
    }

    private long total(int field) {
        long n = 0;
        for (int i = field; i < 3 * STRATEGIES * FIELDS; i += FIELDS) {
            n += raw[i];
        }
        return n;
    }

    /** Native calls that returned a count, every call and strategy. */
    public long calls() {
        return total(0);
    }

    /** Bytes they moved. */
    public long bytes() {
        return total(1);
    }

    /** Kernel calls they made. */
    public long kernelCalls() {
        return total(2);
    }

    /** Native calls that failed. */
    public long errors() {
        return total(3);
    }

    /** Fallbacks from every strategy. */
    public long fallbacks() {
        long n = 0;
        for (Strategy s : Strategy.values()) {
            n += fallbacks(s);
        }
        return n;
    }

    /** AUTO calls handed to the JDK. */
    public long jdkHandOffCount() {
        long n = 0;
        for (long h : handOffs.values()) {
            n += h;
        }
        return n;
    }

    /**
     * One line per call and strategy that counted anything ("transferTo SENDFILE: 12 calls,
     * 49152 bytes, 12 kernel calls, 0 errors"), then the fallbacks and the hand-offs.
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("zerocopy-nio statistics:");
        String[] names = {"transferTo", "sendFile", "transferFrom"};
        for (Call call : Call.values()) {
            for (Strategy s : Strategy.values()) {
                if (s.code() < 0) {
                    continue;
                }
                long calls = calls(call, s);
                long errors = errors(call, s);
                if (calls + errors > 0) {
                    b.append("\n  ").append(names[call.ordinal()]).append(' ').append(s).append(": ")
                            .append(calls).append(" calls, ").append(bytes(call, s)).append(" bytes, ")
                            .append(kernelCalls(call, s)).append(" kernel calls, ").append(errors).append(" errors");
                }
            }
        }
        for (Strategy s : Strategy.values()) {
            if (fallbacks(s) > 0) {
                b.append("\n  fallbacks from ").append(s).append(": ").append(fallbacks(s));
            }
        }
        handOffs.forEach((reason, n) -> b.append("\n  handed to the JDK (").append(reason).append("): ").append(n));
        if (b.indexOf("\n") < 0) {
            b.append(" no transfers yet");
        }
        return b.toString();
    }
}
