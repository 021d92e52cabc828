package dev.kos.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.ResultSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DatabaseTest {
    static Database db;

    @BeforeAll
    static void start() {
        db = Database.embedded(null, 4, "test");
        db.migrate();
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void migrationsCreateTheSchemaAndRunTwiceHarmlessly() {
        db.migrate();
        String tables = firstValue("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN "
                + "('files','chunks','chunk_locations','storage_nodes','upload_sessions','outbox','processed_events','ring_state')");
        assertEquals("8", tables);
        assertTrue(db.isHealthy());
    }

    @Test
    void aFailedTransactionLeavesNothing() {
        assertThrows(MetadataException.class, () -> db.inTransaction(c -> {
            c.createStatement().executeUpdate("INSERT INTO storage_nodes (node_id, address) VALUES ('rolled-back', 'x:1')");
            c.createStatement().executeUpdate("INSERT INTO storage_nodes (node_id, address) VALUES ('bad id!', 'x:1')");
            return null;
        }));
        assertEquals("0", firstValue("SELECT count(*) FROM storage_nodes WHERE node_id = 'rolled-back'"));
    }

    @Test
    void theEmbeddedDatabaseMakesEveryCommitDurable() {
        // zonky starts PostgreSQL with fsync and synchronous_commit off; a store's metadata cannot.
        assertEquals("on,on,on", firstValue("SELECT current_setting('fsync') || ',' || current_setting('synchronous_commit')"
                + " || ',' || current_setting('full_page_writes')"));
    }

    @Test
    void aSiblingPoolSetsUpItsOwnSessionsAndClosingItLeavesTheDatabaseUp() {
        try (Database sibling = db.sibling("test-sibling", 1, "SET work_mem = '7MB'")) {
            assertEquals("7MB kos-test-sibling", firstValue(sibling, "SELECT current_setting('work_mem') || ' ' || "
                    + "current_setting('application_name')"));
            assertEquals(db.jdbcUrl(), sibling.jdbcUrl());
        }
        assertEquals("4MB kos-test", firstValue("SELECT current_setting('work_mem') || ' ' || current_setting('application_name')"),
                "the first pool's sessions are as PostgreSQL sets them up");
        assertTrue(db.isHealthy(), "closing the sibling left the embedded database running");
    }

    @Test
    void aSessionOfItsOwnIsNamedForWhatItDoes() throws Exception {
        try (java.sql.Connection c = db.openSession("listener"); ResultSet rs = c.createStatement().executeQuery(
                "SELECT current_setting('application_name'), count(*) FROM pg_stat_activity WHERE application_name = 'kos-test'")) {
            rs.next();
            assertEquals("kos-test-listener", rs.getString(1));
            assertTrue(rs.getLong(2) >= 1, "the pool's sessions show as kos-test");
        }
    }

    /** The first column of the first row, as text. */
    private static String firstValue(String sql) {
        return firstValue(db, sql);
    }

    private static String firstValue(Database db, String sql) {
        return db.withConnection(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        });
    }
}
