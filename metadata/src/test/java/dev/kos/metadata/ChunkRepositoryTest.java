package dev.kos.metadata;

import static dev.kos.metadata.LocationState.COPYING;
import static dev.kos.metadata.LocationState.DELETING;
import static dev.kos.metadata.LocationState.STORED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChunkRepositoryTest {
    static Database db;
    final FileRepository files = new FileRepository();
    final ChunkRepository chunks = new ChunkRepository();
    UUID file;

    @BeforeAll
    static void start() {
        db = TestDb.start(4);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @BeforeEach
    void clean() {
        TestDb.clean(db);
        TestDb.addNode(db, "node-a");
        TestDb.addNode(db, "node-b");
        file = TestDb.newFile(db, files, "f").fileId();
    }

    @Test
    void aFileWithItsChunksInOneQueryMatchesTheTwoSeparateReads() {
        db.inTransaction(c -> {
            chunks.addChunk(c, file, 1, "chunk-1", 300, 0x01020304, "node-b");
            chunks.addChunk(c, file, 0, "chunk-0", 1024, 0xCAFEBABE, "node-b");
            chunks.addLocation(c, "chunk-0", "node-a", COPYING);
            files.startUpload(c, file);
            return files.seal(c, file, 1324, "b".repeat(64), 2);
        });
        FileDetail d = files.findWithChunks(db, file).orElseThrow();
        assertEquals(files.find(db, file).orElseThrow(), d.file());
        assertEquals(chunks.chunksOf(db, file), d.chunks());
        assertEquals(List.of(
                new ChunkRecord(file, 0, "chunk-0", 1024, 0xCAFEBABE, List.of(new ChunkLocation("node-a", COPYING), new ChunkLocation("node-b", STORED))),
                new ChunkRecord(file, 1, "chunk-1", 300, 0x01020304, List.of(new ChunkLocation("node-b", STORED)))), d.chunks());
        assertEquals(Optional.of(1324L), d.file().sizeBytes(), "the file's size, not a chunk's");

        UUID empty = TestDb.newFile(db, files, "empty").fileId();
        assertEquals(List.of(), files.findWithChunks(db, empty).orElseThrow().chunks());
        assertEquals(Optional.empty(), files.findWithChunks(db, UUID.randomUUID()));
    }

    @Test
    void recordingTheSameChunkTwiceIsHarmless() {
        assertTrue(TestDb.applied(db, c -> chunks.addChunk(c, file, 0, "chunk-0", 1024, 0xCAFEBABE, "node-a")));
        assertFalse(TestDb.applied(db, c -> chunks.addChunk(c, file, 0, "chunk-0", 1024, 0xCAFEBABE, "node-a")), "replay");
        assertEquals(1, count("SELECT count(*) FROM chunks"));
        assertEquals(1, count("SELECT count(*) FROM chunk_locations"));
        List<ChunkRecord> all = chunks.chunksOf(db, file);
        assertEquals(List.of(new ChunkRecord(file, 0, "chunk-0", 1024, 0xCAFEBABE, List.of(new ChunkLocation("node-a", STORED)))), all);
    }

    @Test
    void theSameChunkOnAnotherNodeAddsACopy() {
        db.inTransaction(c -> chunks.addChunk(c, file, 0, "chunk-0", 10, 7, "node-a"));
        assertFalse(TestDb.applied(db, c -> chunks.addChunk(c, file, 0, "chunk-0", 10, 7, "node-b")));
        assertEquals(List.of("node-a", "node-b"), chunks.chunksOf(db, file).getFirst().readableNodes());
    }

    @Test
    void aDifferentChunkUnderTheSameIndexOrIdIsAConflict() {
        db.inTransaction(c -> chunks.addChunk(c, file, 0, "chunk-0", 10, 7, "node-a"));
        ChunkConflictException crc = assertThrows(ChunkConflictException.class,
                () -> db.inTransaction(c -> chunks.addChunk(c, file, 0, "chunk-0", 10, 8, "node-b")));
        assertTrue(crc.getMessage().contains("crc32c 00000008") && crc.getMessage().contains("crc32c 00000007"), crc.getMessage());
        assertThrows(ChunkConflictException.class, () -> db.inTransaction(c -> chunks.addChunk(c, file, 0, "other-id", 10, 7, "node-a")));
        UUID other = TestDb.newFile(db, files, "g").fileId();
        assertThrows(ChunkConflictException.class, () -> db.inTransaction(c -> chunks.addChunk(c, other, 0, "chunk-0", 10, 7, "node-a")));
        // The refused writes left nothing behind: not the node-b copy, not a second chunk row.
        assertEquals(1, count("SELECT count(*) FROM chunks"));
        assertEquals(List.of("node-a"), chunks.chunksOf(db, file).getFirst().readableNodes());
    }

    @Test
    void badReferencesAndBadInputGetTypedErrors() {
        UnknownReferenceException node = assertThrows(UnknownReferenceException.class,
                () -> db.inTransaction(c -> chunks.addChunk(c, file, 0, "chunk-0", 10, 7, "node-z")));
        assertEquals("unknown storage node 'node-z'", node.getMessage());
        assertEquals(0, count("SELECT count(*) FROM chunks"), "the chunk row rolled back with its location");
        UUID unknown = UUID.randomUUID();
        UnknownFileException f = assertThrows(UnknownFileException.class,
                () -> db.inTransaction(c -> chunks.addChunk(c, unknown, 0, "chunk-0", 10, 7, "node-a")));
        assertEquals(unknown, f.fileId());
        assertThrows(UnknownReferenceException.class, () -> db.inTransaction(c -> chunks.addLocation(c, "no-such-chunk", "node-a", STORED)));
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> chunks.addChunk(c, file, 0, "../etc/passwd", 10, 7, "node-a")));
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> chunks.addChunk(c, file, -1, "x", 10, 7, "node-a")));
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> chunks.addChunk(c, file, 0, "x", -10, 7, "node-a")));
        assertThrows(IllegalArgumentException.class, () -> chunks.chunksTouching(db, file, 3, 2));
    }

    @Test
    void chunksComeBackInIndexOrderWithTheirCopies() {
        int[] order = {3, 0, 2, 1};
        for (int i : order) {
            db.inTransaction(c -> chunks.addChunk(c, file, i, "c" + i, 100 + i, -i, "node-b"));
        }
        db.inTransaction(c -> chunks.addLocation(c, "c2", "node-a", COPYING));
        List<ChunkRecord> all = chunks.chunksOf(db, file);
        assertEquals(List.of(0, 1, 2, 3), all.stream().map(ChunkRecord::index).toList());
        assertEquals(-3, all.get(3).crc32c(), "checksums survive the 4-byte round trip, sign bit included");
        assertEquals(103, all.get(3).size());
        assertEquals(List.of(new ChunkLocation("node-a", COPYING), new ChunkLocation("node-b", STORED)), all.get(2).locations());
        assertEquals(List.of("node-b"), all.get(2).readableNodes());

        List<ChunkRecord> range = chunks.chunksTouching(db, file, 1, 2);
        assertEquals(List.of("c1", "c2"), range.stream().map(ChunkRecord::chunkId).toList());
        assertEquals(all.subList(1, 3), range);
        assertEquals(List.of(), chunks.chunksTouching(db, file, 4, 9));
        assertEquals(List.of(), chunks.chunksOf(db, UUID.randomUUID()));
    }

    @Test
    void locationStatesMoveOnlyFromTheExpectedState() {
        db.inTransaction(c -> chunks.addChunk(c, file, 0, "c0", 1, 1, "node-a"));
        db.inTransaction(c -> chunks.addChunk(c, file, 1, "c1", 1, 1, "node-a"));
        assertEquals(2, TestDb.number(db, c -> chunks.countStored(c, file)));
        assertTrue(TestDb.applied(db, c -> chunks.setLocationState(c, "c0", "node-a", STORED, DELETING)));
        assertFalse(TestDb.applied(db, c -> chunks.setLocationState(c, "c0", "node-a", STORED, DELETING)));
        assertFalse(TestDb.applied(db, c -> chunks.setLocationState(c, "c0", "node-b", STORED, DELETING)), "no copy there");
        assertEquals(1, TestDb.number(db, c -> chunks.countStored(c, file)));
        assertFalse(TestDb.applied(db, c -> chunks.addLocation(c, "c0", "node-a", STORED)), "a replay does not resurrect a copy being deleted");
        assertEquals(List.of(new ChunkLocation("node-a", DELETING)), chunks.chunksOf(db, file).getFirst().locations());

        assertTrue(TestDb.applied(db, c -> chunks.removeLocation(c, "c0", "node-a")));
        assertFalse(TestDb.applied(db, c -> chunks.removeLocation(c, "c0", "node-a")));
        assertEquals(List.of(), chunks.chunksOf(db, file).getFirst().locations(), "a chunk with no copy is still listed");

        assertEquals(1, TestDb.number(db, c -> chunks.markFileLocationsDeleting(c, file)));
        assertEquals(0, TestDb.number(db, c -> chunks.countStored(c, file)));
    }

    @Test
    void aNodesInventoryIsWalkedWithAKeysetCursor() {
        Set<String> onA = new HashSet<>();
        for (int i = 0; i < 25; i++) {
            String id = String.format("chunk-%03d", (i * 7) % 25); // recorded out of id order
            int index = i;
            db.inTransaction(c -> chunks.addChunk(c, file, index, id, index, index, "node-a"));
            onA.add(id);
        }
        for (int i = 25; i < 30; i++) {
            int index = i;
            db.inTransaction(c -> chunks.addChunk(c, file, index, "chunk-" + index, 1, 1, "node-b"));
        }
        db.inTransaction(c -> chunks.setLocationState(c, "chunk-004", "node-a", STORED, DELETING));
        onA.remove("chunk-004");

        List<String> walked = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        while (true) {
            List<ChunkOnNode> page = chunks.locationsOnNode(db, "node-a", STORED, 10, cursor);
            if (page.isEmpty()) {
                break;
            }
            pageSizes.add(page.size());
            page.forEach(p -> {
                assertEquals("node-a", p.nodeId());
                assertEquals(STORED, p.state());
                assertEquals(file, p.fileId());
                walked.add(p.chunkId());
            });
            cursor = Optional.of(page.getLast().chunkId());
        }
        assertEquals(List.of(10, 10, 4), pageSizes);
        assertEquals(onA.stream().sorted().toList(), walked, "every stored copy once, in chunk-id order");
        List<ChunkOnNode> deleting = chunks.locationsOnNode(db, "node-a", DELETING, 10, Optional.empty());
        assertEquals(List.of("chunk-004"), deleting.stream().map(ChunkOnNode::chunkId).toList());
        assertThrows(IllegalArgumentException.class, () -> chunks.locationsOnNode(db, "node-a", STORED, 0, Optional.empty()));
    }

    @Test
    void theInventoryWalkUsesTheKeysetIndex() {
        String plan = db.withConnection(c -> {
            try (var s = c.createStatement()) {
                s.execute("SET enable_seqscan = off"); // the table is tiny; ask what the planner can use
                StringBuilder out = new StringBuilder();
                try (ResultSet rs = s.executeQuery("EXPLAIN SELECT chunk_id FROM chunk_locations WHERE node_id = 'node-a' "
                        + "AND state = 'stored' AND chunk_id > 'x' ORDER BY chunk_id LIMIT 10")) {
                    while (rs.next()) {
                        out.append(rs.getString(1)).append('\n');
                    }
                }
                s.execute("RESET enable_seqscan");
                return out.toString();
            }
        });
        assertTrue(plan.contains("chunk_locations_node_state_chunk_idx") && !plan.contains("Sort"), plan);
    }

    @Test
    void aDeepPageOfTheInventoryWalkReadsOnlyTheChunksItReturns() {
        // 30,000 chunks of one file, alternating between the two nodes, and fresh statistics: enough
        // for the planner to prefer scanning chunks whole, as it did for a plain join.
        db.withConnection(c -> {
            try (var s = c.createStatement()) {
                s.executeUpdate("INSERT INTO chunks (file_id, chunk_index, chunk_id, size_bytes, crc32c) SELECT '" + file
                        + "', i, 'chunk-' || lpad(i::text, 6, '0'), 1024, '\\x00000000'::bytea FROM generate_series(0, 29999) i");
                s.executeUpdate("INSERT INTO chunk_locations (chunk_id, node_id, state) SELECT chunk_id, "
                        + "CASE WHEN chunk_index % 2 = 0 THEN 'node-a' ELSE 'node-b' END, 'stored' FROM chunks");
                s.execute("ANALYZE chunks");
                s.execute("ANALYZE chunk_locations");
            }
            return null;
        });
        String deep = "chunk-020000"; // two thirds into node-a's walk
        String plan = db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, TIMING OFF) " + ChunkRepository.LOCATIONS_ON_NODE)) {
                ps.setString(1, "node-a");
                ps.setString(2, "stored");
                ps.setString(3, deep);
                ps.setInt(4, 100);
                StringBuilder out = new StringBuilder();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.append(rs.getString(1)).append('\n');
                    }
                }
                return out.toString();
            }
        });
        // Rows read from chunks over the whole plan: per scan node, rows per loop times loops.
        Matcher m = Pattern.compile(" on chunks .*?rows=([0-9.]+) loops=([0-9]+)").matcher(plan);
        double chunkRows = 0;
        while (m.find()) {
            chunkRows += Double.parseDouble(m.group(1)) * Long.parseLong(m.group(2));
        }
        assertTrue(chunkRows > 0 && chunkRows <= 100, "read " + chunkRows + " chunk rows for a page of 100:\n" + plan);
        List<ChunkOnNode> page = chunks.locationsOnNode(db, "node-a", STORED, 100, Optional.of(deep));
        assertEquals(100, page.size());
        assertEquals("chunk-020002", page.getFirst().chunkId());
        assertEquals(200, page.getLast().index() - page.getFirst().index() + 2);
    }

    private long count(String sql) {
        return db.withConnection(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }
}
