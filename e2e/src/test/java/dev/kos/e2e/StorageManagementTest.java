package dev.kos.e2e;

import dev.kos.testkit.Poll;
import static dev.kos.e2e.Checks.assertDownloads;
import static dev.kos.e2e.Checks.uploadCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Nodes joining and leaving, and the rebalancer moving chunks to their ring owners (issue 5).
 * Its own stack, not the shared one: the tests change membership for good (a node added, one
 * drained and removed), which would skew every later class's placement and node counts.
 * Each test makes its own change relative to what it finds, so any one can run alone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(180)
class StorageManagementTest {
    private static final long CHUNK_SIZE = 1L << 20;
    /** Six chunks per file: ten files give 60 chunks, so a 7th node owns some with near certainty ((6/7)^60). */
    private static final long FILE_SIZE = 6 * CHUNK_SIZE;
    private static final Duration JOIN = Duration.ofSeconds(30);
    /** Moves run at 200 MiB/s, passes every 2 s, the reaper every second: tens of MiB converge in seconds. */
    private static final Duration CONVERGE = Duration.ofSeconds(90);

    private static TestStack s;

    private record Uploaded(UUID id, SeededData data) {
    }

    @BeforeAll
    static void startStack() {
        s = TestStack.start("storage-mgmt", Map.of(
                "KOS_GATEWAY_CHUNK_SIZE", String.valueOf(CHUNK_SIZE),
                "KOS_REBALANCE_INTERVAL", "2s",
                "KOS_REBALANCE_MAX_BYTES_PER_SECOND", "200MiB",
                "KOS_CLEANUP_REAP_INTERVAL", "1s"));
    }

    @AfterAll
    static void stopStack() {
        if (s != null) {
            s.close();
        }
    }

    @Test
    @Order(0)
    void theLocalStackFinalizesOnOneStreamThread() {
        // The local stack's choice for its embedded PostgreSQL, which does not wait for WAL
        // flushes, so more threads would overlap nothing (LocalStack); the service's default is 3.
        Map<String, Object> finalizer = Poll.until(CONVERGE, "the placement service's finalizer running",
                () -> placementHealth("finalizer"), f -> "running".equals(f.get("state")));
        assertEquals(1L, ((Number) finalizer.get("stream_threads")).longValue(), finalizer::toString);
    }

    @Test
    @Order(1)
    void TestAddStorageServer_Dynamic() throws IOException {
        String newcomer = TestStack.node(7);
        List<Uploaded> old = uploadFiles("before-join", 10, 1_700);
        Map<String, String> before = storedPlacement(old);
        assertEquals(old.size() * (FILE_SIZE / CHUNK_SIZE), before.size(), () -> "one stored copy per chunk: " + before);

        long activeBefore = s.activeNodesInRing();
        s.stack.addNode(7);
        Poll.until(JOIN, () -> s.db.node(newcomer).map(n -> n.status().equals("active")).orElse(false),
                newcomer + " active in the database");
        Poll.until(JOIN, (activeBefore + 1) + " nodes in the gateway's ring", s::activeNodesInRing, n -> n == activeBefore + 1);

        // New uploads follow the new ring: every chunk on its owner, and some owners are the newcomer.
        List<Uploaded> fresh = new ArrayList<>();
        boolean landedOnNewcomer = false;
        for (int i = 0; i < 8 && !landedOnNewcomer; i++) {
            Uploaded u = uploadFiles("after-join", 1, 1_800 + i).get(0);
            fresh.add(u);
            HashRing ring = ringFromDb();
            for (StackDb.Location l : s.db.locations(u.id())) {
                String owner = ring.owner(l.chunkId()).orElseThrow().nodeId();
                assertEquals(owner, l.nodeId(), () -> "new chunk " + l + " is not on its ring owner " + owner);
                landedOnNewcomer |= newcomer.equals(l.nodeId());
            }
        }
        assertTrue(landedOnNewcomer, () -> "no chunk of " + fresh.size() + " new uploads landed on " + newcomer);

        // Its share of the old chunks moves to it; nothing else moves.
        Poll.until(CONVERGE, "old chunks on their ring owners", () -> misplaced(idsOf(old)), List::isEmpty);
        Map<String, String> after = storedPlacement(old);
        Map<String, String> moved = new TreeMap<>();
        before.forEach((chunk, from) -> {
            String to = after.get(chunk);
            if (!from.equals(to)) {
                moved.put(chunk, from + " -> " + to);
                assertEquals(newcomer, to, () -> "chunk " + chunk + " moved from " + from + " to " + to + ", not to " + newcomer);
            }
        });
        assertFalse(moved.isEmpty(), "none of " + before.size() + " old chunks moved to " + newcomer);
        for (String chunk : moved.keySet()) {
            Path oldCopy = s.chunkFile(before.get(chunk), chunk);
            Poll.until(CONVERGE, () -> !Files.exists(oldCopy), "old copy " + oldCopy + " deleted");
            assertTrue(Files.isRegularFile(s.chunkFile(newcomer, chunk)), () -> "moved chunk " + chunk + " not on " + newcomer + "'s disk");
        }
        // One copy per chunk across all disks: no leftover of a move anywhere.
        for (Uploaded u : old) {
            Poll.until(CONVERGE, "one copy per chunk of " + u.id() + " on disk", () -> s.chunkFilesOnDisk(u.id()).size(),
                    n -> n == FILE_SIZE / CHUNK_SIZE);
        }
        for (Uploaded u : concat(old, fresh)) {
            assertDownloads(s.client, u.id(), u.data().size(), u.data().sha256Hex());
        }
    }

    @Test
    @Order(2)
    void TestRemoveStorageServer() throws IOException {
        List<Uploaded> files = uploadFiles("before-drain", 6, 2_700);
        // The node holding most of these chunks, so the drain has something to move.
        Map<String, Long> perNode = storedPlacement(files).values().stream()
                .collect(Collectors.groupingBy(n -> n, TreeMap::new, Collectors.counting()));
        String victim = perNode.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        int victimIndex = Integer.parseInt(victim.substring("node-".length()));
        assertFalse(chunkFilesOn(victimIndex).isEmpty(), () -> victim + " holds no chunk file before the drain");

        long activeBefore = s.activeNodesInRing();
        Map<String, Object> drained = admin("drain", victim);
        assertEquals("draining", drained.get("status"), drained::toString);
        assertEquals(Boolean.TRUE, drained.get("changed"), drained::toString);
        assertEquals("draining", s.db.node(victim).orElseThrow().status());
        Poll.until(JOIN, "the gateway's ring without " + victim, s::activeNodesInRing, n -> n == activeBefore - 1);

        Poll.until(CONVERGE, "no location left on " + victim, () -> locationsOn(victim), n -> n == 0);
        Poll.until(CONVERGE, "no chunk file left on " + victim + "'s disk", () -> chunkFilesOn(victimIndex), List::isEmpty);
        assertEquals(List.of(), misplaced(idsOf(files)), "every chunk on its ring owner after the drain");

        s.stack.stop(victim);
        Map<String, Object> removed = admin("remove", victim);
        assertEquals("removed", removed.get("status"), removed::toString);
        assertEquals(Boolean.TRUE, removed.get("changed"), removed::toString);
        assertEquals("removed", s.db.node(victim).orElseThrow().status());
        assertEquals(activeBefore - 1, s.activeNodesInRing());

        for (UUID id : s.db.filesWithStatus("completed")) {
            KosClient.Download d = s.client.download(id);
            assertEquals(200, d.status(), () -> "download of " + id + " after removing " + victim + ": " + d.errorBody());
        }
        for (Uploaded u : files) {
            assertDownloads(s.client, u.id(), u.data().size(), u.data().sha256Hex());
        }
    }

    @Test
    @Order(3)
    void TestHashRingRefresh() throws IOException {
        List<Uploaded> files = uploadFiles("before-refresh", 4, 3_700);
        String newcomer = TestStack.node(8);
        long passesBefore = ((Number) rebalanceHealth().get("passes")).longValue();
        long activeBefore = s.activeNodesInRing();

        s.stack.addNode(8);
        Poll.until(JOIN, () -> s.db.node(newcomer).map(n -> n.status().equals("active")).orElse(false),
                newcomer + " active in the database");
        Poll.until(JOIN, "the gateway's /ready reporting " + (activeBefore + 1) + " active nodes", s::activeNodesInRing,
                n -> n == activeBefore + 1);
        HashRing ring = ringFromDb();
        assertEquals(activeBefore + 1, ring.members().size(), () -> "active nodes in storage_nodes: " + ring.members());
        assertTrue(ring.members().stream().anyMatch(n -> n.nodeId().equals(newcomer)), () -> newcomer + " not in " + ring.members());

        // Every completed file's every chunk, not only this test's: the whole ring converges.
        Poll.until(CONVERGE, "every chunk on its owner in the ring of the active nodes",
                () -> misplaced(s.db.filesWithStatus("completed")), List::isEmpty);
        Map<String, Object> health = Poll.until(CONVERGE, "the rebalancer reporting a finished pass with nothing left",
                this::rebalanceHealth, h -> ((Number) h.get("passes")).longValue() > passesBefore
                        && ((Number) h.get("chunks_left")).longValue() == 0);
        assertEquals(0L, ((Number) health.get("chunks_stuck")).longValue(), health::toString);
        assertEquals(activeBefore + 1, s.activeNodesInRing());
        for (Uploaded u : files) {
            assertDownloads(s.client, u.id(), u.data().size(), u.data().sha256Hex());
        }
    }

    private static List<Uploaded> uploadFiles(String prefix, int count, long firstSeed) {
        List<Uploaded> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SeededData data = SeededData.of(firstSeed + i, FILE_SIZE);
            out.add(new Uploaded(uploadCompleted(s.client, KosClient.uniqueName(prefix), data), data));
        }
        return out;
    }

    private static List<UUID> idsOf(List<Uploaded> files) {
        return files.stream().map(Uploaded::id).toList();
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }

    /** chunk id -> the node of its stored copy; fails when a chunk has no or several stored copies. */
    private static Map<String, String> storedPlacement(List<Uploaded> files) {
        Map<String, String> placement = new LinkedHashMap<>();
        for (Uploaded u : files) {
            for (StackDb.Location l : s.db.locations(u.id())) {
                assertEquals("stored", l.state(), () -> "location " + l + " of " + u.id());
                String previous = placement.put(l.chunkId(), l.nodeId());
                assertEquals(null, previous, () -> "chunk " + l.chunkId() + " stored on " + previous + " and " + l.nodeId());
            }
        }
        return placement;
    }

    /**
     * What keeps the files' chunks from matching the ring of the active nodes in storage_nodes:
     * each chunk must have exactly one location, stored, on its owner. Empty once converged.
     */
    private static List<String> misplaced(List<UUID> fileIds) {
        HashRing ring = ringFromDb();
        List<String> problems = new ArrayList<>();
        for (UUID id : fileIds) {
            Map<String, List<StackDb.Location>> byChunk = s.db.locations(id).stream()
                    .collect(Collectors.groupingBy(StackDb.Location::chunkId, TreeMap::new, Collectors.toList()));
            byChunk.forEach((chunk, locations) -> {
                String owner = ring.owner(chunk).orElseThrow().nodeId();
                StackDb.Location only = locations.get(0);
                if (locations.size() != 1 || !"stored".equals(only.state()) || !owner.equals(only.nodeId())) {
                    problems.add(chunk + " owner " + owner + " has " + locations);
                }
            });
        }
        return problems;
    }

    /** The ring every service should build: the active nodes of storage_nodes with their virtual nodes. */
    private static HashRing ringFromDb() {
        List<RingNode> nodes = s.stack.database().withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT node_id, address, virtual_nodes FROM storage_nodes WHERE status = 'active'");
                 ResultSet rs = ps.executeQuery()) {
                List<RingNode> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new RingNode(rs.getString(1), rs.getString(2), rs.getInt(3)));
                }
                return out;
            }
        });
        return HashRing.of(0, nodes);
    }

    /** Location rows on the node in any state (the reaper deletes a row once the copy is gone). */
    private static int locationsOn(String nodeId) {
        return s.stack.database().withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM chunk_locations WHERE node_id = ?")) {
                ps.setString(1, nodeId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    /** Chunk files in node i's data dir; its own dot-entries (.tmp, .lock) are not chunks. */
    private static List<Path> chunkFilesOn(int i) {
        Path root = s.stack.nodeDataDir(i);
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(Files::isRegularFile)
                    .filter(p -> root.relativize(p).getName(0).toString().charAt(0) != '.')
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** POST /admin/nodes/{id}/{action} on the gateway; asserts 200 and returns the JSON answer. */
    private static Map<String, Object> admin(String action, String nodeId) {
        HttpRequest request = HttpRequest.newBuilder(s.client.uri("/admin/nodes/" + nodeId + "/" + action))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        KosClient.Response r = s.client.send(request);
        assertEquals(200, r.status(), () -> action + " " + nodeId + ": " + r);
        return r.json();
    }

    /** The rebalance section of the placement service's /health. */
    private Map<String, Object> rebalanceHealth() {
        return placementHealth("rebalance");
    }

    /** A section of the placement service's /health (served on the gateway port + 1). */
    private Map<String, Object> placementHealth(String section) {
        int port = URI.create(s.stack.gatewayUrl()).getPort() + 1;
        KosClient.Response r = new KosClient("http://localhost:" + port).get("/health");
        assertEquals(200, r.status(), r::toString);
        @SuppressWarnings("unchecked")
        Map<String, Object> part = (Map<String, Object>) r.json().get(section);
        return new HashMap<>(part);
    }
}
