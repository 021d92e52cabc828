package dev.kos.metadata;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Rows of {@code chunks} and {@code chunk_locations}. Writes take the caller's connection so they
 * join its transaction. Recording a chunk is idempotent: a replayed chunk-stored event or a
 * retried request changes nothing the second time.
 */
public final class ChunkRepository {
    /** Bounds one page of a node's inventory walk. */
    public static final int MAX_PAGE = 10_000;

    private static final String CHUNK_COLUMNS = "c.file_id, c.chunk_index, c.chunk_id, c.size_bytes, c.crc32c, l.node_id, l.state";

    /**
     * Records chunk {@code index} of a file and a {@code stored} copy of it on {@code nodeId}.
     *
     * @return true when the chunk row is new; false when the same chunk (same id, index, size and
     *         checksum) was already recorded, in which case only the copy on {@code nodeId} is
     *         added if it was missing
     * @throws ChunkConflictException     when the index or the chunk id is already recorded with
     *                                    other values
     * @throws UnknownFileException       when the file does not exist
     * @throws UnknownReferenceException  when the node does not exist
     */
    public boolean addChunk(Connection c, UUID fileId, int index, String chunkId, long size, int crc32c, String nodeId)
            throws SQLException {
        Jdbc.requireChunkId(chunkId);
        if (index < 0) {
            throw new IllegalArgumentException("chunk index must not be negative, got " + index);
        }
        if (size < 0) {
            throw new IllegalArgumentException("chunk size must not be negative, got " + size);
        }
        boolean inserted;
        // No conflict target: a clash on (file_id, chunk_index) or on chunk_id both land here, and
        // the check below tells a replay from a conflict.
        String sql = "INSERT INTO chunks (file_id, chunk_index, chunk_id, size_bytes, crc32c) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            ps.setInt(2, index);
            ps.setString(3, chunkId);
            ps.setLong(4, size);
            ps.setBytes(5, Jdbc.crcBytes(crc32c));
            inserted = ps.executeUpdate() == 1;
        } catch (SQLException e) {
            if (Jdbc.FOREIGN_KEY_VIOLATION.equals(e.getSQLState())) {
                throw new UnknownFileException(fileId);
            }
            throw e;
        }
        if (!inserted) {
            requireSameChunk(c, fileId, index, chunkId, size, crc32c);
        }
        addLocation(c, chunkId, nodeId, LocationState.STORED);
        return inserted;
    }

    private void requireSameChunk(Connection c, UUID fileId, int index, String chunkId, long size, int crc32c) throws SQLException {
        String sql = "SELECT file_id, chunk_index, chunk_id, size_bytes, crc32c FROM chunks "
                + "WHERE (file_id = ? AND chunk_index = ?) OR chunk_id = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            ps.setInt(2, index);
            ps.setString(3, chunkId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean same = fileId.equals(Jdbc.uuid(rs, "file_id")) && rs.getInt("chunk_index") == index
                            && chunkId.equals(rs.getString("chunk_id")) && rs.getLong("size_bytes") == size
                            && Jdbc.crcInt(rs.getBytes("crc32c")) == crc32c;
                    if (!same) {
                        throw new ChunkConflictException(String.format(
                                "chunk %s (file %s, index %d, %d bytes, crc32c %08x) conflicts with the recorded "
                                        + "chunk %s (file %s, index %d, %d bytes, crc32c %08x)",
                                chunkId, fileId, index, size, crc32c, rs.getString("chunk_id"), Jdbc.uuid(rs, "file_id"),
                                rs.getInt("chunk_index"), rs.getLong("size_bytes"), Jdbc.crcInt(rs.getBytes("crc32c"))));
                    }
                }
            }
        }
    }

    /**
     * Adds a copy of a chunk on a node (a replica, or the target of a move in state copying).
     *
     * @return true when added; false when that node already had a copy (its state is left alone,
     *         so a replay never resurrects a copy being deleted)
     */
    public boolean addLocation(Connection c, String chunkId, String nodeId, LocationState state) throws SQLException {
        String sql = "INSERT INTO chunk_locations (chunk_id, node_id, state) VALUES (?, ?, ?) ON CONFLICT (chunk_id, node_id) DO NOTHING";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, chunkId);
            ps.setString(2, nodeId);
            ps.setString(3, state.dbValue());
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            if (Jdbc.FOREIGN_KEY_VIOLATION.equals(e.getSQLState())) {
                String what = Jdbc.constraint(e).filter("chunk_locations_node_id_fkey"::equals).isPresent()
                        ? "unknown storage node '" + nodeId + "'" : "unknown chunk '" + chunkId + "'";
                throw new UnknownReferenceException(what, e);
            }
            throw e;
        }
    }

    /**
     * Moves one copy from {@code from} to {@code to} (copying -> stored when a move verified,
     * stored -> deleting when a node should drop it).
     *
     * @return whether it applied (false: no such copy, or it was not in {@code from})
     */
    public boolean setLocationState(Connection c, String chunkId, String nodeId, LocationState from, LocationState to)
            throws SQLException {
        String sql = "UPDATE chunk_locations SET state = ?, updated_at = now() WHERE chunk_id = ? AND node_id = ? AND state = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, to.dbValue());
            ps.setString(2, chunkId);
            ps.setString(3, nodeId);
            ps.setString(4, from.dbValue());
            return ps.executeUpdate() == 1;
        }
    }

    /** Marks every copy of every chunk of a file for deletion (the file is being deleted). */
    public int markFileLocationsDeleting(Connection c, UUID fileId) throws SQLException {
        String sql = "UPDATE chunk_locations l SET state = 'deleting', updated_at = now() FROM chunks c "
                + "WHERE c.chunk_id = l.chunk_id AND c.file_id = ? AND l.state <> 'deleting'";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            return ps.executeUpdate();
        }
    }

    /** Forgets one copy (the node deleted it, or a move finished). */
    public boolean removeLocation(Connection c, String chunkId, String nodeId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM chunk_locations WHERE chunk_id = ? AND node_id = ?")) {
            ps.setString(1, chunkId);
            ps.setString(2, nodeId);
            return ps.executeUpdate() == 1;
        }
    }

    public List<ChunkRecord> chunksOf(Database db, UUID fileId) {
        return db.withConnection(c -> chunksOf(c, fileId));
    }

    /**
     * Every chunk of a file in index order with its copies, in one query. The list is bounded by
     * the file size limit over the chunk size; ranged readers use {@link #chunksTouching}.
     */
    public List<ChunkRecord> chunksOf(Connection c, UUID fileId) throws SQLException {
        return chunksTouching(c, fileId, 0, Integer.MAX_VALUE);
    }

    public List<ChunkRecord> chunksTouching(Database db, UUID fileId, int fromIndex, int toIndex) {
        return db.withConnection(c -> chunksTouching(c, fileId, fromIndex, toIndex));
    }

    /** Chunks {@code fromIndex..toIndex} (both inclusive) of a file, for a range read. */
    public List<ChunkRecord> chunksTouching(Connection c, UUID fileId, int fromIndex, int toIndex) throws SQLException {
        if (fromIndex < 0 || toIndex < fromIndex) {
            throw new IllegalArgumentException("invalid chunk range " + fromIndex + ".." + toIndex);
        }
        String sql = "SELECT " + CHUNK_COLUMNS + " FROM chunks c LEFT JOIN chunk_locations l ON l.chunk_id = c.chunk_id "
                + "WHERE c.file_id = ? AND c.chunk_index BETWEEN ? AND ? ORDER BY c.chunk_index, l.node_id";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            ps.setInt(2, fromIndex);
            ps.setInt(3, toIndex);
            try (ResultSet rs = ps.executeQuery()) {
                return groupByChunk(rs);
            }
        }
    }

    private static List<ChunkRecord> groupByChunk(ResultSet rs) throws SQLException {
        return groupByChunk(rs, false, "size_bytes");
    }

    /**
     * Folds rows of chunk columns joined with their locations (ordered by chunk index, then node)
     * into chunks. {@code onRow}: the result set already stands on its first row (the caller read
     * other columns of it). Rows without a chunk (an outer join of a file that has none) are skipped.
     *
     * @param sizeColumn the label of the chunk's size (a join with files renames it)
     */
    static List<ChunkRecord> groupByChunk(ResultSet rs, boolean onRow, String sizeColumn) throws SQLException {
        List<ChunkRecord> chunks = new ArrayList<>();
        ChunkRecord current = null;
        List<ChunkLocation> locations = new ArrayList<>();
        for (boolean row = onRow || rs.next(); row; row = rs.next()) {
            String chunkId = rs.getString("chunk_id");
            if (chunkId == null) {
                continue;
            }
            if (current == null || !current.chunkId().equals(chunkId)) {
                if (current != null) {
                    chunks.add(new ChunkRecord(current.fileId(), current.index(), current.chunkId(), current.size(), current.crc32c(), locations));
                }
                current = new ChunkRecord(Jdbc.uuid(rs, "file_id"), rs.getInt("chunk_index"), chunkId,
                        rs.getLong(sizeColumn), Jdbc.crcInt(rs.getBytes("crc32c")), List.of());
                locations = new ArrayList<>();
            }
            String node = rs.getString("node_id");
            if (node != null) {
                locations.add(new ChunkLocation(node, LocationState.parse(rs.getString("state"))));
            }
        }
        if (current != null) {
            chunks.add(new ChunkRecord(current.fileId(), current.index(), current.chunkId(), current.size(), current.crc32c(), locations));
        }
        return chunks;
    }

    public List<ChunkOnNode> locationsOnNode(Database db, String nodeId, LocationState state, int limit, Optional<String> afterChunkId) {
        return db.withConnection(c -> locationsOnNode(c, nodeId, state, limit, afterChunkId));
    }

    /**
     * The chunk is fetched per location, through a lateral subquery that OFFSET 0 keeps the planner
     * from flattening: joined plainly, the planner merge-joined the chunks index from its start, or
     * hashed the whole table, on every page, so a walk cost pages x chunks (1.4 s for 50,000 chunks,
     * growing with the square of the store) instead of the chunks it returns.
     */
    static final String LOCATIONS_ON_NODE = "SELECT l.chunk_id, l.node_id, l.state, c.file_id, c.chunk_index, c.size_bytes, "
            + "c.crc32c FROM chunk_locations l CROSS JOIN LATERAL (SELECT file_id, chunk_index, size_bytes, crc32c FROM chunks "
            + "WHERE chunks.chunk_id = l.chunk_id OFFSET 0) c "
            + "WHERE l.node_id = ? AND l.state = ? AND l.chunk_id > ? ORDER BY l.chunk_id LIMIT ?";

    /**
     * One page of the copies a node holds in a state, in chunk-id order, after the cursor
     * {@code afterChunkId} (the last chunk id of the previous page; empty for the first page).
     * Keyset pagination: every page costs the same however deep the walk, and rows added or
     * removed meanwhile never shift a page.
     */
    public List<ChunkOnNode> locationsOnNode(Connection c, String nodeId, LocationState state, int limit, Optional<String> afterChunkId)
            throws SQLException {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_PAGE + ", got " + limit);
        }
        try (PreparedStatement ps = c.prepareStatement(LOCATIONS_ON_NODE)) {
            ps.setString(1, nodeId);
            ps.setString(2, state.dbValue());
            ps.setString(3, afterChunkId.orElse("")); // every chunk id has at least one character
            ps.setInt(4, limit);
            List<ChunkOnNode> page = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(new ChunkOnNode(rs.getString("chunk_id"), rs.getString("node_id"), LocationState.parse(rs.getString("state")),
                            Jdbc.uuid(rs, "file_id"), rs.getInt("chunk_index"), rs.getLong("size_bytes"), Jdbc.crcInt(rs.getBytes("crc32c"))));
                }
            }
            return page;
        }
    }

    /** How many chunks of the file have at least one stored (readable) copy. */
    public long countStored(Connection c, UUID fileId) throws SQLException {
        String sql = "SELECT count(*) FROM chunks c WHERE c.file_id = ? "
                + "AND EXISTS (SELECT 1 FROM chunk_locations l WHERE l.chunk_id = c.chunk_id AND l.state = 'stored')";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
