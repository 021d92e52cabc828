package dev.kos.metadata;

import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** Fixtures for tests on a real (embedded) PostgreSQL: one database per test class. */
final class TestDb {
    private TestDb() {
    }

    static Database start(int poolSize) {
        Database db = Database.embedded(null, poolSize, "test");
        db.migrate();
        return db;
    }

    /** Empties every table these tests write, so each test starts from nothing. */
    static void clean(Database db) {
        db.withConnection(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("TRUNCATE files, chunks, chunk_locations, upload_sessions, storage_nodes CASCADE");
            }
            return null;
        });
    }

    /** Storage nodes belong to the membership module; tests only need rows the foreign keys accept. */
    static void addNode(Database db, String nodeId) {
        db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO storage_nodes (node_id, address) VALUES (?, ?)")) {
                ps.setString(1, nodeId);
                ps.setString(2, "127.0.0.1:1");
                ps.executeUpdate();
            }
            return null;
        });
    }

    static FileRecord newFile(Database db, FileRepository files, String name) {
        return db.inTransaction(c -> files.create(c, NewFile.of(name, "application/octet-stream", Optional.empty(), 1024)));
    }

    /**
     * Puts a file straight into a status, bypassing the guards, sealed as an empty file so that
     * completion's own guard (every chunk stored) is satisfied.
     */
    static void forceStatus(Database db, UUID fileId, FileStatus status) {
        db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE files SET status = ?, size_bytes = 0, chunk_count = 0, "
                    + "sha256 = repeat('0', 64), sealed_at = now() WHERE file_id = ?")) {
                ps.setString(1, status.dbValue());
                ps.setObject(2, fileId);
                ps.executeUpdate();
            }
            return null;
        });
    }

    static void setCreatedAt(Database db, UUID fileId, Instant at) {
        db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE files SET created_at = ? WHERE file_id = ?")) {
                Jdbc.setInstant(ps, 1, at);
                ps.setObject(2, fileId);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** A boolean write in its own transaction (inTransaction's generic result confuses assertTrue overloads). */
    static boolean applied(Database db, Database.TransactionWork<Boolean> work) {
        return db.inTransaction(work);
    }

    /** A numeric result of a transaction, as a primitive so assertEquals resolves. */
    static long number(Database db, Database.TransactionWork<? extends Number> work) {
        return db.inTransaction(work).longValue();
    }

    static FileStatus statusOf(Database db, FileRepository files, UUID fileId) {
        return files.find(db, fileId).orElseThrow().status();
    }
}
