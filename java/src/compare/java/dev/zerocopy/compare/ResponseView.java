package dev.zerocopy.compare;

import dev.zerocopy.Strategy;
import dev.zerocopy.TransferReport;
import dev.zerocopy.ZeroCopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The response view ({@code compare --responses}): what a server pays per response, a
 * {@value #HEADER_BYTES}-byte header and a body from a file in the page cache, to a loopback TCP
 * socket (127.0.0.1, TCP_NODELAY) whose peer drains it. {@link ZeroCopy#sendFile} by each native
 * strategy runs against the two patterns Java code writes by hand, in the batches and turns of
 * {@link Compare#interleave}; every response's byte count and sampled CRC (header and body) are
 * checked.
 */
final class ResponseView {
    private ResponseView() {}

    static final int HEADER_BYTES = 200;

    /** {@code socket.write(header)}, then {@code file.transferTo} until the body is written. */
    static final String WRITE_TRANSFER_TO = "write+transferTo";
    /** {@code file.read} of the body into a heap buffer, then gathering writes of header and body. */
    static final String READ_GATHER = "read+gather";
    /** The strategies by {@link ZeroCopy#sendFile}, then the two hand-written patterns. */
    static final List<String> CONTENDERS = Arrays.asList("AUTO", "SENDFILE", "MMAP", "READ_WRITE",
            WRITE_TRANSFER_TO, READ_GATHER);

    /** Measures every contender at every body size over one socket; returns a cell per contender and size. */
    static List<Cell> measure(Path dir, List<Long> sizes, int nBatches, double batchSeconds) throws IOException {
        List<Cell> cells = new ArrayList<>();
        try (Target.Socket socket = new Target.Socket()) {
            for (int i = 0; i < sizes.size(); i++) {
                Compare.progress(i + 1, sizes.size(), "responses " + Output.size(sizes.get(i)));
                cells.addAll(measure(dir, socket, sizes.get(i), nBatches, batchSeconds));
            }
        }
        return cells;
    }

    private static List<Cell> measure(Path dir, Target.Socket socket, long size, int nBatches, double batchSeconds)
            throws IOException {
        Path file = dir.resolve("body-" + size);
        byte[] body = Compare.source(file, size);
        byte[] header = header(size);
        SampledCrc expected = new SampledCrc();
        expected.update(header, 0, header.length);
        expected.update(body, 0, body.length);
        long crc = expected.value();
        List<Cell> cells = new ArrayList<>();
        for (String c : CONTENDERS) {
            cells.add(new Cell(socket.name, size, c));
        }
        try (FileChannel src = FileChannel.open(file)) {
            Responder responder = new Responder(src, (SocketChannel) socket.channel(), header, (int) size);
            Compare.interleave(cells, nBatches, batchSeconds, (cell, transfers, measured) -> Compare.batch(cell,
                    socket, HEADER_BYTES + size, crc, transfers, measured, responder.contender(cell)));
        }
        Files.delete(file);
        return cells;
    }

    /** An HTTP response header for a body of {@code size} bytes, padded to {@value #HEADER_BYTES} bytes. */
    static byte[] header(long size) {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size
                + "\r\nX-Pad: ";
        StringBuilder pad = new StringBuilder();
        while (head.length() + pad.length() + 4 < HEADER_BYTES) {
            pad.append('.');
        }
        return (head + pad + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * One response of the file's first {@code size} bytes to the socket, by each contender; the
     * buffers are made once and rewound before each response.
     */
    private static final class Responder {
        private final FileChannel file;
        private final SocketChannel socket;
        private final long size;
        private final ByteBuffer header;
        private final ByteBuffer body;
        private final ByteBuffer[] headerOnly;
        private final ByteBuffer[] headerAndBody;
        private final TransferReport report = new TransferReport();

        Responder(FileChannel file, SocketChannel socket, byte[] header, int size) {
            this.file = file;
            this.socket = socket;
            this.size = size;
            this.header = ByteBuffer.wrap(header);
            body = ByteBuffer.allocate(size);
            headerOnly = new ByteBuffer[] {this.header};
            headerAndBody = new ByteBuffer[] {this.header, body};
        }

        /** The cell's contender, as one response per run; the strategy looked up once per batch. */
        Compare.Transfer contender(Cell cell) {
            switch (cell.path) {
                case WRITE_TRANSFER_TO:
                    return this::writeTransferTo;
                case READ_GATHER:
                    return this::readGather;
                default:
                    Strategy strategy = Strategy.valueOf(cell.path);
                    return () -> sendFile(cell, strategy);
            }
        }

        private long sendFile(Cell cell, Strategy strategy) throws IOException {
            header.rewind();
            long n = ZeroCopy.sendFile(socket, headerOnly, file, 0, size, null, strategy, report);
            if (n != HEADER_BYTES + size) {
                throw new IOException(cell.path + ": sendFile wrote " + n + " of " + (HEADER_BYTES + size) + " bytes");
            }
            cell.ran = report.strategy().name();
            return report.syscalls();
        }

        private long writeTransferTo() throws IOException {
            header.rewind();
            while (header.hasRemaining()) {
                socket.write(header);
            }
            for (long done = 0; done < size;) {
                done += file.transferTo(done, size - done, socket);
            }
            return -1;
        }

        private long readGather() throws IOException {
            header.rewind();
            body.clear();
            while (body.hasRemaining()) {
                if (file.read(body, body.position()) < 0) {
                    throw new IOException("the file ended early");
                }
            }
            body.flip();
            while (body.hasRemaining()) {
                socket.write(headerAndBody);
            }
            return -1;
        }
    }
}
