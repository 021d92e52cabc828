package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.events.Events;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileDetail;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.NewFile;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The settled listener and FileCatalog.awaitSettled on a real PostgreSQL. */
class SettledListenerTest {
    /** Far longer than a notification takes, so a wake-up inside it cannot be the poll's doing. */
    private static final Duration LONG_POLL = Duration.ofSeconds(30);
    /** What the waits of files that never complete pass as sealed: only a completion's answer uses it. */
    private static final UploadResult NOT_SEALED = new UploadResult(0, "0".repeat(64), List.of());

    private static Database db;
    private static SettledListener listener;
    private final FileRepository files = new FileRepository();

    @BeforeAll
    static void start() {
        db = Database.embedded(null, 4, "settled-test");
        db.migrate();
        db.inTransaction(c -> c.createStatement().executeUpdate(
                "INSERT INTO storage_nodes (node_id, address) VALUES ('n1', 'h:1'), ('n2', 'h:2')"));
        listener = SettledListener.start(() -> DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()));
        assertTrue(GatewayHarness.await(Duration.ofSeconds(10), listener::isListening), "listener connected");
    }

    @AfterAll
    static void stop() {
        listener.close();
        db.close();
    }

    @Test
    void aCommittedNotificationWakesTheWaiterAndARolledBackOneDoesNot() throws Exception {
        UUID id = UUID.randomUUID();
        try (SettledListener.Waiter w = listener.watch(id)) {
            try {
                db.inTransaction(c -> {
                    files.notifySettled(c, id);
                    throw new IllegalStateException("roll back");
                });
            } catch (IllegalStateException expected) {
                // the notification must die with the transaction
            }
            assertFalse(w.await(Duration.ofMillis(300)), "no wake-up from a rolled-back transaction");
            db.inTransaction(c -> {
                files.notifySettled(c, UUID.randomUUID()); // another file's: must not wake this waiter
                return null;
            });
            assertFalse(w.await(Duration.ofMillis(300)), "no wake-up for another file");
            long t0 = System.nanoTime();
            db.inTransaction(c -> {
                files.notifySettled(c, id);
                return null;
            });
            assertTrue(w.await(Duration.ofSeconds(5)), "woken by the commit");
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(2).toNanos(), "woken promptly");
        }
        assertEquals(0, listener.watchedFiles(), "a closed waiter is removed");
    }

    @Test
    void awaitSettledAnswersOnTheNotificationNotThePoll() throws Exception {
        FileCatalog catalog = catalog(listener, LONG_POLL);
        NewFile file = uploadingFile(catalog);
        UUID id = file.fileId();
        CompletableFuture<Optional<FileRecord>> waiting = awaitInBackground(catalog, file, Duration.ofSeconds(60));
        assertTrue(GatewayHarness.await(Duration.ofSeconds(5), () -> listener.watchedFiles() == 1), "waiting");
        long t0 = System.nanoTime();
        db.inTransaction(c -> {
            assertTrue(files.fail(c, id, "test: settled"));
            files.notifySettled(c, id);
            return null;
        });
        FileRecord settled = waiting.get(10, TimeUnit.SECONDS).orElseThrow();
        assertEquals(FileStatus.FAILED, settled.status());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "answered long before the 30 s poll");
        assertTrue(GatewayHarness.await(Duration.ofSeconds(5), () -> listener.watchedFiles() == 0), "waiter removed");
    }

    @Test
    void aCompletionIsAnsweredFromItsNotificationExactlyAsTheRowsReadAfterIt() throws Exception {
        FileCatalog catalog = catalog(listener, LONG_POLL);
        NewFile f = new NewFile(UUID.randomUUID(), "two-chunks.bin", "application/x-test", Optional.of("carol"), 1 << 20);
        StoredChunk first = new StoredChunk(0, ChunkIds.of(f.fileId(), 0), 1 << 20, 11, "n1", "h:1", false);
        StoredChunk last = new StoredChunk(1, ChunkIds.of(f.fileId(), 1), 500, 22, "n2", "h:2", false);
        UploadResult result = new UploadResult((1 << 20) + 500, "c".repeat(64), List.of(first, last));
        catalog.begin(f, result.size());
        catalog.chunkStored(f.fileId(), first, 1 << 20);
        FileDetail answered;
        try (SettledListener.Waiter w = catalog.watchSettled(f.fileId())) {
            catalog.seal(f, result, Optional.of(last));
            long t0 = System.nanoTime();
            // The placement service's completion, the statement it runs.
            db.inTransaction(c -> files.completeIfVerified(c, f.fileId(), result.size(), result.sha256(), 2,
                    new Integer[] {11, 22}, 1)).orElseThrow();
            answered = catalog.awaitSettled(w, f, result, Duration.ofSeconds(60)).orElseThrow();
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "answered long before the 30 s poll");
        }
        assertEquals(FileStatus.COMPLETED, answered.file().status());
        assertEquals(files.findWithChunks(db, f.fileId()).orElseThrow(), answered,
                "the file, its chunks and their copies as PostgreSQL has them");
    }

    @Test
    void aCompletionsNotificationDecidesWithoutReadingTheRow() throws Exception {
        // A notice no completing statement sent: the row still says uploading. What the waiter
        // answers can only come from the notification's values.
        FileCatalog catalog = catalog(listener, LONG_POLL);
        NewFile file = uploadingFile(catalog);
        UploadResult result = new UploadResult(10, "d".repeat(64), List.of(
                new StoredChunk(0, ChunkIds.of(file.fileId(), 0), 10, 33, "n1", "h:1", false)));
        try (SettledListener.Waiter w = catalog.watchSettled(file.fileId())) {
            db.inTransaction(c -> c.createStatement().execute("SELECT pg_notify('" + FileRepository.SETTLED_CHANNEL
                    + "', '" + file.fileId() + " 9 2026-12-03T09:41:07.123456Z 2026-12-03T09:41:08Z"
                    + " 2026-12-03T09:41:09.000001Z 2026-12-03T09:41:09.000001Z')"));
            FileDetail d = catalog.awaitSettled(w, file, result, Duration.ofSeconds(60)).orElseThrow();
            assertEquals(FileStatus.COMPLETED, d.file().status());
            assertEquals(9, d.file().eventSeq());
            assertEquals(Optional.of(java.time.Instant.parse("2026-12-03T09:41:09.000001Z")), d.file().completedAt());
            assertEquals(List.of("n1"), d.chunks().getFirst().readableNodes());
        }
        assertEquals(FileStatus.UPLOADING, files.find(db, file.fileId()).orElseThrow().status(), "the row was not touched");
    }

    @Test
    void aSettleCommittedBetweenWatchingAndWaitingIsNotMissed() throws Exception {
        // The upload's order: watch, seal, settle (the placement service may be that fast), then wait.
        FileCatalog catalog = catalog(listener, LONG_POLL);
        NewFile file = uploadingFile(catalog);
        UUID id = file.fileId();
        try (SettledListener.Waiter w = catalog.watchSettled(id)) {
            db.inTransaction(c -> {
                assertTrue(files.fail(c, id, "test: settled before the wait"));
                files.notifySettled(c, id);
                return null;
            });
            long t0 = System.nanoTime();
            FileRecord settled = catalog.awaitSettled(w, file, NOT_SEALED, Duration.ofSeconds(60)).orElseThrow().file();
            assertEquals(FileStatus.FAILED, settled.status());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "answered long before the 30 s poll");
        }
        assertEquals(0, listener.watchedFiles());
    }

    @Test
    void aMissedNotificationStillSettlesByPolling() throws Exception {
        // A listener that can never connect: every wake-up is lost, only the poll remains.
        SettledListener deaf = SettledListener.start(() -> {
            throw new java.sql.SQLException("test: no database for the listener");
        });
        try {
            FileCatalog catalog = catalog(deaf, Duration.ofMillis(100));
            NewFile file = uploadingFile(catalog);
            UUID id = file.fileId();
            CompletableFuture<Optional<FileRecord>> waiting = awaitInBackground(catalog, file, Duration.ofSeconds(60));
            assertTrue(GatewayHarness.await(Duration.ofSeconds(5), () -> deaf.watchedFiles() == 1), "waiting");
            db.inTransaction(c -> files.complete(c, id) || files.fail(c, id, "test: settled without notify"));
            FileRecord settled = waiting.get(10, TimeUnit.SECONDS).orElseThrow();
            assertEquals(FileStatus.FAILED, settled.status());
            assertEquals(0, deaf.watchedFiles());
        } finally {
            deaf.close();
        }
    }

    @Test
    void aWaitThatTimesOutReturnsTheUnsettledFileAndLeavesNoWaiter() throws Exception {
        FileCatalog catalog = catalog(listener, Duration.ofMillis(50));
        NewFile file = uploadingFile(catalog);
        long t0 = System.nanoTime();
        FileRecord f;
        try (SettledListener.Waiter w = catalog.watchSettled(file.fileId())) {
            f = catalog.awaitSettled(w, file, NOT_SEALED, Duration.ofMillis(400)).orElseThrow().file();
        }
        assertEquals(FileStatus.UPLOADING, f.status());
        assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(400).toNanos(), "waited the whole limit");
        assertEquals(0, listener.watchedFiles());
    }

    @Test
    void theListenerReconnectsAfterItsSessionIsKilled() throws Exception {
        SettledListener own = SettledListener.start(() -> DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()));
        try {
            assertTrue(GatewayHarness.await(Duration.ofSeconds(10), own::isListening));
            int killed = db.withConnection(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        + "WHERE query LIKE 'LISTEN %'");
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertTrue(killed >= 1, "a listening session was found and terminated");
            assertTrue(GatewayHarness.await(Duration.ofSeconds(10), () -> !own.isListening()), "noticed the break");
            assertTrue(GatewayHarness.await(Duration.ofSeconds(20), own::isListening), "reconnected");
            UUID id = UUID.randomUUID();
            try (SettledListener.Waiter w = own.watch(id)) {
                db.inTransaction(c -> {
                    files.notifySettled(c, id);
                    return null;
                });
                assertTrue(w.await(Duration.ofSeconds(5)), "woken after the reconnect");
            }
        } finally {
            own.close();
        }
        // The shared listener's session was killed too; it must come back for the other tests.
        assertTrue(GatewayHarness.await(Duration.ofSeconds(20), listener::isListening));
    }

    private static FileCatalog catalog(SettledListener l, Duration poll) {
        return new FileCatalog(db, new Events("settled-test"), "gateway-test", Duration.ofHours(1), l, poll);
    }

    private NewFile uploadingFile(FileCatalog catalog) {
        NewFile f = new NewFile(UUID.randomUUID(), "f.bin", "application/octet-stream", Optional.empty(), 1 << 20);
        catalog.begin(f, 10);
        db.inTransaction(c -> files.startUpload(c, f.fileId()));
        return f;
    }

    private static CompletableFuture<Optional<FileRecord>> awaitInBackground(FileCatalog catalog, NewFile file, Duration wait) {
        CompletableFuture<Optional<FileRecord>> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                Optional<FileRecord> settled;
                // Completed only once the waiter is closed: the tests then check that it is gone.
                try (SettledListener.Waiter w = catalog.watchSettled(file.fileId())) {
                    settled = catalog.awaitSettled(w, file, NOT_SEALED, wait).map(FileDetail::file);
                }
                f.complete(settled);
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }
}
