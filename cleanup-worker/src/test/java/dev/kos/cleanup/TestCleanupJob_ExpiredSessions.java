package dev.kos.cleanup;

import static dev.kos.schemas.events.v1.EventEnvelope.PayloadCase.CHUNK_DELETED;
import static dev.kos.schemas.events.v1.EventEnvelope.PayloadCase.FILE_DELETED;
import static dev.kos.schemas.events.v1.EventEnvelope.PayloadCase.UPLOAD_ABORTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.schemas.events.v1.AbortReason;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Sessions whose expires_at passed: the file expires, upload_aborted is published, its chunks leave every node. */
class TestCleanupJob_ExpiredSessions {
    @RegisterExtension
    static SharedKafka kafka = new SharedKafka();
    static Harness h;
    static TestNode a;
    static TestNode b;
    static CleanupWorker worker;

    @BeforeAll
    static void start() throws Exception {
        h = new Harness(kafka.broker());
        a = h.node("expired-a");
        b = h.node("expired-b");
        worker = h.worker(h.config("cleanup-expired"), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void anAbandonedUploadExpiresAndItsChunksAreDeletedFromEveryNode() {
        UUID file = h.uploading("abandoned.bin", 4, a, b);
        List<String> ids = h.chunkIds(file);
        assertTrue(a.chunksOnDisk().containsAll(List.of(ids.get(0), ids.get(2))));
        assertTrue(b.chunksOnDisk().containsAll(List.of(ids.get(1), ids.get(3))));
        h.ageSession(file, Duration.ofHours(26), Duration.ofHours(25), Duration.ofHours(-1));

        assertEquals(1, worker.expireOnce());
        assertEquals(FileStatus.EXPIRED, h.status(file));
        assertTrue(h.sessions.find(h.db, file).isEmpty(), "the session is closed");
        assertTrue(h.allLocationsIn(file, LocationState.DELETING));
        assertEquals(0, worker.expireOnce(), "nothing is expired twice");

        CleanupWorker.ReapRound round = worker.reapOnce();
        // Other tests of this class may leave expired files too: the round's totals include them.
        assertTrue(round.copiesRemoved() >= 4, round.toString());
        assertTrue(round.filesDeleted() >= 1, round.toString());
        assertTrue(round.nodesSkipped().isEmpty(), round.toString());
        assertEquals(FileStatus.DELETED, h.status(file));
        assertTrue(h.locations(file).isEmpty());
        for (String id : ids) {
            assertFalse(a.chunksOnDisk().contains(id) || b.chunksOnDisk().contains(id), id + " is gone from disk");
            assertFalse(h.listed(a).contains(id) || h.listed(b).contains(id), id + " is gone from ListChunks");
        }

        List<EventEnvelope> events = h.eventsOf(file, Harness.has(FILE_DELETED, 1));
        List<EventEnvelope> aborted = events.stream().filter(e -> e.getPayloadCase() == UPLOAD_ABORTED).toList();
        assertEquals(1, aborted.size());
        assertEquals(AbortReason.EXPIRED, aborted.getFirst().getUploadAborted().getReason());
        assertEquals(4L * Harness.CHUNK_SIZE, aborted.getFirst().getUploadAborted().getBytesReceived());
        assertEquals(CleanupWorker.PRODUCER, aborted.getFirst().getProducer());
        Set<String> deleted = new HashSet<>();
        for (EventEnvelope e : events) {
            if (e.getPayloadCase() == CHUNK_DELETED) {
                deleted.add(e.getChunkDeleted().getChunkId() + "@" + e.getNodeId());
            }
        }
        assertEquals(Set.of(ids.get(0) + "@" + a.id, ids.get(1) + "@" + b.id, ids.get(2) + "@" + a.id, ids.get(3) + "@" + b.id), deleted);
        assertEquals(4, events.stream().filter(e -> e.getPayloadCase() == FILE_DELETED).findFirst().orElseThrow()
                .getFileDeleted().getChunksDeleted());
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).getSequence() > events.get(i - 1).getSequence(), "one file's events arrive in sequence order");
        }
    }

    @Test
    void theGatewayCannotRecordProgressOnAnExpiredSession() {
        UUID file = h.uploading("late.bin", 1, a);
        h.ageSession(file, Duration.ofHours(30), Duration.ofHours(25), Duration.ofMinutes(-5));
        assertEquals(1, worker.expireOnce());
        Harness.Chunk late = h.putChunk(file, 1, b);
        IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> h.recordChunk(file, late, b));
        assertTrue(refused.getMessage().contains("session"), refused.getMessage());
        assertEquals(1, h.chunkIds(file).size(), "the late chunk has no row: an orphan for the collector");
    }

    @Test
    void aSessionWhoseFileAGatewayHoldsIsSkippedNotWaitedFor() throws Exception {
        UUID file = h.uploading("busy.bin", 1, a);
        h.ageSession(file, Duration.ofHours(25), Duration.ofHours(25), Duration.ofSeconds(-1));
        try (Connection gateway = h.db.dataSource().getConnection()) {
            gateway.setAutoCommit(false);
            h.files.lockForUpdate(gateway, file); // the gateway is mid-progress on this file
            int expired = CompletableFuture.supplyAsync(worker::expireOnce).get(20, TimeUnit.SECONDS);
            assertEquals(0, expired, "a busy upload is alive: skipped");
            gateway.rollback();
        }
        assertEquals(FileStatus.UPLOADING, h.status(file));
        assertEquals(1, worker.expireOnce(), "expired once the gateway let go");
        assertEquals(FileStatus.EXPIRED, h.status(file));
    }
}
