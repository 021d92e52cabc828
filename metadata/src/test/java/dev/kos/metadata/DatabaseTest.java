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

    /** The first column of the first row, as text. */
    private static String firstValue(String sql) {
        return db.withConnection(c -> {
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        });
    }
}
