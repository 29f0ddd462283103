package dev.zerocopy;

/**
 * What one transfer did: pass an instance to
 * {@link ZeroCopy#transferTo(java.nio.channels.FileChannel, long, long,
 * java.nio.channels.WritableByteChannel, Strategy, TransferReport)} and read it afterwards.
 * Not thread-safe: one report per call in flight.
 */
public final class TransferReport {
    private long bytes;
    private Strategy strategy;
    private long syscalls = -1;
    private boolean registered;

    /** The bytes the call returned. */
    public long bytes() {
        return bytes;
    }

    /**
     * The path that actually ran: never {@link Strategy#AUTO}; {@link Strategy#JDK} when the
     * call went to {@code FileChannel.transferTo}. Null before the first call.
     */
    public Strategy strategy() {
        return strategy;
    }

    /** The kernel calls the native path made, or -1 when the JDK ran (not counted). */
    public long syscalls() {
        return syscalls;
    }

    /**
     * How the native path kept the channels' descriptors from being closed and reused under it:
     * true when it joined the channels' own close protocol, as the JDK's transferTo does (the
     * usual case, and the fast one); false when it worked on private duplicates of the
     * descriptors (a JDK without the members it uses, see {@code java -jar}; a virtual thread),
     * and when the JDK ran.
     */
    public boolean registered() {
        return registered;
    }

    void set(long bytes, Strategy strategy, long syscalls, boolean registered) {
        this.bytes = bytes;
        this.strategy = strategy;
        this.syscalls = syscalls;
        this.registered = registered;
    }

    @Override
    public String toString() {
        return bytes + " bytes by " + strategy + (syscalls >= 0 ? " in " + syscalls + " kernel calls" : "");
    }
}
