package dev.kos.e2e;

import dev.kos.testkit.Poll;
import static dev.kos.e2e.Checks.assertDownloads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Uploads that a client, a storage node or the network interrupts, and one watched while it runs. */
@ExtendWith(SharedStack.class)
@Timeout(180)
class InterruptedUploadTest {
    private static final long MIB = 1L << 20;
    private static final Set<String> ENDED_UNREADABLE = Set.of("failed", "deleted");
    private final TestStack s = SharedStack.stack();

    private UUID awaitFileRow(String name) {
        return Poll.until(Duration.ofSeconds(15), "a file row named " + name, () -> s.db.fileNamed(name),
                Optional::isPresent).orElseThrow();
    }

    /**
     * The file failed, nobody can read it, and its recorded chunks leave every disk. With
     * {@code orphansToo}, also the chunk that was in flight when the upload broke (no row: the
     * orphan collector's job, after its grace period).
     */
    private void assertNothingVisible(UUID id, boolean orphansToo) {
        List<java.nio.file.Path> recorded = s.db.locations(id).stream().filter(l -> l.nodeId() != null)
                .map(l -> s.chunkFile(l.nodeId(), l.chunkId())).toList();
        String status = Poll.until(Duration.ofSeconds(20), "file " + id + " failed", () -> s.db.fileStatus(id).orElse("?"),
                ENDED_UNREADABLE::contains);
        KosClient.Download d = s.client.download(id);
        assertNotEquals(200, d.status(), "an interrupted upload is never readable");
        assertTrue(d.status() == 409 || d.status() == 404, () -> "download of a " + status + " file: " + d);
        KosClient.Response listed = s.client.get("/files?status=completed&per_page=100");
        assertFalse(listed.body().contains(id.toString()), "an interrupted upload is never listed as completed");
        Poll.until(Duration.ofSeconds(30), () -> s.db.sessionCount(id) == 0, "no upload session left for " + id);
        Poll.until(Duration.ofSeconds(30), () -> recorded.stream().noneMatch(java.nio.file.Files::exists),
                "recorded chunk files of " + id + " gone from every node");
        if (orphansToo) {
            Poll.until(SharedStack.ORPHAN_GRACE.plusSeconds(30), "every chunk file of " + id + " gone from every node",
                    () -> s.chunkFilesOnDisk(id), List::isEmpty);
        }
    }

    @Test
    void TestInterruptedUpload_ClientDisconnect() throws Exception {
        String name = KosClient.uniqueName("disconnect");
        SeededData data = SeededData.of(500, 4 * MIB);
        UUID id;
        try (RawUpload upload = RawUpload.start(s.stack.gatewayUrl(), name, data.size())) {
            upload.send(data, 2 * MIB + MIB / 2);
            id = awaitFileRow(name);
            UUID fileId = id;
            // A chunk already recorded makes the hang-up a real mid-upload one, with something to clean.
            // (The gateway records chunk k once chunk k+1 is read, so 2.5 MiB sent gives one row.)
            Poll.until(Duration.ofSeconds(30), () -> s.db.chunkCount(fileId) >= 1, "a chunk stored");
        } // hangs up with 1.5 MiB never sent
        assertNothingVisible(id, true);
    }

    @Test
    void TestInterruptedUpload_NetworkTimeout() throws Exception {
        String name = KosClient.uniqueName("stall");
        SeededData data = SeededData.of(600, 4 * MIB);
        try (RawUpload upload = RawUpload.start(s.stack.gatewayUrl(), name, data.size())) {
            upload.send(data, MIB + MIB / 2);
            long stalledAt = System.nanoTime();
            // The client now sends nothing and keeps the connection open.
            Optional<Integer> status = upload.awaitStatus(30_000);
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stalledAt);
            assertTrue(status.isEmpty() || status.get() == 408, () -> "a stalled upload ends with 408 or a close, got " + status);
            long idleMillis = Duration.parse("PT" + SharedStack.IDLE_TIMEOUT.toUpperCase()).toMillis();
            assertTrue(waitedMillis >= idleMillis - 500, () -> "ended after " + waitedMillis + " ms, before the idle timeout");
        }
        assertNothingVisible(awaitFileRow(name), false);
    }

    @Test
    void TestUploadProgress() throws Exception {
        String name = KosClient.uniqueName("progress");
        SeededData data = SeededData.throttled(700, 6 * MIB, 2 * MIB);
        CompletableFuture<KosClient.Response> upload = CompletableFuture.supplyAsync(() -> s.client.upload(name, data));
        UUID id = awaitFileRow(name);

        List<String> seen = new ArrayList<>();
        boolean listedWhileUploading = false;
        while (!upload.isDone()) {
            KosClient.Response m = s.client.metadata(id);
            assertEquals(200, m.status(), m::toString);
            String status = (String) m.json().get("status");
            if (seen.isEmpty() || !seen.getLast().equals(status)) {
                seen.add(status);
            }
            if (status.equals("uploading")) {
                listedWhileUploading |= s.client.get("/files?status=uploading&per_page=100").body().contains(id.toString());
            }
            Poll.until(Duration.ofSeconds(1), () -> true, "the next probe"); // no busy loop: metadata every ~100 ms
        }
        KosClient.Response done = upload.get();
        assertEquals(201, done.status(), done::toString);
        String finalStatus = (String) s.client.metadata(id).json().get("status");
        if (!seen.getLast().equals(finalStatus)) {
            seen.add(finalStatus);
        }
        List<String> order = List.of("pending", "uploading", "completed");
        assertTrue(seen.contains("uploading"), () -> "never saw the upload in progress: " + seen);
        assertEquals("completed", seen.getLast(), () -> "transitions " + seen);
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(order.indexOf(seen.get(i)) > order.indexOf(seen.get(i - 1)), "transitions only move forward: " + seen);
        }
        assertTrue(listedWhileUploading, "the listing's status filter showed the upload while it ran");
        assertDownloads(s.client, id, data.size(), data.sha256Hex());
    }

    @Test
    void TestInterruptedUpload_ServerCrash() throws Exception {
        long size = 32 * MIB;
        int chunks = (int) (size / SharedStack.CHUNK_SIZE);
        // The victim must hold no chunk of the file when it dies, nor any that may be on it already
        // though not yet recorded: the gateway records a chunk once it has read the next, one more
        // is in flight, and the upload goes on (a chunk every ~170 ms) while the victim is picked and
        // killed. When the ring sends those first chunks to every node, no node qualifies, and the
        // test starts another file (its ids, hence its owners, differ).
        SeededData data = null;
        CompletableFuture<KosClient.Response> upload = null;
        UUID id = null;
        Optional<String> pick = Optional.empty();
        for (int attempt = 0; pick.isEmpty(); attempt++) {
            assertTrue(attempt < 3, "three files in a row had a chunk on every node within their first chunks");
            if (upload != null) {
                assertEquals(201, upload.get(60, TimeUnit.SECONDS).status(), "the passed-over upload completes");
            }
            String name = KosClient.uniqueName("crash");
            SeededData sent = SeededData.throttled(800 + attempt, size, 6 * MIB);
            data = sent;
            upload = CompletableFuture.supplyAsync(() -> s.client.upload(name, sent));
            UUID fileId = awaitFileRow(name);
            id = fileId;
            int stored = Poll.until(Duration.ofSeconds(15), "two chunks stored", () -> s.db.chunkCount(fileId), n -> n >= 2);
            pick = busiestNodeAhead(fileId, stored + 3, chunks);
        }
        String victim = pick.get();
        UUID fileId = id;
        assertTrue(s.db.locations(fileId).stream().noneMatch(l -> victim.equals(l.nodeId())));
        s.stack.kill(victim);
        try {
            assertFalse(upload.isDone(), "the node died while the upload was still running");
            KosClient.Response done = upload.get(60, TimeUnit.SECONDS);
            assertEquals(201, done.status(), done::toString);
            assertEquals(data.sha256Hex(), done.json().get("sha256"));

            HashRing fullRing = ringOf(s.db.nodes().stream().map(StackDb.NodeRow::nodeId).toList());
            List<StackDb.Location> locations = s.db.locations(fileId);
            assertEquals(size / SharedStack.CHUNK_SIZE, locations.stream().map(StackDb.Location::chunkId).distinct().count());
            long rerouted = locations.stream().filter(l -> fullRing.owner(l.chunkId()).orElseThrow().nodeId().equals(victim))
                    .count();
            assertTrue(rerouted > 0, "some chunks belonged to the killed node and went elsewhere");
            assertTrue(locations.stream().noneMatch(l -> victim.equals(l.nodeId())), () -> "a chunk is on the dead node: "
                    + locations);
            // Readable while the node is still down: every chunk went to a live node.
            assertDownloads(s.client, fileId, size, data.sha256Hex());
        } finally {
            s.restartNode(victim, TestStack.NODES);
        }
    }

    /**
     * The node that owns most chunks from index {@code from} on and none before it (those may be
     * stored already though not yet recorded, and must not be lost with the node).
     */
    private Optional<String> busiestNodeAhead(UUID fileId, int from, int chunks) {
        List<String> active = s.db.nodes().stream().filter(n -> n.status().equals("active")).map(StackDb.NodeRow::nodeId)
                .toList();
        HashRing ring = ringOf(active);
        Set<String> holding = new HashSet<>();
        s.db.locations(fileId).forEach(l -> holding.add(l.nodeId()));
        Map<String, Integer> owned = new HashMap<>();
        String prefix = fileId.toString().replace("-", "") + "-";
        for (int i = 0; i < from; i++) {
            holding.add(ring.owner(prefix + String.format("%06d", i)).orElseThrow().nodeId());
        }
        for (int i = from; i < chunks; i++) {
            String owner = ring.owner(prefix + String.format("%06d", i)).orElseThrow().nodeId();
            if (!holding.contains(owner)) {
                owned.merge(owner, 1, Integer::sum);
            }
        }
        return owned.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey);
    }

    private static HashRing ringOf(List<String> nodeIds) {
        Set<RingNode> nodes = new LinkedHashSet<>();
        // Placement depends on the node ids only; the address is not hashed.
        nodeIds.forEach(n -> nodes.add(RingNode.of(n, "unused:0")));
        return HashRing.of(0, nodes);
    }
}
