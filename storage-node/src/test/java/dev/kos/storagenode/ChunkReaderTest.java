package dev.kos.storagenode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads of stored chunks: a range longer than a frame comes through an O_DIRECT channel where the
 * file system allows it, in aligned units that may run past the data into the footer, a shorter
 * one through the page cache, and the reader hands out exactly the bytes of the range asked for,
 * checked block by block, either way.
 */
class ChunkReaderTest {
    private static final int MIB = 1 << 20;
    /** Around the alignment (4 KiB), the CRC block (64 KiB) and the frame (1 MiB). */
    private static final int[] LENGTHS = {1, 4095, 4096, 4097, 65_535, 65_537, MIB - 1, MIB + 5, 3 * MIB + 777};

    @TempDir
    Path dir;

    private final List<String> opens = new CopyOnWriteArrayList<>();

    @Test
    void rangesLongerThanAFrameAreReadWithODirectAndEveryRangeComesBackExactly() throws IOException {
        ChunkFileSystem fs = new ChunkFileSystem.Local(true, this::recordingOpen);
        try (ChunkStore store = ChunkStore.open(dir, 0, 1L << 30, fs)) {
            for (int len : LENGTHS) {
                byte[] data = TestBytes.random(len, len);
                ChunkId id = new ChunkId("c" + len);
                put(store, id, data);
                opens.clear();
                assertArrayEquals(data, readAll(store, id, 0, 0), "whole chunk of " + len);
                assertEquals(len > MIB ? List.of("direct read") : List.of(), opens,
                        "a read of a whole chunk on a disk file system, length " + len);
                // Ranges that start and end off every boundary: the reader reads whole aligned
                // blocks and must cut the frame to the range.
                int from = len / 3;
                int n = Math.min(len - from, len / 2 + 3);
                assertArrayEquals(Arrays.copyOfRange(data, from, from + n), readAll(store, id, from, n),
                        "range " + from + "+" + n + " of " + len);
                assertArrayEquals(Arrays.copyOfRange(data, len - 1, len), readAll(store, id, len - 1, 1),
                        "the last byte of " + len);
            }
        }
    }

    /** The next frame is read ahead while the caller holds this one: closing early must wait for it, not fail. */
    @Test
    void aReadClosedWithAFrameReadAheadEndsCleanlyAndTheNextReadIsIntact() throws IOException {
        ChunkFileSystem fs = new ChunkFileSystem.Local(true, this::recordingOpen);
        try (ChunkStore store = ChunkStore.open(dir, 0, 1L << 30, fs)) {
            byte[] data = TestBytes.random(5, 4 * MIB + 1);
            ChunkId id = new ChunkId("early");
            put(store, id, data);
            for (int i = 0; i < 20; i++) {
                try (ChunkReader r = store.openRead(id, 0, 0)) {
                    assertArrayEquals(Arrays.copyOf(data, MIB), TestBytes.of(r.next().data()), "round " + i);
                }
            }
            assertArrayEquals(data, readAll(store, id, 0, 0));
        }
    }

    /** tmpfs and others refuse O_DIRECT: the reads fall back to the page cache, and stop trying O_DIRECT. */
    @Test
    void aFileSystemThatRefusesODirectReadsIsReadThroughThePageCache() throws IOException {
        ChunkFileSystem fs = new ChunkFileSystem.Local(true, (path, options) -> {
            List<?> o = List.of(options);
            if (o.contains(ExtendedOpenOption.DIRECT) && o.contains(StandardOpenOption.READ)) {
                opens.add("direct read refused");
                throw new FileSystemException(path.toString(), null, "Invalid argument");
            }
            return FileChannel.open(path, options);
        });
        try (ChunkStore store = ChunkStore.open(dir, 0, 1L << 30, fs)) {
            for (int len : LENGTHS) {
                byte[] data = TestBytes.random(len, len);
                ChunkId id = new ChunkId("r" + len);
                put(store, id, data);
                assertArrayEquals(data, readAll(store, id, 0, 0), "length " + len);
            }
        }
        assertEquals(List.of("direct read refused"), opens,
                "tried by the first read longer than a frame; the refusal is remembered for the file system");
    }

    /** A failure that may pass (out of file descriptors) falls back for that read only; the next one tries O_DIRECT again. */
    @Test
    void aPassingFailureToOpenForODirectIsNotRemembered() throws IOException {
        boolean[] failNext = {true};
        ChunkFileSystem fs = new ChunkFileSystem.Local(true, (path, options) -> {
            List<?> o = List.of(options);
            if (o.contains(ExtendedOpenOption.DIRECT) && o.contains(StandardOpenOption.READ)) {
                opens.add(failNext[0] ? "direct read failed" : "direct read");
                if (failNext[0]) {
                    failNext[0] = false;
                    throw new FileSystemException(path.toString(), null, "Too many open files");
                }
            }
            return FileChannel.open(path, options);
        });
        try (ChunkStore store = ChunkStore.open(dir, 0, 1L << 30, fs)) {
            byte[] data = TestBytes.random(4, 2 * MIB);
            ChunkId id = new ChunkId("emfile");
            put(store, id, data);
            assertArrayEquals(data, readAll(store, id, 0, 0), "through the page cache");
            assertArrayEquals(data, readAll(store, id, 0, 0), "with O_DIRECT again");
        }
        assertEquals(List.of("direct read failed", "direct read"), opens);
    }

    /** With node.direct-io=false every read goes through the page cache, as every write does. */
    @Test
    void aBufferedStoreNeverOpensForODirect() throws IOException {
        ChunkFileSystem fs = new ChunkFileSystem.Local(false, this::recordingOpen);
        try (ChunkStore store = ChunkStore.open(dir, 0, 1L << 30, fs)) {
            byte[] data = TestBytes.random(1, MIB + 5);
            put(store, new ChunkId("buffered"), data);
            opens.clear();
            assertArrayEquals(data, readAll(store, new ChunkId("buffered"), 0, 0));
        }
        assertEquals(List.of(), opens);
    }

    /**
     * The bytes changed on disk after the put (through the page cache, as bit rot repaired by a
     * tool would be): the O_DIRECT read sees them, and the block check refuses to hand them out.
     */
    @Test
    void aCorruptedBlockIsRefusedOnTheODirectPath() throws IOException {
        ChunkFileSystem fs = new ChunkFileSystem.Local(true, this::recordingOpen);
        try (ChunkStore store = ChunkStore.open(dir, 0, 1L << 30, fs)) {
            byte[] data = TestBytes.random(9, 2 * MIB);
            ChunkId id = new ChunkId("rot");
            put(store, id, data);
            long bad = MIB + 70_000; // in the second frame's second block
            try (FileChannel ch = FileChannel.open(dir.resolve(id.shard()).resolve(id.value()),
                    StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {(byte) ~data[(int) bad]}), bad);
            }
            opens.clear();
            try (ChunkReader r = store.openRead(id, 0, 0)) {
                assertEquals(MIB, r.next().data().remaining(), "the first frame is intact");
                var e = assertThrows(ChunkStoreException.Corrupted.class, r::next);
                assertTrue(e.getMessage().contains("block 17"), e.getMessage());
            }
            assertEquals(List.of("direct read"), opens);
        }
    }

    /** The frame handed out is a view of the reader's buffer: the read ahead of the next must not write into it. */
    @Test
    void aFrameHeldWhileTheNextIsReadAheadKeepsItsBytes() throws IOException {
        ChunkFileSystem fs = new ChunkFileSystem.Local(true, this::recordingOpen);
        try (ChunkStore store = ChunkStore.open(dir, 0, 1L << 30, fs)) {
            byte[] data = TestBytes.random(11, 3 * MIB + 9);
            ChunkId id = new ChunkId("held");
            put(store, id, data);
            opens.clear();
            try (ChunkReader r = store.openRead(id, 0, 0)) {
                for (int frame = 0; frame < 4; frame++) {
                    ChunkReader.Frame f = r.next();
                    r.settle(); // the next frame's blocks are in by now
                    int from = frame * MIB;
                    assertArrayEquals(Arrays.copyOfRange(data, from, Math.min(data.length, from + MIB)),
                            TestBytes.of(f.data()), "frame " + frame + " after the read ahead of the next");
                    assertTrue(f.data().isReadOnly(), "a frame cannot be written through");
                }
                assertNull(r.next());
            }
            assertEquals(List.of("direct read"), opens, "read ahead only happens on O_DIRECT reads");
        }
    }

    private FileChannel recordingOpen(Path path, OpenOption... options) throws IOException {
        List<?> o = List.of(options);
        if (o.contains(StandardOpenOption.READ) && o.contains(ExtendedOpenOption.DIRECT)) {
            opens.add("direct read");
        }
        return FileChannel.open(path, options);
    }

    private static void put(ChunkStore store, ChunkId id, byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        ChunkPut put = store.beginPut(id, data.length, ChunkChecksum.crc32c((int) crc.getValue()));
        put.write(ByteBuffer.wrap(data));
        put.finish();
    }

    private static byte[] readAll(ChunkStore store, ChunkId id, long offset, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ChunkReader r = store.openRead(id, offset, length)) {
            assertFalse(r.atEnd(), "no frame returned yet");
            ChunkReader.Frame f = r.next();
            while (f != null) {
                assertTrue(f.data().remaining() <= MIB, "a frame is at most 1 MiB");
                out.writeBytes(TestBytes.of(f.data()));
                boolean atEnd = r.atEnd();
                f = r.next();
                assertEquals(f == null, atEnd, "atEnd tells whether another frame follows");
            }
        }
        return out.toByteArray();
    }
}
