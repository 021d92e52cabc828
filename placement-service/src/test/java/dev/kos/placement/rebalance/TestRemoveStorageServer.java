package dev.kos.placement.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.LocationState;
import dev.kos.testkit.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator drains a node: all of its chunks move to the remaining nodes, after which the node
 * can be stopped and removed with nothing lost.
 */
class TestRemoveStorageServer {
    @TempDir
    Path dir;

    @Test
    void drainedNodeEmptiesThenStopsWithNothingLost() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            for (String n : List.of("n1", "n2", "n3", "n4")) {
                cluster.startNode(n);
            }
            List<PlacedChunk> placed = new ArrayList<>();
            for (int f = 0; f < 3; f++) {
                placed.addAll(cluster.storeFile(20, 8 * 1024));
            }
            List<String> onN2 = placed.stream().map(PlacedChunk::chunkId)
                    .filter(id -> cluster.storedOn(id).equals(List.of("n2"))).toList();
            assertTrue(!onN2.isEmpty(), "n2 holds chunks to start with");
            Rebalancer rebalancer = cluster.rebalancer(RebalanceCluster.fastConfig());

            assertTrue(cluster.nodes.drain("n2").isPresent());
            Poll.until(Duration.ofSeconds(60), () -> cluster.allOnOwners(placed),
                    () -> "not drained: " + cluster.locations() + ", status " + rebalancer.status());

            Map<String, Map<String, LocationState>> after = cluster.locations();
            for (String id : onN2) {
                assertEquals(LocationState.DELETING, after.get(id).get("n2"), "n2's old copy of " + id + " goes to the reaper");
                assertTrue(!cluster.storedOn(id).contains("n2"));
            }
            assertEquals(onN2.size(), cluster.movedEvents().size());
            assertTrue(cluster.movedEvents().stream().allMatch(e -> e.getFromNode().equals("n2") && !e.getToNode().equals("n2")));

            // The reaper empties it; then it is stopped and removed, and every chunk still reads.
            assertEquals(onN2.size(), cluster.reapDeleting());
            for (String id : onN2) {
                assertTrue(!cluster.nodeHas("n2", id), id + " deleted from n2's disk");
            }
            cluster.stopNode("n2");
            assertTrue(cluster.nodes.remove("n2").isPresent());
            for (PlacedChunk p : placed) {
                cluster.readBack(p);
            }
            PassReport last = rebalancer.requestPass().join().orElseThrow();
            assertEquals(0, last.found(), "nothing left after the removal: " + last);
        }
    }
}
