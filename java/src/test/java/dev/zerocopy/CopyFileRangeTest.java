package dev.zerocopy;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Strategy.COPY_FILE_RANGE: FileChannel to FileChannel by copy_file_range(2) (or, where the file
 * system refuses it, the next rung), with transferTo's positions; refused for any other target,
 * only where bytes would move, and before a sendFile writes its header.
 */
public class CopyFileRangeTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void copiesFileToFile() throws Exception {
        byte[] data = Fixtures.pattern((1 << 20) + 7, 3);
        Path src = Fixtures.file(tmp, data);
        Path dst = tmp.newFile().toPath();
        TransferReport report = new TransferReport();
        try (FileChannel in = FileChannel.open(src); FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            in.position(11);
            out.position(5);
            long n = ZeroCopy.transferTo(in, 100, Long.MAX_VALUE, out, Strategy.COPY_FILE_RANGE, report);
            assertEquals(data.length - 100, n);
            assertEquals("the source's position moved", 11, in.position());
            assertEquals(5 + n, out.position());
            assertTrue(report.strategy().toString(),
                    report.strategy() == Strategy.COPY_FILE_RANGE || report.strategy() == Strategy.SENDFILE);
        }
        byte[] got = Files.readAllBytes(dst);
        assertArrayEquals(Fixtures.slice(data, 100, data.length - 100), Fixtures.slice(got, 5, data.length - 100));
    }

    @Test
    public void aResponseToAFile() throws Exception {
        byte[] data = Fixtures.pattern(50_000, 4);
        Path src = Fixtures.file(tmp, data);
        Path dst = tmp.newFile().toPath();
        byte[] head = "head:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (FileChannel in = FileChannel.open(src); FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            long n = ZeroCopy.sendFile(out, new ByteBuffer[] {ByteBuffer.wrap(head)}, in, 0, data.length, null,
                    Strategy.COPY_FILE_RANGE);
            assertEquals(head.length + data.length, n);
        }
        byte[] got = Files.readAllBytes(dst);
        assertArrayEquals(head, Fixtures.slice(got, 0, head.length));
        assertArrayEquals(data, Fixtures.slice(got, head.length, data.length));
    }

    @Test
    public void refusedForOtherTargetsOnlyWhereBytesWouldMove() throws Exception {
        Path src = Fixtures.file(tmp, Fixtures.pattern(1000, 5));
        SocketChannel[] pair = Fixtures.socketPair();
        try (FileChannel in = FileChannel.open(src); SocketChannel target = pair[0]; SocketChannel peer = pair[1]) {
            try {
                ZeroCopy.transferTo(in, 0, 1000, target, Strategy.COPY_FILE_RANGE);
                fail("COPY_FILE_RANGE to a socket was accepted");
            } catch (UnsupportedOperationException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("copy_file_range"));
            }
            assertEquals(0, ZeroCopy.transferTo(in, 0, 0, target, Strategy.COPY_FILE_RANGE));
            ByteBuffer[] header = {ByteBuffer.wrap(new byte[10])};
            try {
                ZeroCopy.sendFile(target, header, in, 0, 1000, null, Strategy.COPY_FILE_RANGE);
                fail("COPY_FILE_RANGE response to a socket was accepted");
            } catch (UnsupportedOperationException expected) {
                assertEquals("the header was written", 10, header[0].remaining());
            }
        }
    }
}
