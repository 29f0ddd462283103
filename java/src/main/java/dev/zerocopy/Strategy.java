package dev.zerocopy;

/**
 * How {@link ZeroCopy#transferTo} moves the bytes. The ordinals of the native strategies are the
 * codes of the C header ({@code ZC_STRATEGY_*}).
 */
public enum Strategy {
    /**
     * The best native path for the target ({@link #SENDFILE}, or {@link #READ_WRITE} for
     * append-mode files and sources that report size 0); the JDK's own {@code transferTo} when
     * the library is not loaded or a channel has no file descriptor.
     */
    AUTO,
    /** {@code sendfile(2)}: the bytes never enter user space. */
    SENDFILE,
    /** Map windows of the source and {@code write(2)} from the mapping. */
    MMAP,
    /** {@code pread(2)} into a 256 KiB buffer, then {@code write(2)}: the baseline. */
    READ_WRITE,
    /** {@link java.nio.channels.FileChannel#transferTo} itself, for comparison. */
    JDK
}
