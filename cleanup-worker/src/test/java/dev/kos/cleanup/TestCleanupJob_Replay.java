package dev.kos.cleanup;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Replaying kos.files.v1 from the beginning through a fresh consumer group changes no row and no
 * chunk, which is also what makes pruning old processed_events rows safe: a replay past a pruned
 * row is a first delivery, as in a fresh group.
 */
class TestCleanupJob_Replay {
    @RegisterExtension
    static SharedKafka kafka = new SharedKafka();
    static Harness h;
    static TestNode a;
    static TestNode b;

    @BeforeAll
    static void start() throws Exception {
        h = new Harness(kafka.broker());
        a = h.node("replay-a");
        b = h.node("replay-b");
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void replayingTheFilesTopicChangesNothing() throws Exception {
        CleanupWorker worker = h.worker(h.config("cleanup-replay"), Clock.systemUTC());
        UUID deleted = h.completed("deleted.bin", 3, a, b);
        UUID failed = h.uploading("failed.bin", 2, a, b);
        UUID expired = h.uploading("expired.bin", 2, a, b);
        UUID kept = h.completed("kept.bin", 2, a, b);
        UUID uploading = h.uploading("uploading.bin", 1, b);
        // Deleted, with copies not reaped yet: a replay must not resurrect or re-mark them.
        UUID pending = h.completed("pending-delete.bin", 2, a, b);
        h.requestDelete(deleted);
        h.failUpload(failed);
        h.ageSession(expired, Duration.ofHours(25), Duration.ofHours(25), Duration.ofSeconds(-1));
        assertEquals(1, worker.expireOnce());
        Poll.until(() -> h.allLocationsIn(deleted, LocationState.DELETING) && h.allLocationsIn(failed, LocationState.DELETING),
                "the consumer marked the deleted and failed files");
        worker.reapOnce();
        for (UUID f : List.of(deleted, failed, expired)) {
            assertEquals(FileStatus.DELETED, h.status(f));
        }
        h.requestDelete(pending);
        h.awaitConsumed("cleanup-replay");
        assertTrue(h.allLocationsIn(pending, LocationState.DELETING));

        String rowsBefore = h.snapshot();
        List<String> aBefore = h.listed(a);
        List<String> bBefore = h.listed(b);

        String group = "cleanup-replay-again-" + UUID.randomUUID();
        CleanupWorker replay = h.worker(h.config(group), Clock.systemUTC());
        h.awaitConsumed(group);
        // Every event was read again; the deletes and aborts (deleted, failed, expired, pending) ran their
        // effect again, the upload events were passed over as they always are.
        assertTrue(replay.eventsApplied() >= 4, "the new group ran every delete and abort again: " + replay.eventsApplied());
        assertTrue(replay.eventsApplied() + replay.eventsPassedOver() >= 25,
                "the new group read every event again: " + replay.eventsApplied() + " + " + replay.eventsPassedOver());

        assertEquals(rowsBefore, h.snapshot(), "row for row");
        assertEquals(aBefore, h.listed(a), "chunk for chunk on a");
        assertEquals(bBefore, h.listed(b), "chunk for chunk on b");
        assertEquals(FileStatus.COMPLETED, h.status(kept));
        assertEquals(FileStatus.UPLOADING, h.status(uploading));
    }

    @Test
    void processedEventsOlderThanTheRetentionArePrunedInBatches() {
        // Batches of two, so six old rows take four statements.
        ProcessedEventsPruner pruner = new ProcessedEventsPruner(h.db, Duration.ofDays(30), 2);
        List<UUID> old = new ArrayList<>();
        List<UUID> young = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            old.add(h.processedAgo("prune-test-a", Duration.ofDays(31 + i)));
        }
        old.add(h.processedAgo("prune-test-b", Duration.ofDays(400))); // any consumer's rows age out
        young.add(h.processedAgo("prune-test-a", Duration.ofDays(29)));
        young.add(h.processedAgo("prune-test-b", Duration.ZERO));

        assertEquals(6, pruner.pruneOnce());
        for (UUID id : old) {
            assertFalse(processed(id), "pruned: " + id);
        }
        for (UUID id : young) {
            assertTrue(processed(id), "kept, younger than the retention: " + id);
        }
        assertEquals(0, pruner.pruneOnce(), "nothing older is left");

        UUID ancient = h.processedAgo("prune-test-a", Duration.ofDays(4000));
        assertEquals(0, new ProcessedEventsPruner(h.db, Duration.ZERO, 2).pruneOnce(), "a retention of 0 keeps every row");
        assertTrue(processed(ancient));
        assertEquals(1, pruner.pruneOnce());
    }

    private static boolean processed(UUID id) {
        return h.db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM processed_events WHERE event_id = ?")) {
                ps.setObject(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }
}
