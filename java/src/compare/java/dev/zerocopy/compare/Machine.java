package dev.zerocopy.compare;

import dev.zerocopy.ZeroCopy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/** What the measurements ran on. */
final class Machine {
    final String cpu;
    final int cores;
    final String kernel;
    final String jdk;
    final boolean nativeLoaded;

    private Machine(String cpu, int cores, String kernel, String jdk, boolean nativeLoaded) {
        this.cpu = cpu;
        this.cores = cores;
        this.kernel = kernel;
        this.jdk = jdk;
        this.nativeLoaded = nativeLoaded;
    }

    static Machine describe() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux, or no /proc: leave it unknown
        }
        return new Machine(cpu, Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                ZeroCopy.isNativeAvailable());
    }

    String summary() {
        return cpu + ", " + cores + " cores, " + kernel + ", " + jdk;
    }
}
