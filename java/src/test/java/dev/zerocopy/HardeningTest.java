package dev.zerocopy;

import static dev.zerocopy.Fixtures.drain;
import static dev.zerocopy.Fixtures.get;
import static dev.zerocopy.Fixtures.pattern;
import static dev.zerocopy.Fixtures.slice;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Many threads at once, and a source that changes under the transfer, through the Java face. */
public class HardeningTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void threads2And8And64EachWithItsOwnFileAndSocket() throws Exception {
        for (int threads : new int[] {2, 8, 64}) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                for (Strategy strategy : Fixtures.NATIVE_STRATEGIES) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        final int id = t;
                        done.add(pool.submit(() -> {
                            byte[] data = pattern((256 << 10) + 1000 * id + 7, id + 1);
                            Path src = Fixtures.file(tmp, data);
                            SocketChannel[] pair = Fixtures.socketPair();
                            Future<byte[]> got = drain(pair[1]);
                            try (FileChannel in = FileChannel.open(src)) {
                                assertEquals(data.length - 3, ZeroCopy.transferTo(in, 3, data.length, pair[0], strategy));
                            } finally {
                                pair[0].close();
                            }
                            assertArrayEquals(strategy + " thread " + id, slice(data, 3, data.length - 3), get(got));
                            Files.delete(src);
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get(120, TimeUnit.SECONDS);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Truncated while a slow peer reads: a short count of the file's true bytes, no crash, no SIGBUS. */
    @Test
    public void sourceTruncatedDuringTheTransfer() throws Exception {
        for (Strategy strategy : Fixtures.NATIVE_STRATEGIES) {
            byte[] data = pattern(64 << 20, 3);
            Path src = Fixtures.file(tmp, data);
            SocketChannel[] pair = Fixtures.socketPair();
            Future<byte[]> got = Executors.newSingleThreadExecutor().submit(() -> {
                ByteBuffer first = ByteBuffer.allocate(4 << 20);
                while (first.hasRemaining()) {
                    pair[1].read(first);
                }
                try (FileChannel t = FileChannel.open(src, StandardOpenOption.WRITE)) {
                    t.truncate(2 << 20);
                }
                byte[] rest = get(drain(pair[1]));
                byte[] all = new byte[first.capacity() + rest.length];
                System.arraycopy(first.array(), 0, all, 0, first.capacity());
                System.arraycopy(rest, 0, all, first.capacity(), rest.length);
                return all;
            });
            long n;
            try (FileChannel in = FileChannel.open(src)) {
                n = ZeroCopy.transferTo(in, 0, data.length, pair[0], strategy);
                assertEquals(strategy.toString(), 0, ZeroCopy.transferTo(in, n, data.length, pair[0], strategy));
            } finally {
                pair[0].close();
            }
            byte[] received = got.get(60, TimeUnit.SECONDS);
            assertTrue(strategy + ": " + n, n >= 4 << 20 && n < data.length);
            assertEquals(strategy.toString(), n, received.length);
            assertArrayEquals(strategy.toString(), slice(data, 0, n), received);
        }
    }

    /** Extended during the transfer: the count is the size when it started. Deleted: the open file is sent whole. */
    @Test
    public void sourceExtendedOrDeletedDuringTheTransfer() throws Exception {
        for (Strategy strategy : Fixtures.NATIVE_STRATEGIES) {
            byte[] data = pattern(8 << 20, 4);
            Path src = Fixtures.file(tmp, data);
            Path dst = tmp.newFile().toPath();
            try (FileChannel in = FileChannel.open(src);
                    FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
                Files.delete(src); // the open channel still reads the file
                assertEquals(data.length, ZeroCopy.transferTo(in, 0, Long.MAX_VALUE, out, strategy));
            }
            assertArrayEquals(strategy.toString(), data, Files.readAllBytes(dst));

            Path grow = Fixtures.file(tmp, data);
            SocketChannel[] pair = Fixtures.socketPair();
            Future<byte[]> got = drain(pair[1]);
            try (FileChannel in = FileChannel.open(grow);
                    FileChannel appender = FileChannel.open(grow, StandardOpenOption.APPEND)) {
                long size = in.size();
                Thread grower = new Thread(() -> {
                    try {
                        appender.write(ByteBuffer.wrap(new byte[1 << 20]));
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                grower.start();
                long n = ZeroCopy.transferTo(in, 0, size, pair[0], strategy);
                grower.join();
                assertEquals(strategy.toString(), size, n);
            } finally {
                pair[0].close();
            }
            assertArrayEquals(strategy.toString(), data, get(got));
        }
    }
}
