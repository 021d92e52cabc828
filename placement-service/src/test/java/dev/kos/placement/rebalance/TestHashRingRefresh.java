package dev.kos.placement.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.ring.HashRing;
import dev.kos.testkit.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every ring refresh the registry picks up drives a pass on the new ring, in both directions: a
 * node joins and receives chunks; it is drained again and they go back, once the reaper has
 * removed the old copies they return to (a copy being deleted is never revived).
 */
class TestHashRingRefresh {
    @TempDir
    Path dir;

    @Test
    void eachRingChangeRebalancesOnTheNewRing() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            cluster.startNode("n1");
            cluster.startNode("n2");
            List<PlacedChunk> placed = cluster.storeFile(40, 4096);
            Rebalancer rebalancer = cluster.rebalancer(RebalanceCluster.fastConfig());
            Poll.until(Duration.ofSeconds(20), () -> rebalancer.status().passes() >= 1, () -> "first pass: " + rebalancer.status());

            cluster.startNode("n3");
            HashRing withN3 = cluster.ring();
            long toN3 = placed.stream().filter(p -> withN3.owner(p.chunkId()).orElseThrow().nodeId().equals("n3")).count();
            assertTrue(toN3 > 0);
            Poll.until(Duration.ofSeconds(60), () -> cluster.allOnOwners(placed), () -> "after join: " + cluster.locations());
            Poll.until(Duration.ofSeconds(10), () -> rebalancer.status().ringEpoch() == withN3.epoch()
                    && !rebalancer.status().running(), () -> "pass on the new ring: " + rebalancer.status());

            assertTrue(cluster.nodes.drain("n3").isPresent());
            HashRing withoutN3 = cluster.ring();
            // The way back is blocked while the old copies are 'deleting': the pass reports them busy.
            Poll.until(Duration.ofSeconds(20), () -> rebalancer.lastPass().map(r -> r.ringEpoch() == withoutN3.epoch()).orElse(false)
                    && !rebalancer.status().running(), () -> "pass after drain: " + rebalancer.lastPass());
            PassReport blocked = rebalancer.lastPass().orElseThrow();
            assertEquals(toN3, blocked.busy(), "owners still hold copies being deleted: " + blocked);
            assertEquals(0, blocked.moved());
            assertEquals(toN3, rebalancer.status().chunksLeft(), "blocked chunks are still left: " + rebalancer.status());

            assertEquals(toN3, cluster.reapDeleting());
            PassReport back = rebalancer.requestPass().join().orElseThrow();
            assertEquals(toN3, back.moved(), "chunks return to their owners: " + back);
            assertTrue(cluster.allOnOwners(placed), "after drain: " + cluster.locations());
            assertEquals(0, rebalancer.status().chunksLeft());
            for (PlacedChunk p : placed) {
                cluster.readBack(p);
            }
            assertEquals(2 * toN3, cluster.movedEvents().size());
        }
    }
}
