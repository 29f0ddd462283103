package dev.zerocopy;

import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Prints the default strategy, the warnings logged under "dev.zerocopy", and what a transfer
 * through {@code ZeroCopy.wrap} with the default strategy did; run by ApiTest in a fresh JVM.
 */
public final class StrategyProbe {
    private StrategyProbe() {}

    public static void main(String[] args) throws Exception {
        List<String> warnings = new ArrayList<>();
        Logger logger = Logger.getLogger("dev.zerocopy");
        logger.setUseParentHandlers(false);
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                warnings.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        });
        Path file = Files.createTempFile("probe", ".bin");
        try {
            Files.write(file, new byte[] {1, 2, 3});
            Pipe pipe = Pipe.open();
            long n;
            try (FileChannel in = ZeroCopy.wrap(FileChannel.open(file))) {
                n = in.transferTo(0, 3, pipe.sink());
                n += in.transferTo(1, 3, pipe.sink());
            } finally {
                pipe.sink().close();
                pipe.source().close();
            }
            System.out.println(ZeroCopy.defaultStrategy());
            for (String w : warnings) {
                System.out.println(w);
            }
            System.out.println("moved " + n);
        } finally {
            Files.delete(file);
        }
    }
}
