package dev.kos.placement.rebalance;

import dev.kos.metadata.LocationState;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The reads rebalancing needs beyond ChunkRepository. A walk reads a node's stored copies as bare
 * chunk ids, a page at a time: an index-only range scan of (node_id, state, chunk_id), whose cost
 * does not grow with the walk's depth or the size of the other tables. Only the copies the ring
 * says are misplaced (a few, or none, on a settled ring) are then looked up with their chunk and
 * file, filtered on the file status in SQL (ChunkRepository.locationsOnNode does not), so the
 * chunks of files that are uploading or on their way out are neither counted as work nor moved.
 */
final class RebalanceQueries {

    /** One page of the chunk ids a node holds a stored copy of, after the cursor, in chunk-id order. */
    List<String> storedOnNode(Connection c, String nodeId, Optional<String> after, int limit) throws SQLException {
        return chunkIdsOnNode(c, nodeId, "stored", after, limit);
    }

    /**
     * The stored copies on a node of those of {@code chunkIds} that belong to completed files, in
     * chunk-id order. A copy moved, retired or deleted since the ids were read is left out.
     */
    List<StoredCopy> storedCopies(Connection c, String nodeId, List<String> chunkIds) throws SQLException {
        if (chunkIds.isEmpty()) {
            return List.of();
        }
        String sql = "SELECT l.chunk_id, c.file_id, c.size_bytes, c.crc32c FROM chunk_locations l "
                + "JOIN chunks c ON c.chunk_id = l.chunk_id JOIN files f ON f.file_id = c.file_id "
                + "WHERE l.chunk_id = ANY (?) AND l.node_id = ? AND l.state = 'stored' AND f.status = 'completed' "
                + "ORDER BY l.chunk_id";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", chunkIds.toArray()));
            ps.setString(2, nodeId);
            List<StoredCopy> copies = new ArrayList<>(chunkIds.size());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    copies.add(new StoredCopy(rs.getString(1), nodeId, rs.getObject(2, UUID.class), rs.getLong(3),
                            ByteBuffer.wrap(rs.getBytes(4)).getInt()));
                }
            }
            return copies;
        }
    }

    /** One page of the chunk ids a node has a copy being written of (a move in progress or interrupted). */
    List<String> copyingOnNode(Connection c, String nodeId, Optional<String> after, int limit) throws SQLException {
        return chunkIdsOnNode(c, nodeId, "copying", after, limit);
    }

    private static List<String> chunkIdsOnNode(Connection c, String nodeId, String state, Optional<String> after, int limit)
            throws SQLException {
        String sql = "SELECT chunk_id FROM chunk_locations WHERE node_id = ? AND state = ? AND chunk_id > ? "
                + "ORDER BY chunk_id LIMIT ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, nodeId);
            ps.setString(2, state);
            ps.setString(3, after.orElse("")); // every chunk id has at least one character
            ps.setInt(4, limit);
            List<String> page = new ArrayList<>(limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(rs.getString(1));
                }
            }
            return page;
        }
    }

    /** Every copy of one chunk, node id to state, in node-id order. */
    Map<String, LocationState> locationsOf(Connection c, String chunkId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT node_id, state FROM chunk_locations WHERE chunk_id = ? ORDER BY node_id")) {
            ps.setString(1, chunkId);
            Map<String, LocationState> copies = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    copies.put(rs.getString(1), LocationState.parse(rs.getString(2)));
                }
            }
            return copies;
        }
    }
}
