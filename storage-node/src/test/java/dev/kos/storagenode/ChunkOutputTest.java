package dev.kos.storagenode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The temp-file outputs of a put: O_DIRECT on a disk file system, buffered elsewhere; same bytes either way. */
class ChunkOutputTest {
    @TempDir
    Path dir;

    /** Lengths around the alignment and the staging buffer, written in uneven pieces, heap and direct. */
    @Test
    void directOutputWritesExactlyTheBytesWhateverTheLengthAndPieces() throws IOException {
        int staging = StagingBuffers.BUFFER_BYTES;
        for (int len : new int[] {0, 1, 4095, 4096, 4097, staging - 1, staging, staging + 1, 3 * staging + 777}) {
            byte[] data = TestBytes.random(len, len);
            Path file = dir.resolve("direct-" + len);
            try (ChunkOutput out = ChunkFileSystem.local().create(file)) {
                // /tmp here is a disk file system: a silent fallback would leave O_DIRECT untested.
                assertFalse(out.cached(), "expected an O_DIRECT output on " + Files.getFileStore(dir).type());
                writeInPieces(out, data);
                out.finish(ByteBuffer.allocate(0));
                out.sync();
            }
            assertEquals(len, Files.size(file), "size, length " + len);
            assertArrayEquals(data, Files.readAllBytes(file), "content, length " + len);
        }
    }

    /**
     * Only a last partial block goes through the page cache, on a channel of its own: a length of
     * whole blocks never opens it (the file is never written padded and cut back, which made ext4
     * read the last block back from the disk).
     */
    @Test
    void onlyAPartialLastBlockIsWrittenThroughTheBufferedChannel() throws IOException {
        for (int len : new int[] {4096, 8192 + 5, 3}) {
            byte[] data = TestBytes.random(7 + len, len);
            Path file = dir.resolve("tail-" + len);
            List<String> opens = new ArrayList<>();
            ChunkFileSystem fs = new ChunkFileSystem.Local(true, (path, options) -> {
                opens.add(List.of(options).contains(ExtendedOpenOption.DIRECT) ? "direct" : "buffered");
                return FileChannel.open(path, options);
            });
            try (ChunkOutput out = fs.create(file)) {
                writeInPieces(out, data);
                out.finish(ByteBuffer.allocate(0));
                out.sync();
            }
            assertEquals(len % 4096 == 0 ? List.of("direct") : List.of("direct", "buffered"), opens, "length " + len);
            assertArrayEquals(data, Files.readAllBytes(file), "content, length " + len);
        }
    }

    /** Linux creates the file, then refuses O_DIRECT with EINVAL (file systems without it). */
    @Test
    void fileSystemWithoutDirectIoFallsBackToBufferedWritesAndLeavesNothingBehind() throws IOException {
        ChunkFileSystem refusing = new ChunkFileSystem.Local(true, (path, options) -> {
            if (List.of(options).contains(ExtendedOpenOption.DIRECT)) {
                Files.createFile(path);
                throw new FileSystemException(path.toString(), null, "Invalid argument");
            }
            return FileChannel.open(path, options);
        });
        byte[] data = TestBytes.random(3, 100_000);
        Path file = dir.resolve("chunk.tmp");
        try (ChunkOutput out = refusing.create(file)) {
            assertTrue(out.cached(), "O_DIRECT was refused: the output must be the buffered one");
            writeInPieces(out, data);
            out.finish(ByteBuffer.allocate(0));
            out.sync();
        }
        assertArrayEquals(data, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "the refused open must not leave a second file");
        }
    }

    /**
     * Full staging buffers are written by another thread: a write that failed there must fail the
     * put at its next write or finish, never pass silently.
     */
    @Test
    void aFailedBackgroundWriteFailsTheNextCallOfThePut() throws IOException {
        Path file = dir.resolve("read-only");
        Files.write(file, new byte[0]);
        // A channel opened for reading refuses every write, as a failing disk would.
        ChunkOutput out = new DirectChunkOutput(FileChannel.open(file, StandardOpenOption.READ),
                () -> FileChannel.open(file, StandardOpenOption.READ), new StagingBuffers(4096));
        byte[] staging = new byte[StagingBuffers.BUFFER_BYTES];
        out.write(ByteBuffer.wrap(staging)); // fills the first buffer; the next write hands it over
        IOException e = assertThrows(IOException.class, () -> {
            for (int i = 0; i < 3; i++) { // the second hand-over waits for the first write
                out.write(ByteBuffer.wrap(staging));
            }
        });
        assertTrue(e.getMessage().contains("chunk write failed"), e.toString());
        assertThrows(IOException.class, () -> out.finish(ByteBuffer.allocate(0)));
        assertThrows(IOException.class, out::sync);
        out.close();
        assertEquals(0, Files.size(file), "nothing may have been written");
    }

    /**
     * The last full staging buffer is written by the thread that finishes the put, which would only
     * wait for a background write of it: a chunk of one buffer (1 MiB) is written with no hand-over,
     * while the buffers before the last of a longer chunk still go to the background, overlapping
     * the network.
     */
    @Test
    void theLastFullBufferIsWrittenByTheFinishingThread() throws IOException {
        int staging = StagingBuffers.BUFFER_BYTES;
        for (int buffers : new int[] {1, 3}) {
            byte[] data = TestBytes.random(buffers, buffers * staging);
            Path file = dir.resolve("writers-" + buffers);
            List<String> writers = new java.util.concurrent.CopyOnWriteArrayList<>();
            ChunkFileSystem fs = new ChunkFileSystem.Local(true,
                    (path, options) -> new RecordingChannel(FileChannel.open(path, options), writers));
            String caller = Thread.currentThread().getName();
            try (ChunkOutput out = fs.create(file)) {
                out.write(ByteBuffer.wrap(data)); // as a put's one frame of the whole chunk
                out.finish(ByteBuffer.wrap(new byte[] {1, 2, 3})); // a footer's partial block
                out.sync();
            }
            List<String> expected = new ArrayList<>();
            for (int i = 1; i < buffers; i++) {
                expected.add("background");
            }
            expected.add(caller); // the last full buffer
            expected.add(caller); // the footer's block, through the buffered channel
            assertEquals(expected, writers.stream().map(w -> w.startsWith("chunk-io-") ? "background" : w).toList(),
                    buffers + " buffers");
            assertEquals(data.length + 3, Files.size(file));
        }
    }

    /** The file store is looked up once per directory; its figures must still be read each time. */
    @Test
    void diskFiguresAreReadAfreshForADirectoryAlreadySeen() throws IOException {
        ChunkFileSystem fs = new ChunkFileSystem.Local(true, FileChannel::open);
        Path data = Files.createDirectory(dir.resolve("data"));
        assertTrue(fs.usableSpace(data) > 0);
        assertTrue(fs.totalSpace(data) >= fs.usableSpace(data));
        Files.delete(data);
        // A cached number would still come back; the file system now says the directory is gone.
        assertThrows(IOException.class, () -> fs.usableSpace(data));
        assertThrows(IOException.class, () -> fs.totalSpace(data));
    }

    @Test
    void writeAfterCloseFailsInsteadOfWritingToAReusedBuffer() throws IOException {
        ChunkOutput out = ChunkFileSystem.local().create(dir.resolve("closed"));
        out.close();
        assertThrows(IOException.class, () -> out.write(ByteBuffer.wrap(new byte[10])));
        assertThrows(IOException.class, () -> out.finish(ByteBuffer.allocate(0)));
    }

    @Test
    void bufferedSettingWritesThroughThePageCache() throws IOException {
        byte[] data = TestBytes.random(5, 70_000);
        Path file = dir.resolve("buffered");
        try (ChunkOutput out = ChunkFileSystem.localBuffered().create(file)) {
            assertTrue(out.cached());
            writeInPieces(out, data);
            out.finish(ByteBuffer.allocate(0));
            out.sync();
        }
        assertArrayEquals(data, Files.readAllBytes(file));
    }

    private static void writeInPieces(ChunkOutput out, byte[] data) throws IOException {
        int at = 0;
        int i = 0;
        while (at < data.length) {
            int n = Math.min(data.length - at, 1 + (i * 7919 + 300_001) % 700_000);
            ByteBuffer piece = ByteBuffer.wrap(data, at, n);
            if (i % 2 == 1) { // gRPC hands the node direct buffers too
                ByteBuffer d = ByteBuffer.allocateDirect(n);
                d.put(piece).flip();
                piece = d;
            }
            out.write(piece);
            assertFalse(piece.hasRemaining(), "write must take all of its buffer");
            at += n;
            i++;
        }
    }

    /**
     * A file channel that notes which thread makes each write. It passes on what a chunk output
     * uses (writes, force, size, position, close) and refuses the rest.
     */
    private static final class RecordingChannel extends FileChannel {
        private final FileChannel real;
        private final List<String> writers;

        RecordingChannel(FileChannel real, List<String> writers) {
            this.real = real;
            this.writers = writers;
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            writers.add(Thread.currentThread().getName());
            return real.write(src, position);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            writers.add(Thread.currentThread().getName());
            return real.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            writers.add(Thread.currentThread().getName());
            return real.write(srcs, offset, length);
        }

        @Override
        public void force(boolean metaData) throws IOException {
            real.force(metaData);
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }

        @Override
        public int read(ByteBuffer dst) {
            throw notUsed();
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            throw notUsed();
        }

        @Override
        public int read(ByteBuffer dst, long position) {
            throw notUsed();
        }

        @Override
        public FileChannel truncate(long size) {
            throw notUsed();
        }

        @Override
        public long transferTo(long position, long count, java.nio.channels.WritableByteChannel target) {
            throw notUsed();
        }

        @Override
        public long transferFrom(java.nio.channels.ReadableByteChannel src, long position, long count) {
            throw notUsed();
        }

        @Override
        public java.nio.MappedByteBuffer map(MapMode mode, long position, long size) {
            throw notUsed();
        }

        @Override
        public java.nio.channels.FileLock lock(long position, long size, boolean shared) {
            throw notUsed();
        }

        @Override
        public java.nio.channels.FileLock tryLock(long position, long size, boolean shared) {
            throw notUsed();
        }

        private static UnsupportedOperationException notUsed() {
            return new UnsupportedOperationException("a chunk output does not call this");
        }
    }
}
