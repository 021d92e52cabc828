package dev.kos.storagenode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine without gRPC: space accounting, the data-dir lock, the CRC combine. */
class ChunkStoreTest {
    @TempDir
    Path dir;

    @Test
    void crc32cCombineMatchesOnePass() {
        SplittableRandom r = new SplittableRandom(42);
        for (int len : new int[] {0, 1, 100, 65_535, 65_536, 65_537, 1_000_000, 3 * 65_536}) {
            byte[] b = new byte[len];
            r.nextBytes(b);
            CRC32C one = new CRC32C();
            one.update(b);
            ChunkDigest d = new ChunkDigest(ChunkChecksum.Algorithm.CRC32C, 65_536, len);
            int at = 0;
            while (at < len) { // odd frame sizes so blocks span frames
                int n = Math.min(len - at, 7_777 + at % 3);
                d.update(ByteBuffer.wrap(b, at, n));
                at += n;
            }
            d.finish();
            assertEquals((int) one.getValue(), d.wholeCrc32c(), "length " + len);
            assertEquals(ChunkFooter.blockCount(len, 65_536), d.blockCrcs().length);
        }
    }

    /** gRPC hands the node read-only direct views of its receive buffers, ~16 KiB each. */
    @Test
    void crc32cOfReadOnlyDirectPiecesMatchesOnePass() {
        int len = 5 * 1024 * 1024 + 12_345;
        byte[] b = new byte[len];
        new SplittableRandom(7).nextBytes(b);
        CRC32C one = new CRC32C();
        one.update(b);
        ByteBuffer direct = ByteBuffer.allocateDirect(len).put(b).flip();
        ChunkDigest d = new ChunkDigest(ChunkChecksum.Algorithm.CRC32C, 65_536, len);
        int at = 0;
        while (at < len) {
            int n = Math.min(len - at, 13_421 + at % 5);
            d.update(direct.slice(at, n).asReadOnlyBuffer());
            at += n;
        }
        d.finish();
        assertEquals((int) one.getValue(), d.wholeCrc32c());
    }

    @Test
    void concurrentPutsCannotBothPassTheSpaceCheck() throws IOException {
        long free = 10L << 20;
        try (ChunkStore store = ChunkStore.open(dir, 0, 1L << 30, new FixedFreeSpace(free))) {
            ChunkPut a = store.beginPut(new ChunkId("aaa"), 6L << 20, ChunkChecksum.crc32c(0));
            var e = assertThrows(ChunkStoreException.InsufficientSpace.class,
                    () -> store.beginPut(new ChunkId("bbb"), 6L << 20, ChunkChecksum.crc32c(0)));
            assertTrue(e.getMessage().contains("in flight"), e.getMessage());
            a.abort();
            // Once A is gone its room is free again.
            store.beginPut(new ChunkId("bbb"), 6L << 20, ChunkChecksum.crc32c(0)).abort();
        }
    }

    @Test
    void reserveLargerThanFreeSpaceRefusesBeforeWriting() throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        try (ChunkStore store = ChunkStore.open(dir, free + (1L << 30), 1L << 30, ChunkFileSystem.local())) {
            var e = assertThrows(ChunkStoreException.InsufficientSpace.class,
                    () -> store.beginPut(new ChunkId("x1"), 1, ChunkChecksum.crc32c(0)));
            assertTrue(e.getMessage().contains("reserve"), e.getMessage());
            try (Stream<Path> s = Files.list(dir.resolve(".tmp"))) {
                assertEquals(0, s.count(), "nothing written");
            }
            assertTrue(store.stats().full());
        }
    }

    @Test
    void oneNodePerDataDir() throws IOException {
        try (ChunkStore first = ChunkStore.open(dir, 0, 1L << 30, ChunkFileSystem.local())) {
            var e = assertThrows(IllegalStateException.class,
                    () -> ChunkStore.open(dir, 0, 1L << 30, ChunkFileSystem.local()));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertFalse(first.stats().full());
        }
        ChunkStore.open(dir, 0, 1L << 30, ChunkFileSystem.local()).close(); // released on close
    }

    @Test
    void chunkIdRules() {
        assertEquals("ab", new ChunkId("abc").shard());
        assertEquals("a", new ChunkId("a").shard());
        for (String bad : new String[] {"", "..", ".", "a/b", "a\\b", "é", "a".repeat(129)}) {
            assertThrows(ChunkStoreException.InvalidRequest.class, () -> new ChunkId(bad), bad);
        }
        assertThrows(ChunkStoreException.InvalidRequest.class, () -> new ChunkId(null));
    }

    /** The local file system with a fixed free-space figure. */
    record FixedFreeSpace(long free) implements ChunkFileSystem {
        @Override
        public ChunkOutput create(Path path) throws IOException {
            return ChunkFileSystem.local().create(path);
        }

        @Override
        public long usableSpace(Path d) {
            return free;
        }

        @Override
        public long totalSpace(Path d) {
            return free * 2;
        }
    }
}
