package dev.kos.metadata;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UploadSessionRepositoryTest {
    static final Duration HOUR = Duration.ofHours(1);
    static Database db;
    final FileRepository files = new FileRepository();
    final UploadSessionRepository sessions = new UploadSessionRepository();

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
    }

    @Test
    void openProgressAndClose() {
        UUID id = TestDb.newFile(db, files, "f").fileId();
        Instant before = Instant.now().minusSeconds(5); // allow for the database clock
        assertTrue(TestDb.applied(db, c -> sessions.open(c, id, "gw-1", Duration.ofMinutes(1))));
        assertFalse(TestDb.applied(db, c -> sessions.open(c, id, "gw-2", HOUR)), "one open session per file");
        UploadSession opened = sessions.find(db, id).orElseThrow();
        assertEquals("gw-1", opened.gatewayId());
        assertEquals(0, opened.bytesReceived());
        assertTrue(opened.expiresAt().isAfter(before.plusSeconds(55)) && opened.expiresAt().isBefore(before.plusSeconds(75)),
                opened.toString());

        assertTrue(TestDb.applied(db, c -> sessions.progress(c, id, 4096, HOUR)));
        UploadSession moved = sessions.find(db, id).orElseThrow();
        assertEquals(4096, moved.bytesReceived());
        assertTrue(moved.expiresAt().isAfter(opened.expiresAt().plus(Duration.ofMinutes(50))), "progress pushes expiry forward");
        assertTrue(!moved.lastProgressAt().isBefore(opened.lastProgressAt()));

        assertTrue(TestDb.applied(db, c -> sessions.progress(c, id, 1000, HOUR)), "a late report");
        assertEquals(4096, sessions.find(db, id).orElseThrow().bytesReceived(), "never lowers the count");

        assertTrue(TestDb.applied(db, c -> sessions.close(c, id)));
        assertFalse(TestDb.applied(db, c -> sessions.close(c, id)));
        assertFalse(TestDb.applied(db, c -> sessions.progress(c, id, 5000, HOUR)), "a closed upload learns it must stop");
        assertTrue(sessions.find(db, id).isEmpty());
    }

    @Test
    void badInputIsRefused() {
        UUID id = TestDb.newFile(db, files, "f").fileId();
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> sessions.open(c, id, "gw", Duration.ZERO)));
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> sessions.open(c, id, " ", HOUR)));
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> sessions.progress(c, id, -1, HOUR)));
        UUID unknown = UUID.randomUUID();
        assertEquals(unknown, assertThrows(UnknownFileException.class,
                () -> db.inTransaction(c -> sessions.open(c, unknown, "gw", HOUR))).fileId());
        assertThrows(IllegalStateException.class, () -> db.withConnection(c -> sessions.expiredBatch(c, Instant.now(), 10)),
                "outside a transaction the locks would not hold");
        assertThrows(IllegalArgumentException.class, () -> db.inTransaction(c -> sessions.expiredBatch(c, Instant.now(), 0)));
    }

    @Test
    void onlyExpiredSessionsAreTakenOldestFirst() {
        List<UUID> ids = openSessions(3, HOUR);
        db.inTransaction(c -> sessions.progress(c, ids.get(0), 1, Duration.ofHours(3)));
        assertEquals(List.of(), db.inTransaction(c -> sessions.expiredBatch(c, Instant.now(), 10)));
        List<UploadSession> in2h = db.inTransaction(c -> sessions.expiredBatch(c, Instant.now().plus(Duration.ofHours(2)), 10));
        assertEquals(Set.of(ids.get(1), ids.get(2)), in2h.stream().map(UploadSession::fileId).collect(Collectors.toSet()));
        assertTrue(!in2h.get(0).expiresAt().isAfter(in2h.get(1).expiresAt()));
    }

    @Test
    void theDatabaseClockDecidesWhenNoTimeIsGiven() {
        UUID id = openSessions(1, Duration.ofMillis(1)).getFirst();
        UUID live = openSessions(1, HOUR).getFirst();
        Poll.until(Duration.ofSeconds(5),
                () -> db.inTransaction(c -> sessions.expiredBatch(c, 10)).stream().map(UploadSession::fileId).toList().equals(List.of(id)),
                () -> "the 1 ms session expires by the database clock, the 1 h one " + live + " does not");
    }

    /** Two cleanup workers at once: SKIP LOCKED gives them disjoint batches that cover everything. */
    @Test
    void twoWorkersGetDisjointBatches() throws Exception {
        Set<UUID> all = new HashSet<>(openSessions(8, Duration.ofMinutes(1)));
        Instant later = Instant.now().plus(HOUR);
        try (Connection a = db.dataSource().getConnection(); Connection b = db.dataSource().getConnection();
             Connection third = db.dataSource().getConnection()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            third.setAutoCommit(false);
            Set<UUID> first = ids(sessions.expiredBatch(a, later, 5));
            Set<UUID> second = ids(sessions.expiredBatch(b, later, 5));
            assertEquals(5, first.size());
            assertEquals(3, second.size(), "the rest, without waiting for the first worker");
            assertTrue(first.stream().noneMatch(second::contains), "disjoint");
            Set<UUID> union = new HashSet<>(first);
            union.addAll(second);
            assertEquals(all, union);
            assertEquals(Set.of(), ids(sessions.expiredBatch(third, later, 5)), "a third worker finds everything taken");

            // The first worker crashes (rolls back): its sessions, and only those, are free again.
            a.rollback();
            assertEquals(first, ids(sessions.expiredBatch(third, later, 10)));
            third.rollback();
            third.setAutoCommit(true);
            b.rollback();
            a.setAutoCommit(true);
            b.setAutoCommit(true);
        }
    }

    /** What a cleanup worker does with a batch: expire the file and drop its session, atomically. */
    @Test
    void anExpiredBatchIsCollectedInOneTransaction() {
        List<UUID> ids = openSessions(4, Duration.ofMinutes(1));
        int collected = db.inTransaction(c -> {
            List<UploadSession> batch = sessions.expiredBatch(c, Instant.now().plus(HOUR), 10);
            for (UploadSession s : batch) {
                assertTrue(files.expire(c, s.fileId(), "no progress"));
                assertTrue(sessions.close(c, s.fileId()));
            }
            return batch.size();
        });
        assertEquals(4, collected);
        for (UUID id : ids) {
            assertEquals(FileStatus.EXPIRED, TestDb.statusOf(db, files, id));
            assertTrue(sessions.find(db, id).isEmpty());
        }
    }

    private List<UUID> openSessions(int n, Duration ttl) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> {
            UUID id = TestDb.newFile(db, files, "s" + i).fileId();
            db.inTransaction(c -> files.startUpload(c, id));
            assertTrue(TestDb.applied(db, c -> sessions.open(c, id, "gw-1", ttl)));
            return id;
        }).toList();
    }

    private static Set<UUID> ids(List<UploadSession> batch) {
        return batch.stream().map(UploadSession::fileId).collect(Collectors.toSet());
    }
}
