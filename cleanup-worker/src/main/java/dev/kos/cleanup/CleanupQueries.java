package dev.kos.cleanup;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The few reads the cleanup worker needs that the metadata repositories do not offer. All are
 * bounded: a page, one file, or one batch of chunk ids.
 */
final class CleanupQueries {

    /**
     * Locks the file's row if no one else holds it. Empty when the row is locked (a gateway is
     * recording progress on it right now) or missing. The session expirer holds session locks
     * when it calls this; waiting here while a gateway holds the file and waits for the session
     * would be a deadlock, so it skips instead.
     */
    boolean tryLockFile(Connection c, UUID fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM files WHERE file_id = ? FOR UPDATE SKIP LOCKED")) {
            ps.setObject(1, fileId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * One page, in id order after {@code after}, of the files whose chunks are on their way out
     * and that are not tombstones yet: deleting, failed or expired.
     */
    List<UUID> filesBeingRemoved(Connection c, Optional<UUID> after, int limit) throws SQLException {
        String sql = "SELECT file_id FROM files WHERE status IN ('deleting', 'failed', 'expired') AND file_id > ? "
                + "ORDER BY file_id LIMIT ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            // PostgreSQL orders uuids as unsigned bytes: all zeros sorts before every real id.
            ps.setObject(1, after.orElse(new UUID(0, 0)));
            ps.setInt(2, limit);
            List<UUID> page = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(rs.getObject(1, UUID.class));
                }
            }
            return page;
        }
    }

    /** Copies, in any state, of the file's chunks that some node still holds. */
    long locationsLeft(Connection c, UUID fileId) throws SQLException {
        return count(c, "SELECT count(*) FROM chunk_locations l JOIN chunks ch ON ch.chunk_id = l.chunk_id WHERE ch.file_id = ?", fileId);
    }

    long chunkCount(Connection c, UUID fileId) throws SQLException {
        return count(c, "SELECT count(*) FROM chunks WHERE file_id = ?", fileId);
    }

    /**
     * Of {@code chunkIds}, those the metadata still needs: a chunk row exists and its file is not
     * a tombstone. A chunk of a deleted file can linger on a node whose copy was written off (a
     * node removed, then brought back with its disk); it is garbage like an unknown one.
     */
    Set<String> liveChunkIds(Connection c, List<String> chunkIds) throws SQLException {
        String sql = "SELECT ch.chunk_id FROM chunks ch JOIN files f ON f.file_id = ch.file_id "
                + "WHERE ch.chunk_id = ANY (?) AND f.status <> 'deleted'";
        Set<String> live = new HashSet<>();
        Array ids = c.createArrayOf("text", chunkIds.toArray());
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    live.add(rs.getString(1));
                }
            }
        } finally {
            ids.free();
        }
        return live;
    }

    private static long count(Connection c, String sql, UUID fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
