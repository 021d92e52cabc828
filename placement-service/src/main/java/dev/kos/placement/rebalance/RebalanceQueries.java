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
 * The reads rebalancing needs beyond ChunkRepository. The walk filters on the file status in SQL
 * (ChunkRepository.locationsOnNode does not), so the chunks of files that are uploading or on
 * their way out are neither counted as work nor fetched. Every page is a short range scan of the
 * (node_id, state, chunk_id) index.
 */
final class RebalanceQueries {

    /** One page of the stored copies of completed files on a node, after the cursor. */
    List<StoredCopy> storedCopies(Connection c, String nodeId, Optional<String> after, int limit) throws SQLException {
        String sql = "SELECT l.chunk_id, c.file_id, c.size_bytes, c.crc32c FROM chunk_locations l "
                + "JOIN chunks c ON c.chunk_id = l.chunk_id JOIN files f ON f.file_id = c.file_id "
                + "WHERE l.node_id = ? AND l.state = 'stored' AND l.chunk_id > ? AND f.status = 'completed' "
                + "ORDER BY l.chunk_id LIMIT ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, nodeId);
            ps.setString(2, after.orElse(""));
            ps.setInt(3, limit);
            List<StoredCopy> page = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(new StoredCopy(rs.getString(1), nodeId, rs.getObject(2, UUID.class), rs.getLong(3),
                            ByteBuffer.wrap(rs.getBytes(4)).getInt()));
                }
            }
            return page;
        }
    }

    /** One page of the chunk ids a node has a copy being written of (a move in progress or interrupted). */
    List<String> copyingOnNode(Connection c, String nodeId, Optional<String> after, int limit) throws SQLException {
        String sql = "SELECT chunk_id FROM chunk_locations WHERE node_id = ? AND state = 'copying' AND chunk_id > ? "
                + "ORDER BY chunk_id LIMIT ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, nodeId);
            ps.setString(2, after.orElse(""));
            ps.setInt(3, limit);
            List<String> page = new ArrayList<>();
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
