package dev.kos.e2e;

import dev.kos.metadata.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** What a test reads from the stack's metadata database to check the gateway's answers. */
final class StackDb {
    private final Database db;

    StackDb(Database db) {
        this.db = db;
    }

    record Location(int index, String chunkId, long size, String nodeId, String state) {
    }

    record NodeRow(String nodeId, String status, Instant lastHeartbeat, Instant dbNow) {
    }

    Optional<String> fileStatus(UUID fileId) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT status FROM files WHERE file_id = ?")) {
                ps.setObject(1, fileId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    Optional<UUID> fileNamed(String name) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT file_id FROM files WHERE name = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.<UUID>empty();
                }
            }
        });
    }

    /** Every chunk row of the file, in order, joined with each of its locations (if any). */
    List<Location> locations(UUID fileId) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT k.chunk_index, k.chunk_id, k.size_bytes, l.node_id, l.state FROM chunks k "
                            + "LEFT JOIN chunk_locations l USING (chunk_id) WHERE k.file_id = ? ORDER BY k.chunk_index, l.node_id")) {
                ps.setObject(1, fileId);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Location> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new Location(rs.getInt(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getString(5)));
                    }
                    return out;
                }
            }
        });
    }

    int chunkCount(UUID fileId) {
        return count("SELECT count(*) FROM chunks WHERE file_id = ?", fileId);
    }

    int sessionCount(UUID fileId) {
        return count("SELECT count(*) FROM upload_sessions WHERE file_id = ?", fileId);
    }

    List<NodeRow> nodes() {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT node_id, status, last_heartbeat, now() FROM storage_nodes ORDER BY node_id");
                 ResultSet rs = ps.executeQuery()) {
                List<NodeRow> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new NodeRow(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(),
                            rs.getTimestamp(4).toInstant()));
                }
                return out;
            }
        });
    }

    /** How long the node had been silent when its status last changed (status_changed_at - last_heartbeat). */
    Duration silenceAtStatusChange(String nodeId) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT (extract(epoch FROM status_changed_at - last_heartbeat) * 1000)::bigint FROM storage_nodes WHERE node_id = ?")) {
                ps.setString(1, nodeId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Duration.ofMillis(rs.getLong(1));
                }
            }
        });
    }

    Optional<NodeRow> node(String nodeId) {
        return nodes().stream().filter(n -> n.nodeId().equals(nodeId)).findFirst();
    }

    /** The files the database holds in a status, for invariants after concurrent runs. */
    List<UUID> filesWithStatus(String status) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT file_id FROM files WHERE status = ?")) {
                ps.setString(1, status);
                try (ResultSet rs = ps.executeQuery()) {
                    List<UUID> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(rs.getObject(1, UUID.class));
                    }
                    return out;
                }
            }
        });
    }

    /** Backend states (state column of pg_stat_activity) of the connections from these client ports. */
    List<String> backendStates(List<Integer> clientPorts) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT coalesce(state, '?') FROM pg_stat_activity WHERE client_port = ANY (?)")) {
                ps.setArray(1, c.createArrayOf("integer", clientPorts.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    List<String> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                    return out;
                }
            }
        });
    }

    private int count(String sql, UUID fileId) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setObject(1, fileId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

}
