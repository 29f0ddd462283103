package dev.zerocopy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run by ApiTest in a JVM whose library cannot load: AUTO must still transfer (through the JDK)
 * and an explicit native strategy must refuse with the load failure as the cause.
 */
public final class LoadFailureProbe {
    private LoadFailureProbe() {}

    public static void main(String[] args) throws IOException {
        Path file = Files.createTempFile("zerocopy-probe", ".bin");
        try {
            Files.write(file, new byte[] {1, 2, 3});
            Pipe pipe = Pipe.open();
            try (FileChannel in = FileChannel.open(file); Pipe.SinkChannel sink = pipe.sink();
                    Pipe.SourceChannel source = pipe.source()) {
                System.out.println("available " + ZeroCopy.isNativeAvailable());
                TransferReport report = new TransferReport();
                System.out.println("auto " + ZeroCopy.transferTo(in, 0, 3, sink, Strategy.AUTO, report)
                        + " by " + report.strategy());
                try {
                    ZeroCopy.transferTo(in, 0, 3, sink, Strategy.SENDFILE);
                    System.out.println("sendfile ran");
                } catch (UnsupportedOperationException e) {
                    System.out.println("sendfile refused: " + e.getMessage() + "; cause "
                            + e.getCause().getClass().getName());
                }
            }
        } finally {
            Files.delete(file);
        }
    }
}
