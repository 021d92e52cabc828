package dev.kos.metadata;

import static dev.kos.metadata.FileStatus.COMPLETED;
import static dev.kos.metadata.FileStatus.DELETED;
import static dev.kos.metadata.FileStatus.DELETING;
import static dev.kos.metadata.FileStatus.FAILED;
import static dev.kos.metadata.FileStatus.PENDING;
import static dev.kos.metadata.FileStatus.UPLOADING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FileRepositoryTest {
    static final String SHA = "a".repeat(64);
    static Database db;
    final FileRepository files = new FileRepository();
    final ChunkRepository chunks = new ChunkRepository();

    @BeforeAll
    static void start() {
        db = TestDb.start(8);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @BeforeEach
    void clean() {
        TestDb.clean(db);
        TestDb.addNode(db, "node-a");
    }

    @Test
    void createStoresEveryColumnAsPending() {
        NewFile nf = NewFile.of("report.pdf", "application/pdf", Optional.of("alice"), 8 << 20);
        FileRecord created = db.inTransaction(c -> files.create(c, nf));
        assertEquals(nf.fileId(), created.fileId());
        assertEquals(PENDING, created.status());
        assertEquals(Optional.of("alice"), created.owner());
        assertEquals(8 << 20, created.chunkSize());
        assertEquals(Optional.empty(), created.sizeBytes());
        assertFalse(created.isSealed());
        assertEquals(created, files.find(db, nf.fileId()).orElseThrow());
        assertEquals(Optional.empty(), files.find(db, UUID.randomUUID()));
        assertThrows(MetadataException.class, () -> db.inTransaction(c -> files.create(c, nf)));
    }

    static Stream<Arguments> everyPair() {
        return Stream.of(FileStatus.values()).flatMap(from -> Stream.of(FileStatus.values()).map(to -> Arguments.of(from, to)));
    }

    /** All 49 pairs, each checked by the SQL guard itself (the file is put in {@code from} directly). */
    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void everyTransitionIsGuardedInTheDatabase(FileStatus from, FileStatus to) {
        UUID id = TestDb.newFile(db, files, "f").fileId();
        TestDb.forceStatus(db, id, from);
        boolean applied = db.inTransaction(c -> files.transition(c, id, to));
        assertEquals(from.canMoveTo(to), applied, from + " -> " + to);
        assertEquals(applied ? to : from, TestDb.statusOf(db, files, id));
    }

    @Test
    void aCompletedFileCannotGoBackToUploading() {
        UUID id = completedFile(2);
        assertFalse(TestDb.applied(db, c -> files.transition(c, id, UPLOADING)));
        assertFalse(TestDb.applied(db, c -> files.startUpload(c, id)));
        assertEquals(COMPLETED, TestDb.statusOf(db, files, id));
    }

    @Test
    void aDeletedFileCannotBeCompleted() {
        UUID id = completedFile(1);
        assertTrue(TestDb.applied(db, c -> files.markDeleting(c, id)));
        assertFalse(TestDb.applied(db, c -> files.complete(c, id)));
        assertTrue(TestDb.applied(db, c -> files.markDeleted(c, id)));
        assertFalse(TestDb.applied(db, c -> files.complete(c, id)));
        FileRecord f = files.find(db, id).orElseThrow();
        assertEquals(DELETED, f.status());
        assertTrue(f.deletedAt().isPresent());
    }

    @Test
    void completionWaitsForTheSealAndEveryStoredChunk() {
        UUID id = TestDb.newFile(db, files, "two-chunks").fileId();
        assertTrue(TestDb.applied(db, c -> files.startUpload(c, id)));
        db.inTransaction(c -> chunks.addChunk(c, id, 0, "c0-" + id, 1024, 1, "node-a"));
        assertFalse(TestDb.applied(db, c -> files.complete(c, id)), "not sealed yet");

        assertTrue(TestDb.applied(db, c -> files.seal(c, id, 1500, SHA, 2)));
        assertFalse(TestDb.applied(db, c -> files.complete(c, id)), "chunk 1 missing");

        db.inTransaction(c -> chunks.addChunk(c, id, 1, "c1-" + id, 476, 2, "node-a"));
        db.inTransaction(c -> chunks.setLocationState(c, "c1-" + id, "node-a", LocationState.STORED, LocationState.COPYING));
        assertFalse(TestDb.applied(db, c -> files.complete(c, id)), "chunk 1 has no stored copy");

        db.inTransaction(c -> chunks.setLocationState(c, "c1-" + id, "node-a", LocationState.COPYING, LocationState.STORED));
        assertTrue(TestDb.applied(db, c -> files.complete(c, id)));
        FileRecord f = files.find(db, id).orElseThrow();
        assertEquals(COMPLETED, f.status());
        assertEquals(Optional.of(1500L), f.sizeBytes());
        assertEquals(Optional.of(SHA), f.sha256());
        assertEquals(Optional.of(2), f.chunkCount());
        assertTrue(f.completedAt().isPresent() && f.sealedAt().isPresent());
    }

    @Test
    void completionRefusesChunksThatDoNotAddUpToTheSealedSize() {
        UUID id = TestDb.newFile(db, files, "short").fileId();
        db.inTransaction(c -> files.startUpload(c, id));
        db.inTransaction(c -> chunks.addChunk(c, id, 0, "s0-" + id, 1000, 1, "node-a"));
        db.inTransaction(c -> files.seal(c, id, 1001, SHA, 1));
        assertFalse(TestDb.applied(db, c -> files.complete(c, id)));
    }

    @Test
    void sealIsIdempotentButNeverRewritten() {
        UUID id = TestDb.newFile(db, files, "s").fileId();
        assertFalse(TestDb.applied(db, c -> files.seal(c, id, 10, SHA, 1)), "a pending file has received nothing");
        db.inTransaction(c -> files.startUpload(c, id));
        assertTrue(TestDb.applied(db, c -> files.seal(c, id, 10, SHA, 1)));
        Instant sealedAt = files.find(db, id).orElseThrow().sealedAt().orElseThrow();
        assertTrue(TestDb.applied(db, c -> files.seal(c, id, 10, SHA, 1)), "replay");
        assertEquals(sealedAt, files.find(db, id).orElseThrow().sealedAt().orElseThrow());
        assertFalse(TestDb.applied(db, c -> files.seal(c, id, 11, SHA, 1)), "different size");
        assertEquals(Optional.of(10L), files.find(db, id).orElseThrow().sizeBytes());
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> files.seal(c, id, 10, "ABC", 1)));
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> files.seal(c, id, -1, SHA, 1)));
    }

    /**
     * The hot path's state changes reserve the event sequences of the events they announce in the
     * same statement: the row's event_seq moves by the number asked for, the last one is returned,
     * and a refused change reserves nothing.
     */
    @Test
    void createSealAndCompleteReserveEventSequences() {
        NewFile nf = NewFile.of("seq.bin", "application/octet-stream", Optional.empty(), 1 << 20);
        assertEquals(1, db.inTransaction(c -> files.create(c, nf, 1)).eventSeq(), "upload_started takes 1");
        UUID id = nf.fileId();
        assertEquals(OptionalLong.empty(), db.inTransaction(c -> files.seal(c, id, 100, SHA, 1, 2)),
                "a pending file cannot be sealed, and reserves nothing");
        assertEquals(1, files.find(db, id).orElseThrow().eventSeq());
        assertTrue(TestDb.applied(db, c -> files.startUpload(c, id)));
        db.inTransaction(c -> chunks.addChunk(c, id, 0, "q0-" + id, 100, 5, "node-a"));
        assertEquals(OptionalLong.of(3), db.inTransaction(c -> files.seal(c, id, 100, SHA, 1, 2)),
                "chunk_stored and upload_sealed take 2 and 3");
        assertEquals(OptionalLong.of(4), db.inTransaction(c -> files.complete(c, id, 1)));
        assertEquals(COMPLETED, files.find(db, id).orElseThrow().status());
        assertEquals(OptionalLong.empty(), db.inTransaction(c -> files.complete(c, id, 1)), "already completed");
        assertEquals(4, files.find(db, id).orElseThrow().eventSeq(), "a refused change reserved nothing");
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> files.complete(c, id, -1)));
    }

    @Test
    void aFileCreatedSealedIsUploadingAndCompletesLikeOneSealedAfterwards() {
        NewFile nf = NewFile.of("whole.bin", "application/octet-stream", Optional.empty(), 1 << 20);
        UUID id = nf.fileId();
        String chunkId = "w0-" + id;
        List<OutboxRow> rows = outboxRows(id, "upload_started", "chunk_stored", "upload_sealed");
        FileRecord created = db.withConnection(c -> files.createSealed(c, nf, 100, SHA,
                Optional.of(storedChunk(chunkId, "node-a", id, 100, 5)), rows));
        assertEquals(UPLOADING, created.status());
        assertEquals(3, created.eventSeq(), "upload_started, chunk_stored and upload_sealed take 1 to 3");
        assertEquals(Optional.of(100L), created.sizeBytes());
        assertEquals(Optional.of(SHA), created.sha256());
        assertEquals(Optional.of(1), created.chunkCount());
        assertTrue(created.isSealed());
        assertEquals(created.createdAt(), created.sealedAt().orElseThrow(), "created and sealed in one statement");
        assertEquals(created, files.find(db, id).orElseThrow());
        List<ChunkRecord> recorded = db.withConnection(c -> chunks.chunksOf(c, id));
        assertEquals(List.of(new ChunkRecord(id, 0, chunkId, 100, 5, List.of(new ChunkLocation("node-a", LocationState.STORED)))),
                recorded);
        assertEquals(List.of("upload_started", "chunk_stored", "upload_sealed"), outboxTypes(id), "in the order given");
        assertTrue(TestDb.applied(db, c -> files.seal(c, id, 100, SHA, 1)), "the seal's replay agrees");
        assertFalse(TestDb.applied(db, c -> files.seal(c, id, 101, SHA, 1)), "and is never rewritten");
        assertEquals(OptionalLong.of(4), db.inTransaction(c -> files.complete(c, id, 1)));

        assertThrows(MetadataException.class, () -> db.withConnection(c -> files.createSealed(c, nf, 100, SHA,
                Optional.empty(), outboxRows(id, "upload_started", "upload_sealed"))));
        assertEquals(3, outboxTypes(id).size(), "a refused create writes no events");
        assertEquals(COMPLETED, TestDb.statusOf(db, files, id));
    }

    @Test
    void aFileCreatedSealedWritesNothingWhenAnyPartIsRefused() {
        NewFile nf = NewFile.of("orphan.bin", "application/octet-stream", Optional.of("bob"), 1 << 20);
        UUID id = nf.fileId();
        List<OutboxRow> rows = outboxRows(id, "upload_started", "chunk_stored", "upload_sealed");
        UnknownReferenceException e = assertThrows(UnknownReferenceException.class, () -> db.withConnection(c ->
                files.createSealed(c, nf, 7, SHA, Optional.of(storedChunk("o0-" + id, "node-zz", id, 7, 1)), rows)));
        assertTrue(e.getMessage().contains("node-zz"), e.getMessage());
        assertEquals(Optional.empty(), files.find(db, id), "the file is not recorded without its chunk");
        assertEquals(List.of(), outboxTypes(id), "nor are its events");

        NewFile empty = NewFile.of("empty.bin", "text/plain", Optional.empty(), 1 << 20);
        FileRecord f = db.withConnection(c -> files.createSealed(c, empty, 0, SHA, Optional.empty(),
                outboxRows(empty.fileId(), "upload_started", "upload_sealed")));
        assertEquals(Optional.of(0), f.chunkCount());
        assertEquals(2, f.eventSeq());

        NewFile bad = NewFile.of("bad.bin", "application/octet-stream", Optional.empty(), 1 << 20);
        UUID badId = bad.fileId();
        List<OutboxRow> two = outboxRows(badId, "upload_started", "upload_sealed");
        assertThrows(IllegalArgumentException.class, () -> db.withConnection(c -> files.createSealed(c, bad, 1, "ABC",
                Optional.empty(), two)));
        assertThrows(IllegalArgumentException.class, () -> db.withConnection(c -> files.createSealed(c, bad, -1, SHA,
                Optional.empty(), two)));
        assertThrows(IllegalArgumentException.class, () -> db.withConnection(c -> files.createSealed(c, bad, 1, SHA,
                Optional.empty(), List.of())), "no events");
        assertThrows(IllegalArgumentException.class, () -> db.withConnection(c -> files.createSealed(c, bad, 9, SHA,
                Optional.of(storedChunk("b0-" + badId, "node-a", badId, 8, 1)), two)), "a chunk shorter than the file");
        assertThrows(IllegalArgumentException.class, () -> db.withConnection(c -> files.createSealed(c, bad, 8, SHA,
                Optional.of(storedChunk("b0-" + badId, "node-a", UUID.randomUUID(), 8, 1)), two)), "another file's chunk");
        assertEquals(Optional.empty(), files.find(db, badId));
    }

    @Test
    void completeAsSealedAppliesOnlyWhileTheSealsEventStillHolds() {
        NewFile nf = NewFile.of("named.bin", "text/plain", Optional.empty(), 1 << 20);
        UUID id = nf.fileId();
        db.withConnection(c -> files.createSealed(c, nf, 100, SHA, Optional.of(storedChunk("n0-" + id, "node-a", id, 100, 5)),
                outboxRows(id, "upload_started", "chunk_stored", "upload_sealed")));
        Integer[] crcs = {5};
        FileRepository.AsSealed asSealed = new FileRepository.AsSealed(3, "named.bin", "text/plain", "",
                outboxRows(id, "file_completed").get(0));

        // What the row was built from no longer holds: nothing is written, not even in part.
        for (FileRepository.AsSealed stale : List.of(
                new FileRepository.AsSealed(2, "named.bin", "text/plain", "", asSealed.completed()),
                new FileRepository.AsSealed(3, "renamed.bin", "text/plain", "", asSealed.completed()),
                new FileRepository.AsSealed(3, "named.bin", "application/json", "", asSealed.completed()),
                new FileRepository.AsSealed(3, "named.bin", "text/plain", "bob", asSealed.completed()))) {
            assertEquals(Optional.empty(), db.withConnection(c -> files.completeAsSealed(c, id, 100, SHA, 1, crcs, stale)), "" + stale);
        }
        assertEquals(Optional.empty(), db.withConnection(c -> files.completeAsSealed(c, id, 100, SHA, 1, new Integer[] {6},
                asSealed)), "a reported CRC32C that differs");
        assertEquals(Optional.empty(), db.withConnection(c -> files.completeAsSealed(c, id, 101, SHA, 1, crcs, asSealed)),
                "a size that differs");
        FileRecord still = files.find(db, id).orElseThrow();
        assertEquals(UPLOADING, still.status());
        assertEquals(3, still.eventSeq());
        assertEquals(List.of("upload_started", "chunk_stored", "upload_sealed"), outboxTypes(id));

        FileRecord done = db.withConnection(c -> files.completeAsSealed(c, id, 100, SHA, 1, crcs, asSealed)).orElseThrow();
        assertEquals(COMPLETED, done.status());
        assertEquals(4, done.eventSeq(), "file_completed takes the sequence after the seal's");
        assertEquals(done, files.find(db, id).orElseThrow());
        assertEquals(List.of("upload_started", "chunk_stored", "upload_sealed", "file_completed"), outboxTypes(id),
                "the row went in with the completion");
        assertEquals(Optional.empty(), db.withConnection(c -> files.completeAsSealed(c, id, 100, SHA, 1, crcs, asSealed)),
                "a replay applies nothing");
        assertEquals(4, outboxTypes(id).size(), "and writes no second row");
        assertThrows(IllegalArgumentException.class, () -> new FileRepository.AsSealed(0, "x", "y", "", asSealed.completed()));
    }

    private static ChunkOnNode storedChunk(String chunkId, String nodeId, UUID fileId, long size, int crc32c) {
        return new ChunkOnNode(chunkId, nodeId, LocationState.STORED, fileId, 0, size, crc32c);
    }

    /** Rows as the events module would build them; the payload here is only the type's name. */
    private static List<OutboxRow> outboxRows(UUID fileId, String... types) {
        List<OutboxRow> rows = new ArrayList<>();
        for (String type : types) {
            rows.add(new OutboxRow(UUID.randomUUID(), "kos.files", fileId.toString(), type,
                    type.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return rows;
    }

    /** The file's outbox rows' types, in id order (the relay's publish order). */
    private static List<String> outboxTypes(UUID fileId) {
        return db.withConnection(c -> {
            List<String> types = new ArrayList<>();
            try (var ps = c.prepareStatement("SELECT event_type, convert_from(payload, 'UTF8') FROM outbox WHERE record_key = ? ORDER BY id")) {
                ps.setString(1, fileId.toString());
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        assertEquals(rs.getString(1), rs.getString(2), "each row keeps its own payload");
                        types.add(rs.getString(1));
                    }
                }
            }
            return types;
        });
    }

    @Test
    void aFileCreatedFailedKeepsItsReasonAndGoesNowhereButDeleting() {
        NewFile nf = NewFile.of("refused.bin", "application/octet-stream", Optional.empty(), 1 << 20);
        UUID id = nf.fileId();
        FileRecord created = db.inTransaction(c -> files.createFailed(c, nf, "checksum_mismatch: no", 2));
        assertEquals(FAILED, created.status());
        assertEquals(Optional.of("checksum_mismatch: no"), created.failureReason());
        assertEquals(2, created.eventSeq());
        assertFalse(created.isSealed());
        assertFalse(TestDb.applied(db, c -> files.startUpload(c, id)));
        assertFalse(TestDb.applied(db, c -> files.seal(c, id, 1, SHA, 1)));
        assertTrue(TestDb.applied(db, c -> files.markDeleting(c, id)));
        NewFile blank = NewFile.of("blank.bin", "application/octet-stream", Optional.empty(), 1 << 20);
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> files.createFailed(c, blank, " ", 2)));
    }

    @Test
    void failAndExpireKeepTheReason() {
        UUID a = TestDb.newFile(db, files, "a").fileId();
        UUID b = TestDb.newFile(db, files, "b").fileId();
        assertTrue(TestDb.applied(db, c -> files.fail(c, a, "node-a unreachable after 3 retries")));
        assertTrue(TestDb.applied(db, c -> files.expire(c, b, "no progress for 24h")));
        assertEquals(Optional.of("node-a unreachable after 3 retries"), files.find(db, a).orElseThrow().failureReason());
        assertEquals(FileStatus.EXPIRED, TestDb.statusOf(db, files, b));
        assertFalse(TestDb.applied(db, c -> files.fail(c, a, "again")), "failed is not a predecessor of failed");
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> files.fail(c, b, " ")));
    }

    @Test
    void anExpectedSetMustBeLegal() {
        UUID id = TestDb.newFile(db, files, "x").fileId();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> db.inTransaction(c -> files.transition(c, id, Set.of(COMPLETED), UPLOADING)));
        assertEquals("a file cannot move from completed to uploading", e.getMessage());
        assertFalse(TestDb.applied(db, c -> files.transition(c, id, Set.of(UPLOADING), DELETING)), "it is pending, not uploading");
        assertFalse(TestDb.applied(db, c -> files.transition(c, UUID.randomUUID(), DELETING)), "unknown file");
    }

    /**
     * Complete and a delete that must not overtake it race on one row, many times: exactly one
     * wins each round and the row ends in the winner's status.
     */
    @Test
    void completeAgainstDeleteExactlyOneWins() throws Exception {
        int rounds = 40;
        int completions = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            for (int r = 0; r < rounds; r++) {
                UUID id = TestDb.newFile(db, files, "race-" + r).fileId();
                db.inTransaction(c -> files.startUpload(c, id));
                db.inTransaction(c -> files.seal(c, id, 0, SHA, 0));
                CyclicBarrier start = new CyclicBarrier(2);
                Future<Boolean> complete = pool.submit(() -> {
                    start.await();
                    return db.inTransaction(c -> files.complete(c, id));
                });
                Future<Boolean> delete = pool.submit(() -> {
                    start.await();
                    return db.inTransaction(c -> files.transition(c, id, Set.of(UPLOADING), DELETING));
                });
                boolean completed = complete.get();
                boolean deleted = delete.get();
                assertNotEquals(completed, deleted, "round " + r + ": exactly one must win");
                assertEquals(completed ? COMPLETED : DELETING, TestDb.statusOf(db, files, id));
                completions += completed ? 1 : 0;
            }
        }
        System.out.printf("complete vs delete: %d of %d rounds won by complete%n", completions, rounds);
    }

    @Test
    void twoCompletionsOfOneFileApplyOnce() throws Exception {
        UUID id = TestDb.newFile(db, files, "twice").fileId();
        db.inTransaction(c -> files.startUpload(c, id));
        db.inTransaction(c -> files.seal(c, id, 0, SHA, 0));
        int writers = 8;
        CyclicBarrier start = new CyclicBarrier(writers);
        List<Future<Boolean>> all = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < writers; i++) {
                all.add(threads.submit(() -> {
                    start.await();
                    return db.inTransaction(c -> files.complete(c, id));
                }));
            }
            int applied = 0;
            for (Future<Boolean> f : all) {
                applied += f.get() ? 1 : 0;
            }
            assertEquals(1, applied);
        }
    }

    @Test
    void eventSequencesCountUpPerFile() {
        UUID a = TestDb.newFile(db, files, "a").fileId();
        UUID b = TestDb.newFile(db, files, "b").fileId();
        assertEquals(1, TestDb.number(db, c -> files.nextEventSequence(c, a)));
        assertEquals(2, TestDb.number(db, c -> files.nextEventSequence(c, a)));
        assertEquals(1, TestDb.number(db, c -> files.nextEventSequence(c, b)));
        assertEquals(2, files.find(db, a).orElseThrow().eventSeq());
        UUID unknown = UUID.randomUUID();
        UnknownFileException e = assertThrows(UnknownFileException.class, () -> db.inTransaction(c -> files.nextEventSequence(c, unknown)));
        assertEquals(unknown, e.fileId());
    }

    @Test
    void lockForUpdateHoldsOffOtherWriters() {
        UUID id = TestDb.newFile(db, files, "locked").fileId();
        assertThrows(IllegalStateException.class, () -> db.withConnection(c -> files.lockForUpdate(c, id)));
        db.inTransaction(c -> {
            assertEquals(PENDING, files.lockForUpdate(c, id).orElseThrow().status());
            // Another transaction that will not wait must fail on the lock rather than change the row.
            MetadataException blocked = assertThrows(MetadataException.class, () -> db.inTransaction(other -> {
                try (Statement s = other.createStatement()) {
                    s.execute("SET LOCAL lock_timeout = '100ms'");
                }
                return files.startUpload(other, id);
            }));
            assertTrue(blocked.getCause() instanceof SQLException sql && "55P03".equals(sql.getSQLState()), blocked.toString());
            return null;
        });
        assertEquals(PENDING, TestDb.statusOf(db, files, id));
    }

    @Test
    void aListedFileCarriesEveryColumnAsFindReadsIt() {
        // Rows are read by column position: a shifted column would show here as a wrong field.
        FileRecord f = TestDb.newFile(db, files, "every-column");
        db.inTransaction(c -> {
            files.startUpload(c, f.fileId());
            files.seal(c, f.fileId(), 0, SHA, 0);
            return files.fail(c, f.fileId(), "checksum_mismatch: test");
        });
        FileRecord found = files.find(db, f.fileId()).orElseThrow();
        assertEquals(Optional.of(0L), found.sizeBytes());
        assertEquals(Optional.of(SHA), found.sha256());
        assertEquals(Optional.of(0), found.chunkCount());
        assertEquals(Optional.of("checksum_mismatch: test"), found.failureReason());
        assertTrue(found.sealedAt().isPresent());
        assertEquals(FAILED, found.status());
        assertEquals(List.of(found), files.list(db, new FileQuery(Optional.of(FAILED), SortOrder.ASC, 1, 10)).items());
    }

    @Test
    void listingFiltersSortsPagesAndHidesDeletedFiles() {
        Instant base = Instant.parse("2026-01-01T00:00:00Z");
        List<FileRecord> listed = new ArrayList<>();
        FileStatus[] statuses = {PENDING, UPLOADING, COMPLETED, FAILED, DELETING, DELETED, COMPLETED};
        for (int i = 0; i < 21; i++) {
            FileRecord f = TestDb.newFile(db, files, "file-" + i);
            FileStatus s = statuses[i % statuses.length];
            TestDb.forceStatus(db, f.fileId(), s);
            // Pairs share a timestamp so ties must be broken by file id for stable pages.
            TestDb.setCreatedAt(db, f.fileId(), base.plusSeconds(60L * (i / 2)));
            if (s.listedByDefault()) {
                listed.add(files.find(db, f.fileId()).orElseThrow());
            }
        }
        // PostgreSQL orders uuids by their bytes, as their text sorts; java.util.UUID.compareTo
        // compares signed longs and disagrees, so the expected order compares the text.
        Comparator<FileRecord> asc = Comparator.comparing(FileRecord::createdAt).thenComparing(f -> f.fileId().toString());
        List<UUID> expectedAsc = listed.stream().sorted(asc).map(FileRecord::fileId).toList();
        List<UUID> expectedDesc = listed.stream().sorted(asc.reversed()).map(FileRecord::fileId).toList();

        assertEquals(expectedAsc, walk(Optional.empty(), SortOrder.ASC, 4));
        assertEquals(expectedDesc, walk(Optional.empty(), SortOrder.DESC, 4));
        assertEquals(expectedDesc, files.list(db, new FileQuery(Optional.empty(), SortOrder.DESC, 1, 1000)).items().stream()
                .map(FileRecord::fileId).toList());

        Page<FileRecord> first = files.list(db, new FileQuery(Optional.empty(), SortOrder.ASC, 1, 4));
        assertEquals(15, first.total(), "21 files, 6 of them deleting or deleted");
        assertEquals(4, first.items().size());
        assertEquals(4, first.totalPages());
        assertTrue(first.hasNext());
        Page<FileRecord> beyond = files.list(db, new FileQuery(Optional.empty(), SortOrder.ASC, 9, 4));
        assertEquals(List.of(), beyond.items());
        assertEquals(15, beyond.total());

        Page<FileRecord> completed = files.list(db, new FileQuery(Optional.of(COMPLETED), SortOrder.ASC, 1, 100));
        assertEquals(6, completed.total());
        assertTrue(completed.items().stream().allMatch(f -> f.status() == COMPLETED));
        Page<FileRecord> deleted = files.list(db, new FileQuery(Optional.of(DELETED), SortOrder.ASC, 1, 100));
        assertEquals(3, deleted.total(), "an explicit filter shows deleted files");
        assertEquals(3, files.list(db, new FileQuery(Optional.of(DELETING), SortOrder.ASC, 1, 100)).items().size());
        assertEquals(0, files.list(db, new FileQuery(Optional.of(FileStatus.EXPIRED), SortOrder.ASC, 1, 100)).total());
        assertTrue(files.list(db, FileQuery.newestFirst()).items().stream().allMatch(f -> f.status().listedByDefault()));
    }

    private List<UUID> walk(Optional<FileStatus> status, SortOrder order, int perPage) {
        List<UUID> ids = new ArrayList<>();
        for (int page = 1; ; page++) {
            Page<FileRecord> p = files.list(db, new FileQuery(status, order, page, perPage));
            p.items().forEach(f -> ids.add(f.fileId()));
            if (!p.hasNext()) {
                return ids;
            }
        }
    }

    /** A file taken through the real path: uploading, chunks stored, sealed, completed. */
    private UUID completedFile(int chunkCount) {
        UUID id = TestDb.newFile(db, files, "done").fileId();
        assertTrue(TestDb.applied(db, c -> files.startUpload(c, id)));
        for (int i = 0; i < chunkCount; i++) {
            int index = i;
            db.inTransaction(c -> chunks.addChunk(c, id, index, "k" + index + "-" + id, 100, index, "node-a"));
        }
        assertTrue(TestDb.applied(db, c -> files.seal(c, id, 100L * chunkCount, SHA, chunkCount)));
        assertTrue(TestDb.applied(db, c -> files.complete(c, id)));
        return id;
    }
}
