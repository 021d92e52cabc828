package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.events.Events;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileDetail;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileQuery;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.SortOrder;
import dev.kos.metadata.LocationState;
import dev.kos.metadata.NewFile;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metadata cache against a real PostgreSQL: every change to a completed file, whoever
 * makes it (here plain SQL, as the rebalancer, the cleanup worker or an operator would), reaches
 * the gateway through migration V3's triggers and drops the cached entry.
 */
class FileCacheNotificationTest {
    private static final Duration HEARD = Duration.ofSeconds(10);
    private static Database db;
    private static SettledListener listener;
    private static FileCatalog catalog;
    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();

    @BeforeAll
    static void start() {
        db = Database.embedded(null, 4, "cache-test");
        db.migrate();
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO storage_nodes (node_id, address) VALUES ('n1', 'h:1'), ('n2', 'h:2'), ('n3', 'h:3')")) {
                ps.executeUpdate();
            }
            return null;
        });
        listener = SettledListener.start(() -> DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()),
                new FileCache(FileCache.DEFAULT_MAX_WEIGHT));
        assertTrue(GatewayHarness.await(HEARD, () -> listener.cache().stats().serving()), "cache serving once listening");
        catalog = new FileCatalog(db, new Events("cache-test"), "gateway-test", Duration.ofHours(1), listener,
                Duration.ofMillis(100));
    }

    @AfterAll
    static void stop() {
        listener.close();
        db.close();
    }

    @Test
    void aMovedCopyIsSeenOnceTheCommitIsHeard() {
        UUID id = completedFile("n1");
        heardEverythingCommittedSoFar(); // a change to any file in flight would keep the first read out of memory
        assertEquals(List.of("n1"), nodesOf(detail(id)));
        long loadsBefore = listener.cache().stats().misses();
        assertEquals(List.of("n1"), nodesOf(detail(id)));
        assertEquals(loadsBefore, listener.cache().stats().misses(), "the second read came from memory");

        // The rebalancer's move: a copy on n2 verified, the one on n1 retired, in one transaction.
        db.inTransaction(c -> {
            String chunkId = id + "-0";
            chunks.addLocation(c, chunkId, "n2", LocationState.STORED);
            chunks.removeLocation(c, chunkId, "n1");
            return null;
        });
        assertTrue(GatewayHarness.await(HEARD, () -> nodesOf(detail(id)).equals(List.of("n2"))), "the move was heard");
    }

    @Test
    void aDeleteFromThisGatewayIsVisibleAtOnceAndOneFromElsewhereWhenHeard() {
        UUID mine = completedFile("n1");
        detail(mine);
        assertTrue(catalog.requestDelete(mine).isPresent());
        assertEquals(FileStatus.DELETING, detail(mine).file().status(), "no wait for the notification");

        UUID theirs = completedFile("n2");
        detail(theirs);
        db.inTransaction(c -> files.markDeleting(c, theirs)); // another gateway's delete
        assertTrue(GatewayHarness.await(HEARD, () -> detail(theirs).file().status() == FileStatus.DELETING));
    }

    @Test
    void aRolledBackChangeKeepsTheEntryAndUploadsInProgressAreNeverKept() {
        UUID id = completedFile("n3");
        detail(id);
        try {
            db.inTransaction(c -> {
                files.markDeleting(c, id);
                throw new IllegalStateException("roll back");
            });
        } catch (IllegalStateException expected) {
            // the notification dies with the transaction
        }
        assertEquals(FileStatus.COMPLETED, detail(id).file().status());

        UUID uploading = UUID.randomUUID();
        catalog.begin(new NewFile(uploading, "u.bin", "application/octet-stream", Optional.empty(), 1 << 20), 10);
        long misses = listener.cache().stats().misses();
        detail(uploading);
        detail(uploading);
        assertEquals(misses + 2, listener.cache().stats().misses(), "an upload in progress is read afresh each time");
    }

    @Test
    void listPagesAreServedFromMemoryUntilSomethingListedChanges() {
        FileQuery newest = new FileQuery(Optional.empty(), SortOrder.DESC, 1, 5);
        java.util.concurrent.atomic.AtomicInteger renders = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Supplier<String> list = () -> new String(catalog.listPage(newest, page -> {
            renders.incrementAndGet();
            return page.items().stream().map(f -> f.fileId() + ":" + f.status().dbValue())
                    .collect(java.util.stream.Collectors.joining(",")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }), java.nio.charset.StandardCharsets.UTF_8);
        UUID id = completedFile("n2");
        assertTrue(GatewayHarness.await(HEARD, () -> list.get().startsWith(id + ":completed")), "the new file is listed");
        heardEverythingCommittedSoFar(); // the file's own notifications may still be on their way
        list.get();
        int before = renders.get();
        assertEquals(list.get(), list.get());
        assertEquals(before, renders.get(), "unchanged: served from memory");

        db.inTransaction(c -> files.markDeleting(c, id)); // as another gateway would
        assertTrue(GatewayHarness.await(HEARD, () -> !list.get().contains(id.toString())), "a delete elsewhere is heard");

        // Bumping a file's event sequence (every outbox event does) shows nowhere: no notification.
        UUID other = completedFile("n1");
        heardEverythingCommittedSoFar();
        assertTrue(list.get().startsWith(other + ":completed"));
        int settled = renders.get();
        db.inTransaction(c -> files.nextEventSequence(c, other));
        heardEverythingCommittedSoFar();
        list.get();
        assertEquals(settled, renders.get(), "an event sequence bump alone must not drop the pages");
    }

    /**
     * Commits a notification of its own and waits for it: notifications of one session arrive
     * in commit order, so every one committed before it has been handled by then.
     */
    private void heardEverythingCommittedSoFar() {
        UUID marker = UUID.randomUUID();
        try (SettledListener.Waiter w = listener.watch(marker)) {
            db.inTransaction(c -> {
                files.notifySettled(c, marker);
                return null;
            });
            assertTrue(w.await(HEARD), "the marker notification arrived");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aLostSessionStopsServingFromMemoryUntilItIsBack() {
        UUID id = completedFile("n1");
        detail(id);
        int killed = db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    + "WHERE query LIKE 'LISTEN %'")) {
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
        assertTrue(killed >= 1, "the listening session was found and ended");
        assertTrue(GatewayHarness.await(HEARD, () -> !listener.isListening()), "the break was noticed");
        // Whatever the session state now, memory must be empty or the session back: nothing from before it broke.
        assertTrue(GatewayHarness.await(Duration.ofSeconds(20), () -> listener.cache().stats().serving()), "back");
        long misses = listener.cache().stats().misses();
        detail(id);
        assertEquals(misses + 1, listener.cache().stats().misses(), "entries from before the break were dropped");
        assertFalse(listener.cache().stats().files() == 0, "and it caches again");
    }

    private UUID completedFile(String node) {
        UUID id = UUID.randomUUID();
        NewFile f = new NewFile(id, "f.bin", "application/octet-stream", Optional.empty(), 1 << 20);
        catalog.begin(f, 10);
        catalog.seal(f, new UploadResult(10, "0".repeat(64), List.of(new StoredChunk(0, id + "-0", 10, 7, node, "h", false))),
                Optional.of(new StoredChunk(0, id + "-0", 10, 7, node, "h", false)));
        boolean completed = db.inTransaction(c -> files.complete(c, id));
        assertTrue(completed, "completed");
        return id;
    }

    private static FileDetail detail(UUID id) {
        return catalog.detail(id).orElseThrow().detail();
    }

    private static List<String> nodesOf(FileDetail d) {
        return d.chunks().get(0).readableNodes();
    }
}
