package dev.kos.placement.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.LocationState;
import dev.kos.ring.HashRing;
import dev.kos.schemas.events.v1.ChunkMoved;
import dev.kos.testkit.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node joins a running cluster: the ring change alone (no explicit request) makes the
 * rebalancer move the new node's share of the old chunks to it and only to it; new chunks land
 * on it directly; every chunk reads back intact; the old copies are handed to the reaper.
 */
class TestAddStorageServer_Dynamic {
    @TempDir
    Path dir;

    @Test
    void newNodeReceivesItsShareOfOldChunksAndNothingElseMoves() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            for (String n : List.of("n1", "n2", "n3")) {
                cluster.startNode(n);
            }
            List<PlacedChunk> placed = new ArrayList<>();
            for (int f = 0; f < 4; f++) {
                placed.addAll(cluster.storeFile(15, 16 * 1024));
            }
            Map<String, Map<String, LocationState>> before = cluster.locations();
            Rebalancer rebalancer = cluster.rebalancer(RebalanceCluster.fastConfig());
            PassReport first = rebalancer.requestPass().join().orElseThrow();
            assertEquals(0, first.found(), "a balanced cluster has nothing to move: " + first);

            cluster.startNode("n4");
            HashRing ring = cluster.ring();
            List<PlacedChunk> toNewNode = placed.stream()
                    .filter(p -> ring.owner(p.chunkId()).orElseThrow().nodeId().equals("n4")).toList();
            // About 1/4 of 60 with 150 virtual nodes; the exact share is the ring's, asserted below.
            assertTrue(toNewNode.size() >= 5 && toNewNode.size() <= 30, "n4's share: " + toNewNode.size());

            Poll.until(Duration.ofSeconds(60), () -> cluster.allOnOwners(placed),
                    () -> "chunks not on their owners: " + cluster.locations() + ", status " + rebalancer.status());
            Poll.until(Duration.ofSeconds(10), () -> rebalancer.status().chunksLeft() == 0 && !rebalancer.status().running(),
                    () -> "progress: " + rebalancer.status());

            Map<String, Map<String, LocationState>> after = cluster.locations();
            for (PlacedChunk p : placed) {
                String oldNode = before.get(p.chunkId()).keySet().iterator().next();
                Map<String, LocationState> now = after.get(p.chunkId());
                if (toNewNode.contains(p)) {
                    assertEquals(Map.of("n4", LocationState.STORED, oldNode, LocationState.DELETING), now,
                            "moved chunk " + p.chunkId());
                    assertTrue(cluster.nodeHas("n4", p.chunkId()), p.chunkId() + " on n4's disk");
                } else {
                    assertEquals(before.get(p.chunkId()), now, "chunk " + p.chunkId() + " must not move");
                }
                cluster.readBack(p);
            }
            List<ChunkMoved> events = cluster.movedEvents();
            assertEquals(toNewNode.stream().map(PlacedChunk::chunkId).sorted().toList(),
                    events.stream().map(ChunkMoved::getChunkId).sorted().toList(), "one chunk_moved per moved chunk");
            assertTrue(events.stream().allMatch(e -> e.getToNode().equals("n4") && e.getSize() == 16 * 1024), "events: " + events);
            assertEquals(toNewNode.size(), rebalancer.status().chunksDone());
            assertEquals(toNewNode.size() * 16L * 1024, rebalancer.status().bytesDone());

            // New chunks go to the new ring's owners, n4 included, and need no move. A chunk id lands
            // on n4 with n4's share of the ring (about a quarter), so twenty of them all miss it once
            // in a few hundred runs: files are added until one lands there, a hundred chunks at most
            // (all missing by chance: ~1e-12).
            List<PlacedChunk> fresh = new ArrayList<>();
            for (int f = 0; f < 5 && fresh.stream().noneMatch(p -> cluster.storedOn(p.chunkId()).equals(List.of("n4"))); f++) {
                fresh.addAll(cluster.storeFile(20, 4096));
            }
            assertTrue(fresh.stream().anyMatch(p -> cluster.storedOn(p.chunkId()).equals(List.of("n4"))),
                    "some new chunk lands on n4: " + fresh.stream().map(p -> cluster.storedOn(p.chunkId())).collect(Collectors.toList()));
            Optional<PassReport> again = rebalancer.requestPass().join();
            assertEquals(0, again.orElseThrow().found(), "nothing left to move: " + again);
        }
    }
}
