package dev.kos.metadata;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Rows of {@code upload_sessions}: one per file while its upload streams. Expiry times come from
 * the database clock so gateways with skewed clocks agree with the cleanup workers.
 */
public final class UploadSessionRepository {
    public static final int MAX_BATCH = 10_000;

    private static final String COLUMNS = "file_id, gateway_id, bytes_received, started_at, last_progress_at, expires_at";

    /**
     * Opens the session of a file, expiring {@code ttl} from now unless progress pushes it on.
     *
     * @return false when the file already has an open session (left untouched)
     * @throws UnknownFileException when the file does not exist
     */
    public boolean open(Connection c, UUID fileId, String gatewayId, Duration ttl) throws SQLException {
        if (gatewayId == null || gatewayId.isBlank()) {
            throw new IllegalArgumentException("gateway id must not be blank");
        }
        String sql = "INSERT INTO upload_sessions (file_id, gateway_id, expires_at) "
                + "VALUES (?, ?, now() + ? * interval '1 millisecond') ON CONFLICT (file_id) DO NOTHING";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            ps.setString(2, gatewayId);
            ps.setLong(3, Jdbc.ttlMillis(ttl));
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            if (Jdbc.FOREIGN_KEY_VIOLATION.equals(e.getSQLState())) {
                throw new UnknownFileException(fileId);
            }
            throw e;
        }
    }

    /**
     * Records progress and pushes the expiry to {@code ttl} from now. Bytes only grow: a late,
     * reordered report never lowers the count.
     *
     * @return false when the session is gone (closed, or expired and collected: the upload must stop)
     */
    public boolean progress(Connection c, UUID fileId, long bytesReceived, Duration ttl) throws SQLException {
        if (bytesReceived < 0) {
            throw new IllegalArgumentException("bytes received must not be negative, got " + bytesReceived);
        }
        String sql = "UPDATE upload_sessions SET bytes_received = greatest(bytes_received, ?), last_progress_at = now(), "
                + "expires_at = now() + ? * interval '1 millisecond' WHERE file_id = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, bytesReceived);
            ps.setLong(2, Jdbc.ttlMillis(ttl));
            ps.setObject(3, fileId);
            return ps.executeUpdate() == 1;
        }
    }

    /** Ends the session (upload sealed, failed, expired or deleted). False when there was none. */
    public boolean close(Connection c, UUID fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM upload_sessions WHERE file_id = ?")) {
            ps.setObject(1, fileId);
            return ps.executeUpdate() == 1;
        }
    }

    public Optional<UploadSession> find(Database db, UUID fileId) {
        return db.withConnection(c -> find(c, fileId));
    }

    public Optional<UploadSession> find(Connection c, UUID fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM upload_sessions WHERE file_id = ?")) {
            ps.setObject(1, fileId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    /** {@link #expiredBatch(Connection, Instant, int)} as of the database clock, which every gateway's expiry used. */
    public List<UploadSession> expiredBatch(Connection c, int limit) throws SQLException {
        return expiredBatch(c, null, limit);
    }

    /**
     * Takes up to {@code limit} sessions that expired before {@code now}, oldest first, and locks
     * them until the caller's transaction ends. {@code SKIP LOCKED} lets several cleanup workers
     * run at once: each gets a disjoint batch, and a session whose upload is reporting progress at
     * this moment is skipped rather than waited for.
     *
     * @throws IllegalStateException outside a transaction, where the locks would be gone at once
     */
    public List<UploadSession> expiredBatch(Connection c, Instant now, int limit) throws SQLException {
        if (c.getAutoCommit()) {
            throw new IllegalStateException("expiredBatch needs a transaction: its row locks are what keep workers apart");
        }
        if (limit < 1 || limit > MAX_BATCH) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_BATCH + ", got " + limit);
        }
        String sql = "SELECT " + COLUMNS + " FROM upload_sessions WHERE expires_at < coalesce(?::timestamptz, now()) "
                + "ORDER BY expires_at, file_id LIMIT ? FOR UPDATE SKIP LOCKED";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (now == null) {
                ps.setNull(1, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
            } else {
                Jdbc.setInstant(ps, 1, now);
            }
            ps.setInt(2, limit);
            List<UploadSession> batch = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    batch.add(read(rs));
                }
            }
            return batch;
        }
    }

    private static UploadSession read(ResultSet rs) throws SQLException {
        return new UploadSession(Jdbc.uuid(rs, "file_id"), rs.getString("gateway_id"), rs.getLong("bytes_received"),
                Jdbc.instant(rs, "started_at"), Jdbc.instant(rs, "last_progress_at"), Jdbc.instant(rs, "expires_at"));
    }
}
