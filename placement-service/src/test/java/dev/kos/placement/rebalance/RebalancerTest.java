package dev.kos.placement.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.ring.HashRing;
import dev.kos.schemas.events.v1.ChunkMoved;
import dev.kos.testkit.Poll;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rebalancing edge cases on real PostgreSQL and real storage nodes. */
class RebalancerTest {
    @TempDir
    Path dir;

    private static List<PlacedChunk> ownedBy(HashRing ring, List<PlacedChunk> placed, String node) {
        return placed.stream().filter(p -> ring.owner(p.chunkId()).orElseThrow().nodeId().equals(node)).toList();
    }

    @Test
    void restartMidPassFinishesTheJobWithoutDuplicates() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            for (String n : List.of("n1", "n2", "n3")) {
                cluster.startNode(n);
            }
            // 96 chunks: n4's share of the ring varies with its virtual nodes' points (seen: 5 of 48
            // chunks, too few to interrupt); at 96 fewer than 6 is vanishingly rare.
            List<PlacedChunk> placed = cluster.storeFile(96, 32 * 1024);
            cluster.startNode("n4");
            List<PlacedChunk> toN4 = ownedBy(cluster.ring(), placed, "n4");
            assertTrue(toN4.size() >= 6, "enough work to interrupt: " + toN4.size());

            // Slow: about two chunks per second, so the pass is surely mid-way when stopped.
            Rebalancer first = cluster.rebalancer(RebalanceCluster.fastConfig().withMaxBytesPerSecond(64 * 1024));
            Poll.until(Duration.ofSeconds(30), () -> first.status().chunksDone() >= 2, () -> "first moves: " + first.status());
            first.close();
            long doneByFirst = first.status().chunksDone();
            assertTrue(doneByFirst < toN4.size(), "stopped mid-pass: " + doneByFirst + " of " + toN4.size());

            Rebalancer second = cluster.rebalancer(RebalanceCluster.fastConfig());
            Poll.until(Duration.ofSeconds(60), () -> cluster.allOnOwners(placed),
                    () -> "after restart: " + cluster.locations() + ", " + second.status());
            Poll.until(Duration.ofSeconds(10), () -> !second.status().running(), () -> "second pass ends: " + second.status());

            List<String> moved = cluster.movedEvents().stream().map(ChunkMoved::getChunkId).sorted().toList();
            assertEquals(toN4.stream().map(PlacedChunk::chunkId).sorted().toList(), moved, "exactly one chunk_moved per moved chunk");
            assertEquals(toN4.size(), doneByFirst + second.status().chunksDone(), "the second did what the first left, no more");
            Map<String, Map<String, LocationState>> locations = cluster.locations();
            assertTrue(locations.values().stream().noneMatch(m -> m.containsValue(LocationState.COPYING)), "no copy left half-way");
            for (PlacedChunk p : toN4) {
                assertEquals(1, locations.get(p.chunkId()).values().stream().filter(LocationState.STORED::equals).count());
                assertEquals(2, locations.get(p.chunkId()).size(), "n4 stored plus the old copy deleting: " + locations.get(p.chunkId()));
            }
            for (PlacedChunk p : placed) {
                cluster.readBack(p);
            }
        }
    }

    @Test
    void readsNeverFailDuringARebalanceAndTheThrottleHolds() throws Exception {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            for (String n : List.of("n1", "n2", "n3")) {
                cluster.startNode(n);
            }
            List<PlacedChunk> placed = cluster.storeFile(32, 64 * 1024);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().name("download-like-reader").start(() -> {
                while (!stop.get() && failure.get() == null) {
                    for (PlacedChunk p : placed) {
                        try {
                            cluster.readBack(p);
                            reads.incrementAndGet();
                        } catch (Throwable t) {
                            failure.set(t);
                            return;
                        }
                    }
                }
            });
            long rate = 256 * 1024;
            Rebalancer rebalancer = cluster.rebalancer(RebalanceCluster.fastConfig().withMaxBytesPerSecond(rate));
            rebalancer.requestPass().join();
            cluster.startNode("n4");
            long toN4 = ownedBy(cluster.ring(), placed, "n4").size();
            Poll.until(Duration.ofSeconds(60), () -> rebalancer.lastPass().map(r -> r.moved() == toN4).orElse(false),
                    () -> "moves: " + rebalancer.status());
            long readsDuring = reads.get();
            stop.set(true);
            reader.join(Duration.ofSeconds(30));
            if (failure.get() != null) {
                throw new AssertionError("a read failed during the rebalance", failure.get());
            }
            // How many reads fit in the window depends on scheduling (two cores, loaded); what matters
            // is that reads ran concurrently with the moves and none failed (checked above).
            assertTrue(readsDuring > 0, "the reader ran during the rebalance: " + readsDuring + " reads");
            assertTrue(cluster.allOnOwners(placed));

            // Bytes over time: the lower bound on the time is what the limit implies; a slow machine only adds time.
            PassReport pass = rebalancer.lastPass().orElseThrow();
            double minSeconds = (pass.bytesMoved() - rate) / (double) rate; // the first second's worth is the burst
            assertTrue(pass.took().toMillis() / 1000.0 >= minSeconds * 0.95,
                    pass.bytesMoved() + " bytes in " + pass.took() + " is faster than " + rate + " B/s");
        }
    }

    @Test
    void aFailedNodeWaitsForItsGraceThenItsUnreadableChunksAreReportedNotLost() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            for (String n : List.of("n1", "n2", "n3")) {
                cluster.startNode(n);
            }
            List<PlacedChunk> placed = cluster.storeFile(30, 4096);
            List<PlacedChunk> onN3 = ownedBy(cluster.ring(), placed, "n3");
            assertTrue(!onN3.isEmpty());
            cluster.stopNode("n3");
            cluster.db.withConnection(c -> c.createStatement().executeUpdate(
                    "UPDATE storage_nodes SET last_heartbeat = now() - interval '1 hour' WHERE node_id = 'n3'"));
            Poll.until(Duration.ofSeconds(10), () -> cluster.ring().members().size() == 2, () -> "n3 swept: " + cluster.ring());
            Map<String, Map<String, LocationState>> before = cluster.locations();

            Rebalancer patient = cluster.rebalancer(RebalanceCluster.fastConfig().withFailedGrace(Duration.ofHours(1)));
            PassReport waiting = patient.requestPass().join().orElseThrow();
            assertEquals(onN3.size(), waiting.waiting(), "within the grace n3 may come back: " + waiting);
            assertEquals(0, waiting.found());
            assertEquals(before, cluster.locations());
            patient.close();

            Rebalancer impatient = cluster.rebalancer(RebalanceCluster.fastConfig().withFailedGrace(Duration.ZERO));
            PassReport stuck = impatient.requestPass().join().orElseThrow();
            assertEquals(onN3.size(), stuck.found());
            assertEquals(onN3.size(), stuck.noSource(), "no other copy to read from: " + stuck);
            assertEquals(0, stuck.moved());
            assertEquals(before, cluster.locations(), "nothing claimed, nothing marked for deletion");
            assertEquals(onN3.size(), impatient.status().chunksStuck());
            assertEquals(onN3.size(), impatient.status().chunksLeft());
        }
    }

    @Test
    void onlyChunksOfCompletedFilesMove() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            cluster.startNode("n1");
            cluster.startNode("n2");
            List<PlacedChunk> completed = cluster.storeFile(20, 2048);
            // Chunk ids follow random file ids: with 20 chunks a file now and then had none that n3
            // comes to own (seen once in CI), and the test below needs some of both kinds there.
            List<PlacedChunk> uploading = cluster.storeFile(64, 2048, false);
            List<PlacedChunk> deleting = cluster.storeFile(64, 2048);
            boolean marked = cluster.db.inTransaction(c -> cluster.files.transition(c, deleting.getFirst().fileId(), FileStatus.DELETING));
            assertTrue(marked, "file marked deleting");
            Map<String, Map<String, LocationState>> before = cluster.locations();
            cluster.startNode("n3");
            HashRing ring = cluster.ring();
            assertTrue(!ownedBy(ring, uploading, "n3").isEmpty() && !ownedBy(ring, deleting, "n3").isEmpty());

            Rebalancer rebalancer = cluster.rebalancer(RebalanceCluster.fastConfig());
            Poll.until(Duration.ofSeconds(30), () -> cluster.allOnOwners(completed), () -> "completed file: " + cluster.locations());
            PassReport pass = rebalancer.requestPass().join().orElseThrow();
            assertEquals(0, pass.found(), "nothing else is work: " + pass);
            assertEquals(Optional.of(pass.took()), rebalancer.status().lastPassTook(), "the last pass's duration, as metrics show it");
            Map<String, Map<String, LocationState>> after = cluster.locations();
            for (PlacedChunk p : uploading) {
                assertEquals(before.get(p.chunkId()), after.get(p.chunkId()), "uploading file's chunk " + p.chunkId());
            }
            for (PlacedChunk p : deleting) {
                assertEquals(before.get(p.chunkId()), after.get(p.chunkId()), "deleting file's chunk " + p.chunkId());
            }
            assertEquals(ownedBy(ring, completed, "n3").size(), cluster.movedEvents().size());
        }
    }

    @Test
    void interruptedMovesAreResumedWhereTheOwnerStillIsAndAbandonedElsewhere() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            cluster.startNode("n1");
            cluster.startNode("n2");
            List<PlacedChunk> placed = cluster.storeFile(64, 4096); // so that n3 surely comes to own some
            cluster.startNode("n3");
            HashRing ring = cluster.ring();
            PlacedChunk resumed = ownedBy(ring, placed, "n3").getFirst();
            PlacedChunk stale = ownedBy(ring, placed, "n1").getFirst();
            // A crash after the claim and the put (bytes on n3, row still copying) ...
            cluster.db.withConnection(c -> cluster.chunks.addLocation(c, resumed.chunkId(), "n3", LocationState.COPYING));
            cluster.clients.client(cluster.address("n3")).put(resumed.chunkId(), ByteBuffer.wrap(resumed.data()), resumed.crc32c(),
                    Duration.ofSeconds(10));
            // ... and one to a node that is no longer the owner (the ring moved on before the restart).
            String notOwner = "n1".equals(cluster.storedOn(stale.chunkId()).getFirst()) ? "n2" : "n1";
            if (cluster.storedOn(stale.chunkId()).contains(notOwner) || notOwner.equals(ring.owner(stale.chunkId()).orElseThrow().nodeId())) {
                notOwner = "n3";
            }
            String abandonedOn = notOwner;
            cluster.db.withConnection(c -> cluster.chunks.addLocation(c, stale.chunkId(), abandonedOn, LocationState.COPYING));

            Rebalancer rebalancer = cluster.rebalancer(RebalanceCluster.fastConfig());
            Poll.until(Duration.ofSeconds(30), () -> cluster.allOnOwners(placed) && rebalancer.lastPass().isPresent(),
                    () -> "placement: " + cluster.locations());
            PassReport pass = rebalancer.lastPass().orElseThrow();
            assertEquals(1, pass.abandonedCopies(), "the stale claim goes to the reaper: " + pass);
            assertEquals(LocationState.DELETING, cluster.locations().get(stale.chunkId()).get(abandonedOn));
            assertEquals(LocationState.STORED, cluster.locations().get(resumed.chunkId()).get("n3"));
            Set<String> seen = new HashSet<>();
            for (ChunkMoved e : cluster.movedEvents()) {
                assertTrue(seen.add(e.getChunkId()), "one chunk_moved per chunk: " + e);
            }
            assertTrue(seen.contains(resumed.chunkId()));
            cluster.readBack(resumed);
        }
    }

    @Test
    void oneInstanceRebalancesAtATime() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            cluster.startNode("n1");
            // Taken first: the rebalancer's own start-up pass would otherwise race for it.
            Optional<RebalanceLock> other = RebalanceLock.tryAcquire(cluster.db);
            assertTrue(other.isPresent());
            Rebalancer rebalancer = cluster.rebalancer(RebalanceCluster.fastConfig());
            List<Optional<PassReport>> whileHeld = new ArrayList<>();
            try (RebalanceLock held = other.get()) {
                whileHeld.add(rebalancer.requestPass().join());
            }
            assertEquals(List.of(Optional.empty()), whileHeld, "another instance's pass blocks this one");
            assertTrue(rebalancer.requestPass().join().isPresent(), "released: this instance runs");
        }
    }
}
