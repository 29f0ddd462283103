package dev.zerocopy;

/**
 * How {@link ZeroCopy#transferTo}, {@link ZeroCopy#sendFile} and {@link ZeroCopy#transferFrom}
 * move the bytes. Each native strategy carries the code of the C
 * header ({@code ZC_STRATEGY_*}), which is what the native side receives.
 */
public enum Strategy {
    /**
     * The best native path, chosen by measurement: for transferTo {@link #SENDFILE} (or
     * {@link #READ_WRITE} for append-mode files and sources that report size 0); for
     * transferFrom {@link #SPLICE} from a socket (and from a file of 256 KiB or more on ext4 or
     * tmpfs), {@link #COPY_FILE_RANGE} from other files, {@link #READ_WRITE} from a pipe and into
     * an append-mode file. The JDK's own method when the library is not loaded or a channel has
     * no file descriptor.
     */
    AUTO(0),
    /** {@code sendfile(2)}: the bytes never enter user space. */
    SENDFILE(1),
    /** Map windows of the source and {@code write(2)} from the mapping. */
    MMAP(2),
    /** {@code pread(2)} into a 256 KiB buffer, then {@code write(2)}: the baseline. */
    READ_WRITE(3),
    /**
     * {@code copy_file_range(2)}, to a FileChannel target only: the kernel copies, or shares the
     * blocks where the file system can (XFS, Btrfs, NFS). Where the kernel refuses it for these
     * files before the first byte, the transfer goes on by sendfile, or read/write.
     */
    COPY_FILE_RANGE(4),
    /**
     * {@code splice(2)}, for {@link ZeroCopy#transferFrom} into a file: a Pipe.SourceChannel is
     * spliced straight into the file, a SocketChannel or a FileChannel through a pipe each thread
     * keeps (emptied before every call returns). The bytes never enter user space. AUTO's choice
     * for sockets, and for files from 256 KiB on a file system that does not copy in place (from a
     * pipe it reads and writes: a splice holds the pipe and stalls its writer).
     */
    SPLICE(5),
    /**
     * The running JDK's own {@link java.nio.channels.FileChannel#transferTo} (or
     * {@code transferFrom}), for comparison.
     */
    JDK(-1);

    private final int code;

    Strategy(int code) {
        this.code = code;
    }

    /** The {@code ZC_STRATEGY_*} code; -1 for JDK, which never reaches the native side. */
    int code() {
        return code;
    }

    /** The strategy of a native code, as the native side reports it. */
    static Strategy ofCode(long code) {
        for (Strategy s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("no strategy has code " + code);
    }
}
