package dev.kos.metadata;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pool test: 100 concurrent queries through the default pool (20 connections), none
 * fails, and the pool holds no active connection afterwards. Each query lasts 20 ms, so the 100
 * callers really contend for the 20 connections instead of running one after the other.
 */
class TestDatabaseConnectionPool {
    static final int CALLERS = 100;
    static Database db;

    @BeforeAll
    static void start() {
        db = TestDb.start(Database.DEFAULT_POOL_SIZE);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @BeforeEach
    void clean() {
        TestDb.clean(db);
    }

    @AfterEach
    void poolIsIdleAgain() {
        HikariPoolMXBean pool = db.pool().getHikariPoolMXBean();
        Poll.until(Duration.ofSeconds(10), () -> pool.getActiveConnections() == 0 && pool.getThreadsAwaitingConnection() == 0,
                () -> "pool idle, but active=" + pool.getActiveConnections() + " waiting=" + pool.getThreadsAwaitingConnection());
        assertTrue(pool.getTotalConnections() <= Database.DEFAULT_POOL_SIZE, "total " + pool.getTotalConnections());
    }

    @Test
    void hundredConcurrentQueriesAllSucceed() throws Exception {
        Set<Integer> backends = ConcurrentHashMap.newKeySet();
        long started = System.nanoTime();
        List<Future<Integer>> answers = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < CALLERS; i++) {
                int n = i;
                answers.add(callers.submit(() -> db.withConnection(c -> {
                    try (PreparedStatement ps = c.prepareStatement("SELECT ?::int, pg_backend_pid(), pg_sleep(0.02)")) {
                        ps.setInt(1, n);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            backends.add(rs.getInt(2));
                            return rs.getInt(1);
                        }
                    }
                })));
            }
            for (int i = 0; i < CALLERS; i++) {
                assertEquals(i, answers.get(i).get(), "query " + i + " answered its own question");
            }
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("pool: %d queries of 20 ms on %d backend connections in %d ms%n", CALLERS, backends.size(), ms);
        assertTrue(backends.size() <= Database.DEFAULT_POOL_SIZE, "never more connections than the pool size: " + backends.size());
        assertTrue(backends.size() > 1, "queries ran concurrently");
    }

    @Test
    void hundredConcurrentTransactionsAllCommit() throws Exception {
        FileRepository files = new FileRepository();
        List<Future<FileRecord>> created = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < CALLERS; i++) {
                String name = "file-" + i;
                created.add(callers.submit(() -> db.inTransaction(c -> {
                    FileRecord f = files.create(c, NewFile.of(name, "text/plain", Optional.empty(), 1024));
                    files.startUpload(c, f.fileId());
                    files.nextEventSequence(c, f.fileId());
                    return f;
                })));
            }
            for (Future<FileRecord> f : created) {
                f.get();
            }
        }
        Page<FileRecord> uploading = files.list(db, new FileQuery(Optional.of(FileStatus.UPLOADING), SortOrder.ASC, 1, 1000));
        assertEquals(CALLERS, uploading.total());
        assertTrue(uploading.items().stream().allMatch(f -> f.eventSeq() == 1));
    }

    /** Failing queries must hand their connection back too, or a burst of bad requests drains the pool. */
    @Test
    void hundredConcurrentFailuresLeakNoConnection() throws Exception {
        List<Future<Object>> failures = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < CALLERS; i++) {
                failures.add(callers.submit(() -> db.inTransaction(c -> {
                    c.createStatement().executeQuery("SELECT pg_sleep(0.01), 1 / 0");
                    return null;
                })));
            }
            for (Future<Object> f : failures) {
                Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, f::get);
                assertInstanceOf(MetadataException.class, e.getCause());
            }
        }
    }
}
