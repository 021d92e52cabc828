package dev.kos.cleanup;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.ChunkLocation;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A delete while a node is down completes once it returns, and never holds up other files. */
class TestCleanupJob_NodeDown {
    @RegisterExtension
    static SharedKafka kafka = new SharedKafka();
    static Harness h;
    static TestNode a;
    static TestNode b;
    static CleanupWorker worker;

    @BeforeAll
    static void start() throws Exception {
        h = new Harness(kafka.broker());
        a = h.node("down-a");
        b = h.node("down-b");
        worker = h.worker(h.config("cleanup-down"), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aDeleteWhileANodeIsDownCompletesAfterItReturns() throws Exception {
        UUID spread = h.completed("spread.bin", 4, a, b);
        UUID onlyA = h.completed("only-a.bin", 2, a);
        List<String> spreadIds = h.chunkIds(spread);
        List<String> onB = List.of(spreadIds.get(1), spreadIds.get(3));

        b.stop();
        h.requestDelete(spread);
        h.requestDelete(onlyA);
        Poll.until(() -> h.allLocationsIn(spread, LocationState.DELETING) && h.allLocationsIn(onlyA, LocationState.DELETING),
                "both files' copies marked deleting");

        CleanupWorker.ReapRound round = worker.reapOnce();
        assertEquals(List.of(b.id), round.nodesSkipped());
        assertEquals(FileStatus.DELETED, h.status(onlyA), "a file on live nodes is not held up by the dead one");
        assertEquals(FileStatus.DELETING, h.status(spread));
        List<ChunkLocation> left = h.locations(spread);
        assertEquals(2, left.size());
        assertTrue(left.stream().allMatch(l -> l.nodeId().equals(b.id) && l.state() == LocationState.DELETING), left.toString());
        assertFalse(a.chunksOnDisk().contains(spreadIds.get(0)));
        assertTrue(b.chunksOnDisk().containsAll(onB), "b's copies wait on its disk");
        worker.reapOnce(); // still down: skipped again, nothing lost
        assertEquals(FileStatus.DELETING, h.status(spread));

        b.restart();
        Poll.until(() -> {
            worker.reapOnce();
            return h.status(spread) == FileStatus.DELETED;
        }, "the delete completes once b is back");
        assertTrue(h.locations(spread).isEmpty());
        assertTrue(b.chunksOnDisk().stream().noneMatch(onB::contains), "b's copies are gone from its disk");
        assertTrue(h.listed(b).stream().noneMatch(onB::contains));
    }
}
