package dev.kos.events;

import dev.kos.schemas.events.v1.EventEnvelope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.UUID;

/**
 * Writes events into the transactional outbox, in the caller's transaction.
 *
 * <p>Call it in the same transaction as the state change the event reports: both commit or
 * neither does, and {@link OutboxRelay} publishes the row afterwards, even if this process dies
 * right after the commit. The per-subject sequence comes from an {@code UPDATE ... RETURNING} on
 * the subject's row, whose row lock also serialises concurrent writers of one subject until
 * commit; so one subject's outbox ids, and therefore its publish order, follow its sequence.
 */
public final class OutboxWriter {
    /** The channel a relay LISTENs on; a NOTIFY is delivered at commit, and never on rollback. */
    public static final String CHANNEL = "kos_outbox";

    private OutboxWriter() {
    }

    /**
     * Assigns the next sequence of the event's subject, fills in what the builder lacks (event
     * id, time, schema version), inserts the outbox row and returns the final envelope.
     *
     * @param c a connection inside an open transaction (auto-commit off)
     * @throws InvalidEventException no payload, or a missing or malformed file / node id or epoch
     * @throws UnknownSubjectException the file or node has no row
     * @throws IllegalStateException the connection is in auto-commit mode
     */
    public static EventEnvelope append(Connection c, EventEnvelope.Builder e) throws SQLException {
        if (c.getAutoCommit()) {
            // Sequence and row would commit separately, and two writers could interleave them.
            throw new IllegalStateException("OutboxWriter.append must run inside a transaction (auto-commit is on)");
        }
        EventType type = EventType.of(e);
        UUID eventId = eventId(e);
        if (e.getSchemaVersion() == 0) {
            e.setSchemaVersion(Events.SCHEMA_VERSION);
        }
        if (!e.hasOccurredAt()) {
            e.setOccurredAt(Events.timestamp(Instant.now()));
        }
        String key;
        long sequence;
        switch (type.subject()) {
            case FILE -> {
                UUID fileId = fileId(e, type);
                key = fileId.toString();
                sequence = nextSequence(c, "UPDATE files SET event_seq = event_seq + 1 WHERE file_id = ? RETURNING event_seq",
                        fileId, "file " + fileId, type);
            }
            case NODE -> {
                if (e.getNodeId().isBlank()) {
                    throw new InvalidEventException(type.wireName() + " event has no node_id");
                }
                key = e.getNodeId();
                sequence = nextSequence(c, "UPDATE storage_nodes SET event_seq = event_seq + 1 WHERE node_id = ? RETURNING event_seq",
                        key, "node " + key, type);
            }
            case RING -> {
                sequence = e.getRingChanged().getEpoch();
                if (sequence < 1) {
                    throw new InvalidEventException("ring_changed needs an epoch >= 1, got " + sequence);
                }
                key = Topics.RING_KEY;
            }
            default -> throw new IllegalStateException("unhandled subject " + type.subject());
        }
        EventEnvelope envelope = e.setSequence(sequence).build();
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO outbox (event_id, topic, record_key, event_type, payload) VALUES (?, ?, ?, ?, ?)")) {
            ps.setObject(1, eventId);
            ps.setString(2, Topics.topicFor(type));
            ps.setString(3, key);
            ps.setString(4, type.wireName());
            ps.setBytes(5, envelope.toByteArray());
            ps.executeUpdate();
        }
        try (Statement s = c.createStatement()) {
            s.execute("NOTIFY " + CHANNEL);
        }
        return envelope;
    }

    private static UUID eventId(EventEnvelope.Builder e) {
        if (e.getEventId().isEmpty()) {
            UUID id = UUID.randomUUID();
            e.setEventId(id.toString());
            return id;
        }
        try {
            return UUID.fromString(e.getEventId());
        } catch (IllegalArgumentException ex) {
            throw new InvalidEventException("event_id '" + e.getEventId() + "' is not a UUID", ex);
        }
    }

    private static UUID fileId(EventEnvelope.Builder e, EventType type) {
        if (e.getFileId().isEmpty()) {
            throw new InvalidEventException(type.wireName() + " event has no file_id");
        }
        try {
            return UUID.fromString(e.getFileId());
        } catch (IllegalArgumentException ex) {
            throw new InvalidEventException(type.wireName() + " event's file_id '" + e.getFileId() + "' is not a UUID", ex);
        }
    }

    private static long nextSequence(Connection c, String sql, Object id, String subject, EventType type) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new UnknownSubjectException(type.wireName() + " event for unknown " + subject);
                }
                return rs.getLong(1);
            }
        }
    }
}
