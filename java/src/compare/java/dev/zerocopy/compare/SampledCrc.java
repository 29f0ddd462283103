package dev.zerocopy.compare;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32;

/**
 * A CRC32 of a sample of a transfer's bytes: the first 4 KiB of every MiB, counted from the start
 * of the transfer. Cheap enough for a receiver running at memory speed, and any misplaced,
 * missing or foreign block in a sampled region changes it.
 */
final class SampledCrc {
    static final int EVERY = 1 << 20;
    static final int TAKE = 4096;

    private final CRC32 crc = new CRC32();
    private long offset;

    void update(byte[] b, int off, int len) {
        while (len > 0) {
            int inMiB = (int) (offset % EVERY);
            int step;
            if (inMiB < TAKE) {
                step = Math.min(len, TAKE - inMiB);
                crc.update(b, off, step);
            } else {
                step = Math.min(len, EVERY - inMiB);
            }
            off += step;
            len -= step;
            offset += step;
        }
    }

    /** Moves past {@code n} bytes that lie outside the sample (read back from a file). */
    void skip(long n) {
        offset += n;
    }

    long value() {
        return crc.getValue();
    }

    /** The sampled CRC of {@code data[0, length)}. */
    static long of(byte[] data, int length) {
        SampledCrc c = new SampledCrc();
        c.update(data, 0, length);
        return c.value();
    }

    /**
     * The sampled CRC of {@code file[start, start + length)}, reading back only the sampled
     * blocks; a file that ends early gives the CRC of what it has (callers check the size).
     */
    static long ofFile(FileChannel file, long start, long length) throws IOException {
        SampledCrc crc = new SampledCrc();
        ByteBuffer buf = ByteBuffer.allocate(TAKE);
        for (long at = 0; at < length; at += EVERY) {
            buf.clear();
            buf.limit((int) Math.min(TAKE, length - at));
            while (buf.hasRemaining() && file.read(buf, start + at + buf.position()) > 0) {
                continue; // until the sampled block is read
            }
            crc.update(buf.array(), 0, buf.position());
            crc.skip(Math.min(EVERY, length - at) - buf.position());
        }
        return crc.value();
    }
}
