package dev.kos.membership;

import dev.kos.metadata.Database;
import java.sql.Statement;

/**
 * One real embedded PostgreSQL for all membership tests in this JVM (starting one costs 2-4 s),
 * emptied of nodes before each test.
 */
final class TestDatabase {
    private static Database db;

    private TestDatabase() {
    }

    static synchronized Database get() {
        if (db == null) {
            db = Database.embedded(null, 8, "membership-test");
            db.migrate();
            Database started = db;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        return db;
    }

    /** Removes every node and resets the epoch, so each test starts from an empty cluster. */
    static Database fresh() {
        Database d = get();
        d.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("DELETE FROM outbox");
                s.executeUpdate("DELETE FROM storage_nodes");
                s.executeUpdate("UPDATE ring_state SET epoch = 0, changed_at = now()");
            }
            return null;
        });
        return d;
    }

    static long epoch(Database d) {
        return d.withConnection(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT epoch FROM ring_state WHERE id = 1")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** Makes a node look silent for {@code seconds} by moving its heartbeat back in database time. */
    static void ageHeartbeat(Database d, String nodeId, int seconds) {
        d.withConnection(c -> {
            try (var ps = c.prepareStatement(
                    "UPDATE storage_nodes SET last_heartbeat = now() - ? * interval '1 second' WHERE node_id = ?")) {
                ps.setInt(1, seconds);
                ps.setString(2, nodeId);
                return ps.executeUpdate();
            }
        });
    }
}
