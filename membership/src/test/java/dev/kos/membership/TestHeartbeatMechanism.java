package dev.kos.membership;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.Database;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TestHeartbeatMechanism {
    static final Duration INTERVAL = Duration.ofMillis(200);
    Database db;
    NodeRepository nodes;

    @BeforeEach
    void clean() {
        db = TestDatabase.fresh();
        nodes = new NodeRepository(db);
    }

    @Test
    void heartbeatsUpdateTheTimestampOnSchedule() {
        AtomicLong chunks = new AtomicLong();
        List<Instant> beats = new ArrayList<>();
        try (NodeHeartbeater hb = new NodeHeartbeater(nodes, NodeIdentity.of("beat-1", "127.0.0.1:7001"),
                () -> new NodeReport(10_000, 9_000, chunks.incrementAndGet()), INTERVAL).start()) {
            assertTrue(hb.registered(), "start() registers synchronously when the database is up");
            assertEquals(NodeStatus.ACTIVE, nodes.find("beat-1").orElseThrow().status());
            // Record each distinct heartbeat time (database clock) until 8 were seen.
            Poll.until(Duration.ofSeconds(10), () -> {
                Instant t = nodes.find("beat-1").orElseThrow().lastHeartbeat();
                if (beats.isEmpty() || !beats.get(beats.size() - 1).equals(t)) {
                    beats.add(t);
                }
                return beats.size() >= 8;
            }, () -> "heartbeats seen: " + beats);
        }
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < beats.size(); i++) {
            gaps.add(Duration.between(beats.get(i - 1), beats.get(i)).toMillis());
        }
        List<Long> sorted = gaps.stream().sorted().toList();
        long median = sorted.get(sorted.size() / 2);
        System.out.println("heartbeat gaps (ms, database time) at interval " + INTERVAL.toMillis() + " ms: " + gaps
                + ", median " + median);
        assertTrue(median >= 150 && median <= 450, "median gap " + median + " ms for a 200 ms interval");
        StorageNode after = nodes.find("beat-1").orElseThrow();
        assertTrue(after.chunkCount() >= 8, "the reported figures travel with each beat: " + after);
        assertEquals(9_000, after.freeBytes());
    }

    @Test
    void aNodeThatWasMarkedInactiveRejoinsOnItsNextBeat() {
        try (NodeHeartbeater hb = new NodeHeartbeater(nodes, NodeIdentity.of("beat-2", "127.0.0.1:7002"),
                () -> new NodeReport(1, 1, 1), INTERVAL).start()) {
            TestDatabase.ageHeartbeat(db, "beat-2", 60);
            assertEquals(1, nodes.markInactiveSilentSince(Duration.ofSeconds(1)).size());
            Poll.until(Duration.ofSeconds(5), () -> nodes.find("beat-2").orElseThrow().status() == NodeStatus.ACTIVE,
                    () -> "still " + nodes.find("beat-2"));
            // The beat's row write lands before the heartbeater counts it: wait for the count too
            // (CI once read 1 in that window), which says the rejoin was a beat's doing.
            Poll.until(Duration.ofSeconds(5), () -> hb.heartbeats() >= 2, () -> "beats counted " + hb.heartbeats());
        }
    }

    @Test
    void aBrokenReportSupplierDoesNotStopTheHeartbeats() {
        AtomicLong calls = new AtomicLong();
        try (NodeHeartbeater hb = new NodeHeartbeater(nodes, NodeIdentity.of("beat-3", "127.0.0.1:7003"), () -> {
            if (calls.incrementAndGet() % 2 == 0) {
                throw new IllegalStateException("disk stats unavailable");
            }
            return new NodeReport(1, 1, calls.get());
        }, INTERVAL).start()) {
            Poll.until(Duration.ofSeconds(5), () -> calls.get() >= 6, () -> "ticks stopped at " + calls.get());
            assertTrue(hb.heartbeats() >= 3, "successful beats " + hb.heartbeats());
        }
    }

    /**
     * A real outage seen from the node: PostgreSQL refuses the node's role and drops its sessions.
     * The heartbeater must keep running, then pick up by itself once logins work again.
     */
    @Test
    void survivesADatabaseOutageAndRecovers() {
        db.withConnection(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kos_node') THEN "
                        + "CREATE ROLE kos_node LOGIN PASSWORD 'pw'; END IF; END $$");
                s.execute("ALTER ROLE kos_node LOGIN");
                // A node writes its membership events to the outbox in the transaction that registers it.
                s.execute("GRANT SELECT, INSERT, UPDATE ON storage_nodes, ring_state, outbox TO kos_node");
                s.execute("GRANT USAGE ON SEQUENCE outbox_id_seq TO kos_node");
            }
            return null;
        });
        // The embedded URL carries ?user=postgres, which would win over the user given here.
        String url = db.jdbcUrl().replaceFirst("\\?.*$", "");
        try (Database nodeDb = Database.connect(url, "kos_node", "pw", 2, "outage-node")) {
            nodeDb.pool().setConnectionTimeout(500); // fail a tick fast during the outage
            NodeRepository nodeSide = new NodeRepository(nodeDb);
            try (NodeHeartbeater hb = new NodeHeartbeater(nodeSide, NodeIdentity.of("beat-4", "127.0.0.1:7004"),
                    () -> new NodeReport(1, 1, 1), INTERVAL).start()) {
                assertTrue(hb.registered());
                setLogin(false);
                Poll.until(Duration.ofSeconds(10), () -> hb.consecutiveFailures() >= 2,
                        () -> "no failed heartbeat during the outage");
                Instant duringOutage = nodes.find("beat-4").orElseThrow().lastHeartbeat();
                setLogin(true);
                Duration recovery = Poll.until(Duration.ofSeconds(10),
                        () -> hb.consecutiveFailures() == 0
                                && nodes.find("beat-4").orElseThrow().lastHeartbeat().isAfter(duringOutage),
                        () -> "no heartbeat after the database came back");
                System.out.println("heartbeater recovered " + recovery.toMillis() + " ms after logins were allowed again");
            }
        }
    }

    private void setLogin(boolean allowed) {
        db.withConnection(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("ALTER ROLE kos_node " + (allowed ? "LOGIN" : "NOLOGIN"));
                if (!allowed) {
                    s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'kos_node'");
                }
            }
            return null;
        });
    }
}
