import dev.zerocopy.Strategy;
import dev.zerocopy.TransferReport;
import dev.zerocopy.ZeroCopy;
import dev.zerocopy.netty.ZeroCopyFileRegion;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Transfers a file into a pipe with each published artifact (ZeroCopy.transferTo, then a Netty
 * ZeroCopyFileRegion), checks the bytes, and exits 1 if wrong.
 */
public class Consumer {
    public static void main(String[] args) throws Exception {
        if (!ZeroCopy.isNativeAvailable()) {
            System.err.println("the native library did not load from the published jar");
            System.exit(1);
        }
        Path file = Files.createTempFile("consumer", ".bin");
        try {
            byte[] data = new byte[5000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
            Files.write(file, data);
            Pipe pipe = Pipe.open();
            TransferReport report = new TransferReport();
            try (FileChannel in = FileChannel.open(file)) {
                long n = ZeroCopy.transferTo(in, 0, data.length, pipe.sink(), Strategy.SENDFILE, report);
                ByteBuffer got = ByteBuffer.allocate(data.length);
                while (got.hasRemaining()) {
                    pipe.source().read(got);
                }
                if (n != data.length || !Arrays.equals(got.array(), data)) {
                    System.err.println("wrong transfer: " + report);
                    System.exit(1);
                }
                System.out.println("consumer: " + report);
            }
            ZeroCopyFileRegion region = new ZeroCopyFileRegion(FileChannel.open(file), 1, data.length - 1,
                    Strategy.SENDFILE);
            long sent = 0;
            while (sent < region.count()) {
                sent += region.transferTo(pipe.sink(), sent);
            }
            ByteBuffer got = ByteBuffer.allocate(data.length - 1);
            while (got.hasRemaining()) {
                pipe.source().read(got);
            }
            boolean released = region.release();
            if (region.transferred() != data.length - 1 || !released
                    || !Arrays.equals(got.array(), Arrays.copyOfRange(data, 1, data.length))) {
                System.err.println("wrong region transfer: " + region);
                System.exit(1);
            }
            System.out.println("consumer: " + region);
        } finally {
            Files.delete(file);
        }
    }
}
