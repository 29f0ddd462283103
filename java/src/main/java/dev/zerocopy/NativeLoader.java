package dev.zerocopy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads libzerocopy_nio.so, first found first used:
 * <ol>
 *   <li>the file named by the system property {@value #LIBRARY_PROPERTY}, if set (nothing else
 *       is tried then, so a wrong path is reported rather than hidden);</li>
 *   <li>the copy in the jar ({@code dev/zerocopy/native/linux-x86_64/}), extracted to a temp
 *       file that is deleted as soon as it is loaded;</li>
 *   <li>{@code System.loadLibrary("zerocopy_nio")}, searching {@code java.library.path}.</li>
 * </ol>
 * A failure is kept, not thrown: {@link ZeroCopy#isNativeAvailable()} is then false, AUTO uses
 * the JDK, and an explicit native strategy throws UnsupportedOperationException with the failure
 * as its cause.
 */
final class NativeLoader {
    static final String LIBRARY_PROPERTY = "dev.zerocopy.library";
    private static final String NAME = "libzerocopy_nio.so";

    /** Where the library came from, or null if it did not load. */
    static final String LOADED_FROM;
    /** Why it did not load, or null. */
    static final Throwable LOAD_ERROR;

    static {
        String from = null;
        Throwable error = null;
        try {
            from = load();
        } catch (Throwable t) {
            error = t;
        }
        LOADED_FROM = from;
        LOAD_ERROR = error;
    }

    private NativeLoader() {}

    private static String load() throws IOException {
        String override = System.getProperty(LIBRARY_PROPERTY);
        if (override != null) {
            String path = new File(override).getAbsolutePath();
            System.load(path);
            return path;
        }
        UnsatisfiedLinkError fromJar = null;
        String platform = platform();
        InputStream in = platform == null
                ? null
                : NativeLoader.class.getResourceAsStream("/dev/zerocopy/native/" + platform + "/" + NAME);
        if (in != null) {
            Path tmp = Files.createTempFile("zerocopy_nio-", ".so");
            try {
                try (InputStream is = in) {
                    Files.copy(is, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                System.load(tmp.toAbsolutePath().toString());
                return "jar (" + platform + ")";
            } catch (UnsatisfiedLinkError e) {
                fromJar = e; // a noexec temp directory, say: try java.library.path next
            } finally {
                Files.deleteIfExists(tmp); // the mapping stays valid once loaded
            }
        }
        try {
            System.loadLibrary("zerocopy_nio");
            return "java.library.path";
        } catch (UnsatisfiedLinkError e) {
            if (fromJar != null) {
                e.addSuppressed(fromJar);
            }
            throw e;
        }
    }

    /** The resource folder for this machine, or null where the jar carries no library. */
    private static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            return "linux-x86_64";
        }
        return null;
    }
}
