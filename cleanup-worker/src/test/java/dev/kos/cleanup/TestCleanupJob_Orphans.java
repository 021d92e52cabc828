package dev.kos.cleanup;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.schemas.storage.v1.ChunkInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Chunks a node holds that the metadata does not need are collected once older than the grace; young ones are not. */
class TestCleanupJob_Orphans {
    static final Duration GRACE = Duration.ofHours(1);
    @RegisterExtension
    static SharedKafka kafka = new SharedKafka();
    static Harness h;
    static TestNode a;
    static TestClock clock = new TestClock();
    static CleanupWorker worker;

    @BeforeAll
    static void start() throws Exception {
        h = new Harness(kafka.broker());
        a = h.node("orphan-a");
        worker = h.worker(h.config("cleanup-orphans").withOrphanGrace(GRACE), clock);
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void orphansAreCollectedAndAnInFlightChunkIsNot() throws Exception {
        UUID known = h.completed("known.bin", 2, a);
        // A deleted file whose chunk came back (a node written off, then returned with its disk).
        UUID deleted = h.completed("deleted.bin", 1, a);
        h.requestDelete(deleted);
        Poll.until(() -> h.allLocationsIn(deleted, LocationState.DELETING), "copies marked deleting");
        worker.reapOnce();
        assertEquals(FileStatus.DELETED, h.status(deleted));
        String revenant = h.putChunk(h.chunkIds(deleted).getFirst(), 0, a).chunkId();
        // An upload that died between its put and its commit.
        String orphan = h.putChunk("orphan-no-row", 0, a).chunkId();
        long orphanStoredAt = storedAt(orphan);
        Poll.until(() -> System.currentTimeMillis() > orphanStoredAt + 5, "the wall clock moves past the orphan's store time");
        // An upload in flight: on the node, its chunk row not committed yet.
        UUID inFlight = h.beginUpload("in-flight.bin");
        Harness.Chunk young = h.putChunk(inFlight, 0, a);
        assertTrue(storedAt(young.chunkId()) > orphanStoredAt + 2);

        // Now is just past the orphan's grace: the orphan is old enough, the in-flight chunk is not.
        clock.set(Instant.ofEpochMilli(orphanStoredAt).plus(GRACE).plusMillis(2));
        assertEquals(2, worker.collectOrphansOnce(), "the orphan and the deleted file's chunk");
        List<String> left = h.listed(a);
        assertFalse(left.contains(orphan));
        assertFalse(left.contains(revenant));
        assertTrue(left.contains(young.chunkId()), "the in-flight chunk survives");
        assertTrue(left.containsAll(h.chunkIds(known)), "known chunks survive");
        assertFalse(a.chunksOnDisk().contains(orphan));

        // The upload commits its chunk; hours later it is known, so still never collected.
        h.recordChunk(inFlight, young, a);
        clock.set(Instant.now().plus(Duration.ofHours(5)));
        assertEquals(0, worker.collectOrphansOnce());
        assertTrue(h.listed(a).containsAll(List.of(young.chunkId(), h.chunkIds(known).get(0), h.chunkIds(known).get(1))));
    }

    private static long storedAt(String chunkId) {
        try (var s = h.clients.client(a.address()).list(chunkId)) {
            return s.filter(c -> c.getChunkId().equals(chunkId)).mapToLong(ChunkInfo::getStoredAtUnixMs).findFirst().orElseThrow();
        }
    }
}
