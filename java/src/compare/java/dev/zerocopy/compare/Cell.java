package dev.zerocopy.compare;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** One path's measurements for one target and size: a sample per batch. */
final class Cell {
    final String target;
    final long size;
    final String path;
    /** The strategy that actually ran (the native paths), else null. */
    String ran;

    final List<Double> gbps = new ArrayList<>();
    private long bytes;
    private long workCpuNanos;
    private long threadCpuNanos;
    private long transfers;
    private long calls;
    private boolean callsKnown = true;

    Cell(String target, long size, String path) {
        this.target = target;
        this.size = size;
        this.path = path;
    }

    void add(long batchBytes, long wallNanos, long workCpu, long threadCpu, int batchTransfers, long batchCalls) {
        gbps.add(batchBytes / (double) wallNanos); // bytes per ns = GB/s (10^9)
        bytes += batchBytes;
        workCpuNanos += workCpu;
        threadCpuNanos += threadCpu;
        transfers += batchTransfers;
        if (batchCalls < 0) {
            callsKnown = false;
        } else {
            calls += batchCalls;
        }
    }

    private List<Double> sorted() {
        List<Double> s = new ArrayList<>(gbps);
        Collections.sort(s);
        return s;
    }

    private static double median(List<Double> samples) {
        List<Double> s = new ArrayList<>(samples);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    double median() {
        return median(gbps);
    }

    /** Nanoseconds per transfer of {@link #size} bytes, one sample per batch (a batch's wall time / its transfers). */
    List<Double> nsPerTransfer() {
        List<Double> ns = new ArrayList<>();
        for (double g : gbps) {
            ns.add(size / g); // g is bytes per ns
        }
        return ns;
    }

    /** The median over the batches of {@link #nsPerTransfer}. */
    double medianNsPerTransfer() {
        return median(nsPerTransfer());
    }

    double min() {
        return sorted().get(0);
    }

    double max() {
        return sorted().get(gbps.size() - 1);
    }

    /** CPU seconds of the sending and receiving threads per GB moved. */
    double cpuPerGB() {
        return workCpuNanos / (double) bytes;
    }

    /** CPU seconds of the sending thread per GB moved. */
    double senderCpuPerGB() {
        return threadCpuNanos / (double) bytes;
    }

    /** Kernel calls per transfer, or -1 where not counted (JDK, STREAM). */
    double callsPerTransfer() {
        return callsKnown ? calls / (double) transfers : -1;
    }
}
