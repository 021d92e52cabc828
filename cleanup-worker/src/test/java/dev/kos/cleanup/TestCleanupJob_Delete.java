package dev.kos.cleanup;

import dev.kos.testkit.Poll;
import static dev.kos.schemas.events.v1.EventEnvelope.PayloadCase.CHUNK_DELETED;
import static dev.kos.schemas.events.v1.EventEnvelope.PayloadCase.FILE_DELETED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Deleted and aborted files: the consumer marks their copies, the reaper removes them from every node's disk. */
class TestCleanupJob_Delete {
    @RegisterExtension
    static SharedKafka kafka = new SharedKafka();
    static Harness h;
    static TestNode a;
    static TestNode b;
    static TestNode c;
    static CleanupWorker worker;

    @BeforeAll
    static void start() throws Exception {
        h = new Harness(kafka.broker());
        a = h.node("delete-a");
        b = h.node("delete-b");
        c = h.node("delete-c");
        worker = h.worker(h.config("cleanup-delete"), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void deleteRemovesEveryChunkFromDisk() throws Exception {
        UUID doomed = h.completed("doomed.bin", 6, a, b, c);
        UUID kept = h.completed("kept.bin", 3, a, b, c);
        List<String> ids = h.chunkIds(doomed);
        assertEquals(6, ids.size());

        h.requestDelete(doomed);
        Poll.until(() -> h.allLocationsIn(doomed, LocationState.DELETING), "the consumer marks every copy deleting");
        worker.reapOnce();

        assertEquals(FileStatus.DELETED, h.status(doomed));
        assertTrue(h.locations(doomed).isEmpty());
        for (TestNode n : List.of(a, b, c)) {
            for (String id : ids) {
                assertFalse(n.chunksOnDisk().contains(id), id + " still on " + n.id + "'s disk");
            }
            assertTrue(h.listed(n).stream().noneMatch(ids::contains), "ListChunks of " + n.id);
        }
        assertEquals(FileStatus.COMPLETED, h.status(kept));
        assertTrue(h.allLocationsIn(kept, LocationState.STORED));
        for (String id : h.chunkIds(kept)) {
            assertTrue(a.chunksOnDisk().contains(id) || b.chunksOnDisk().contains(id) || c.chunksOnDisk().contains(id));
        }
        List<EventEnvelope> events = h.eventsOf(doomed, Harness.has(FILE_DELETED, 1));
        assertEquals(6, events.stream().filter(e -> e.getPayloadCase() == CHUNK_DELETED).count());
        assertEquals(6, events.getLast().getFileDeleted().getChunksDeleted());
        assertEquals(FILE_DELETED, events.getLast().getPayloadCase(), "file_deleted comes after every chunk_deleted");
    }

    @Test
    void aFailedUploadEndsDeletedThroughDeleting() {
        UUID failed = h.uploading("failed.bin", 2, a, b);
        List<String> ids = h.chunkIds(failed);
        h.failUpload(failed);
        Poll.until(() -> h.allLocationsIn(failed, LocationState.DELETING), "upload_aborted marks the copies deleting");
        worker.reapOnce();
        assertEquals(FileStatus.DELETED, h.status(failed));
        assertFalse(a.chunksOnDisk().contains(ids.get(0)));
        assertFalse(b.chunksOnDisk().contains(ids.get(1)));
        assertEquals(2, h.eventsOf(failed, Harness.has(FILE_DELETED, 1)).stream()
                .filter(e -> e.getPayloadCase() == CHUNK_DELETED).count());
    }

    @Test
    void copiesOnARemovedNodeAreWrittenOff() throws Exception {
        TestNode gone = h.node("delete-gone");
        UUID file = h.completed("on-gone.bin", 2, a, gone);
        String onGone = h.chunkIds(file).get(1);
        gone.stop(); // its disk is lost with it
        h.nodeRepository.remove(gone.id);
        h.requestDelete(file);
        Poll.until(() -> h.allLocationsIn(file, LocationState.DELETING), "copies marked deleting");

        CleanupWorker.ReapRound round = worker.reapOnce();
        assertFalse(round.nodesSkipped().contains(gone.id), "a removed node is not waited for: " + round);
        assertEquals(FileStatus.DELETED, h.status(file));
        List<EventEnvelope> events = h.eventsOf(file, Harness.has(FILE_DELETED, 1));
        assertTrue(events.stream().anyMatch(e -> e.getPayloadCase() == CHUNK_DELETED
                && e.getChunkDeleted().getChunkId().equals(onGone) && e.getNodeId().equals(gone.id)));
    }
}
