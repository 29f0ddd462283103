import dev.zerocopy.Strategy;
import dev.zerocopy.TransferReport;
import dev.zerocopy.ZeroCopy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Transfers a file into a pipe with the published artifact, checks the bytes, and exits 1 if wrong. */
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
        } finally {
            Files.delete(file);
        }
    }
}
