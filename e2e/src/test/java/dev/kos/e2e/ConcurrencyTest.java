package dev.kos.e2e;

import dev.kos.testkit.Poll;
import static dev.kos.e2e.Checks.assertDownloads;
import static dev.kos.e2e.Checks.uploadCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Many clients at once: uploads, downloads, deletes and listings together, with invariants after each run. */
@ExtendWith(SharedStack.class)
@Timeout(300)
class ConcurrencyTest {
    private static final long MIB = 1L << 20;
    private final TestStack s = SharedStack.stack();

    /** A file this test uploaded, with what it must read back as. */
    record Known(UUID id, long size, String sha256) {
    }

    /** 1-4 MiB, varying by seed so chunk boundaries differ between files. */
    private static long sizeFor(long seed) {
        return MIB + Math.floorMod(seed * 7919 * 1024, 3 * MIB);
    }

    /** Runs the tasks all at once (released together) on virtual threads and returns their results. */
    private static <T> List<T> together(List<Callable<T>> tasks) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> task : tasks) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return task.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        }
    }

    private List<Known> uploadAtOnce(int count, long firstSeed, String prefix) throws Exception {
        List<Callable<Known>> uploads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long seed = firstSeed + i;
            uploads.add(() -> {
                SeededData data = SeededData.of(seed, sizeFor(seed));
                return new Known(uploadCompleted(s.client, KosClient.uniqueName(prefix), data), data.size(), data.sha256Hex());
            });
        }
        return together(uploads);
    }

    private void downloadAtOnce(List<Known> files, int downloads) throws Exception {
        List<Callable<Boolean>> tasks = new ArrayList<>();
        for (int i = 0; i < downloads; i++) {
            Known f = files.get(i % files.size());
            tasks.add(() -> {
                assertDownloads(s.client, f.id(), f.size(), f.sha256());
                return true;
            });
        }
        assertEquals(downloads, together(tasks).size());
    }

    /**
     * What must hold whenever nothing is in flight: every completed file has all its chunks,
     * each with a stored copy whose file exists on its node; no file of ours is left half-way;
     * deleted files have no copy left.
     */
    private void assertInvariants(List<Known> live, Set<UUID> deleted) {
        for (UUID id : s.db.filesWithStatus("completed")) {
            List<StackDb.Location> locations = s.db.locations(id);
            assertTrue(locations.stream().allMatch(l -> "stored".equals(l.state())), () -> "completed " + id + ": " + locations);
            locations.forEach(l -> assertTrue(Files.exists(s.chunkFile(l.nodeId(), l.chunkId())),
                    () -> "completed file " + id + " lost chunk " + l));
        }
        for (Known f : live) {
            assertEquals(java.util.Optional.of("completed"), s.db.fileStatus(f.id()));
            assertEquals(0, s.db.sessionCount(f.id()));
        }
        for (UUID id : deleted) {
            Poll.until(Duration.ofSeconds(30), "deleted file " + id + " without copies on disk", () -> s.chunkFilesOnDisk(id),
                    List::isEmpty);
        }
    }

    @Test
    void TestConcurrentUploads() throws Exception {
        List<Known> files = uploadAtOnce(50, 10_000, "concurrent-up");
        assertEquals(50, files.stream().map(Known::id).distinct().count(), "50 distinct files");
        downloadAtOnce(files, 50);
        assertInvariants(files, Set.of());
    }

    @Test
    void TestConcurrentDownloads() throws Exception {
        List<Known> files = uploadAtOnce(4, 20_000, "concurrent-down");
        downloadAtOnce(files, 100);
        assertInvariants(files, Set.of());
    }

    @Test
    void TestMixedOperations() throws Exception {
        mixedRound(30_000);
    }

    @Test
    void TestRaceConditions() throws Exception {
        for (int round = 0; round < 4; round++) {
            mixedRound(40_000 + round * 100);
            // Two clients deleting the same file at once: exactly one wins.
            Known victim = uploadAtOnce(1, 50_000 + round, "race-delete").getFirst();
            List<Integer> statuses = together(List.<Callable<Integer>>of(
                    () -> s.client.delete(victim.id()).status(), () -> s.client.delete(victim.id()).status(),
                    () -> s.client.delete(victim.id()).status()));
            assertEquals(1, statuses.stream().filter(c -> c == 202).count(), () -> "one delete wins: " + statuses);
            assertTrue(statuses.stream().allMatch(c -> c == 202 || c == 404), () -> "losers see 404: " + statuses);
            assertInvariants(List.of(), Set.of(victim.id()));
        }
    }

    /**
     * Uploads, downloads, deletes and listings at once. A listing never shows a file whose delete
     * was acknowledged before it started, and every completed file it shows that nobody deletes
     * downloads intact.
     */
    private void mixedRound(long seed) throws Exception {
        List<Known> existing = uploadAtOnce(10, seed, "mixed-base");
        List<Known> toDelete = existing.subList(0, 4);
        List<Known> kept = existing.subList(4, 10);
        Map<String, Known> byId = new ConcurrentHashMap<>();
        existing.forEach(f -> byId.put(f.id().toString(), f));
        Set<UUID> deleteAcked = ConcurrentHashMap.newKeySet();
        Set<String> doomed = new HashSet<>();
        toDelete.forEach(f -> doomed.add(f.id().toString()));

        List<Callable<Object>> ops = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            long upSeed = seed + 50 + i;
            ops.add(() -> {
                SeededData data = SeededData.of(upSeed, sizeFor(upSeed));
                Known k = new Known(uploadCompleted(s.client, KosClient.uniqueName("mixed-new"), data), data.size(),
                        data.sha256Hex());
                byId.put(k.id().toString(), k);
                return k;
            });
        }
        for (int i = 0; i < 12; i++) {
            Known f = kept.get(i % kept.size());
            ops.add(() -> {
                assertDownloads(s.client, f.id(), f.size(), f.sha256());
                return f;
            });
        }
        for (Known f : toDelete) {
            ops.add(() -> {
                KosClient.Response r = s.client.delete(f.id());
                assertEquals(202, r.status(), r::toString);
                deleteAcked.add(f.id());
                return r;
            });
        }
        for (int i = 0; i < 8; i++) {
            ops.add(() -> {
                Set<UUID> goneBefore = Set.copyOf(deleteAcked);
                KosClient.Response page = s.client.get("/files?per_page=100");
                assertEquals(200, page.status(), page::toString);
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> listed = (List<Map<String, Object>>) page.json().get("files");
                for (Map<String, Object> f : listed) {
                    String id = (String) f.get("id");
                    assertTrue(goneBefore.stream().noneMatch(g -> g.toString().equals(id)), () -> "deleted file listed: " + id);
                    Known k = byId.get(id);
                    if ("completed".equals(f.get("status")) && k != null && !doomed.contains(id)) {
                        assertDownloads(s.client, k.id(), k.size(), k.sha256());
                    }
                }
                return page;
            });
        }
        together(ops);

        for (Known f : toDelete) {
            assertEquals(404, s.client.download(f.id()).status());
            assertNotEquals(200, s.client.metadata(f.id()).status());
        }
        List<Known> live = new ArrayList<>(kept);
        byId.values().stream().filter(k -> !existing.contains(k)).forEach(live::add);
        assertEquals(16, live.size());
        for (Known f : live) {
            assertDownloads(s.client, f.id(), f.size(), f.sha256());
        }
        Set<UUID> deleted = new HashSet<>();
        toDelete.forEach(f -> deleted.add(f.id()));
        assertInvariants(live, deleted);
    }

    @Test
    void TestDatabaseConnectionPool() throws Exception {
        List<Known> files = uploadAtOnce(3, 60_000, "pool");
        List<Callable<Integer>> requests = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Known f = files.get(i % files.size());
            requests.add(i % 4 == 3
                    ? () -> s.client.get("/files?per_page=50").status()
                    : () -> s.client.metadata(f.id()).status());
        }
        List<Integer> statuses = together(requests);
        assertTrue(statuses.stream().allMatch(c -> c == 200), () -> "every request answered 200: " + statuses);

        // The gateway exposes no pool figures: find its PostgreSQL connections by their client
        // ports (from /proc) and ask PostgreSQL what each one is doing.
        int pgPort = URI.create(s.stack.database().jdbcUrl().substring("jdbc:".length())).getPort();
        long gatewayPid = s.stack.pid("gateway");
        List<Integer> ports = ProcSockets.localPortsConnectedTo(gatewayPid, pgPort);
        assertTrue(!ports.isEmpty() && ports.size() <= 20, () -> "gateway pool connections (max 20): " + ports);
        List<String> states = Poll.until(Duration.ofSeconds(15), "the gateway's connections idle",
                () -> s.db.backendStates(ProcSockets.localPortsConnectedTo(gatewayPid, pgPort)),
                st -> !st.isEmpty() && st.stream().allMatch("idle"::equals));
        assertTrue(states.size() <= 20, () -> "at most the pool size: " + states);
    }

    /** The TCP connections of a process, read from /proc (Linux). */
    static final class ProcSockets {
        private ProcSockets() {
        }

        static List<Integer> localPortsConnectedTo(long pid, int remotePort) {
            Set<String> inodes = new HashSet<>();
            try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
                fds.forEach(fd -> {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")) {
                            inodes.add(target.substring(8, target.length() - 1));
                        }
                    } catch (IOException closedMeanwhile) {
                        // the descriptor went away while listing: not a connection to count
                    }
                });
                List<Integer> ports = new ArrayList<>();
                for (String table : List.of("tcp", "tcp6")) {
                    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "net", table))) {
                        String[] f = line.trim().split("\\s+");
                        // sl local rem st ... inode(9); state 01 = ESTABLISHED
                        if (f.length > 9 && f[1].contains(":") && f[3].equals("01") && inodes.contains(f[9])
                                && Integer.parseInt(f[2].substring(f[2].lastIndexOf(':') + 1), 16) == remotePort) {
                            ports.add(Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16));
                        }
                    }
                }
                return ports;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the sockets of process " + pid, e);
            }
        }
    }
}
