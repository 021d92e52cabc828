package dev.kos.events;

import dev.kos.metadata.OutboxRow;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes events into the transactional outbox, in the caller's transaction.
 *
 * <p>Call it in the same transaction as the state change the event reports: both commit or
 * neither does, and {@link OutboxRelay} publishes the row afterwards, even if this process dies
 * right after the commit. The per-subject sequence comes from an {@code UPDATE ... RETURNING} on
 * the subject's row (this class's own, or the caller's state change that reserved it: {@link
 * #appendReserved}), whose row lock also serialises concurrent writers of one subject until
 * commit; so one subject's outbox ids, and therefore its publish order, follow its sequence.
 */
public final class OutboxWriter {
    /**
     * The channel a relay LISTENs on. The outbox's insert trigger (migration V4) notifies it; a
     * NOTIFY is delivered at commit, and never on rollback.
     */
    public static final String CHANNEL = "kos_outbox";

    /** {@link #write}'s marker for "advance the subject's sequence here", as {@link #appendAll} does. */
    private static final long RESERVE = -1;

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
        return appendAll(c, List.of(e)).get(0);
    }

    /**
     * {@link #append} for several events of one subject (one file, or one node), in the order
     * given: one sequence update and one batch of inserts, so one round trip each whatever the
     * number of events. Ring events take their epochs as sequences.
     *
     * @throws IllegalArgumentException no events, or events of different subjects
     */
    public static List<EventEnvelope> appendAll(Connection c, List<EventEnvelope.Builder> events) throws SQLException {
        return write(c, events, RESERVE);
    }

    /**
     * {@link #appendAll} for a caller whose own update of the subject's row already advanced its
     * {@code event_seq} by {@code events.size()} in this transaction and returned the new value,
     * {@code lastSequence} (for example {@code FileRepository.seal} with its {@code events}
     * argument): the state change and the sequence take one statement instead of two, and that
     * update's row lock serialises writers of the subject as the sequence update would.
     *
     * @throws IllegalArgumentException also for ring events, whose sequences are their epochs
     */
    public static List<EventEnvelope> appendReserved(Connection c, List<EventEnvelope.Builder> events, long lastSequence)
            throws SQLException {
        requireRoom(events, lastSequence);
        return write(c, events, lastSequence);
    }

    /**
     * The rows {@link #appendReserved} would insert, for a caller that inserts them itself in the
     * statement that reserves their sequences ({@code FileRepository.createSealed}): a statement
     * is atomic, so state change, sequences and rows still commit together, and no transaction
     * is needed around it. Fills in what the builders lack, as {@link #append} does.
     *
     * @throws IllegalArgumentException no events, events of different subjects, ring events, or
     *     sequences up to {@code lastSequence} that cannot hold them
     */
    public static List<OutboxRow> reservedRows(List<EventEnvelope.Builder> events, long lastSequence) {
        requireRoom(events, lastSequence);
        Subject subject = subjectOf(events);
        requireNotRing(subject);
        return rows(sequenced(events, subject, lastSequence), subject);
    }

    private static void requireRoom(List<EventEnvelope.Builder> events, long lastSequence) {
        if (lastSequence < events.size()) {
            throw new IllegalArgumentException("sequences up to " + lastSequence + " cannot hold " + events.size() + " events");
        }
    }

    /** Ring events take their epochs as sequences, so none can be reserved for them. */
    private static void requireNotRing(Subject subject) {
        if (subject.types().get(0).subject() == EventType.Subject.RING) {
            throw new IllegalArgumentException("ring events take their epochs as sequences; nothing is reserved for them");
        }
    }

    private static List<EventEnvelope> write(Connection c, List<EventEnvelope.Builder> events, long reserved)
            throws SQLException {
        if (c.getAutoCommit()) {
            // Sequence and row would commit separately, and two writers could interleave them.
            throw new IllegalStateException("OutboxWriter.append must run inside a transaction (auto-commit is on)");
        }
        Subject subject = subjectOf(events);
        EventType.Subject kind = subject.types().get(0).subject();
        if (reserved != RESERVE) {
            requireNotRing(subject);
        }
        long last = reserved != RESERVE ? reserved : switch (kind) {
            case FILE -> nextSequence(c, "UPDATE files SET event_seq = event_seq + ? WHERE file_id = ? RETURNING event_seq",
                    events.size(), UUID.fromString(subject.key()), "file " + subject.key(), subject.types().get(0));
            case NODE -> nextSequence(c, "UPDATE storage_nodes SET event_seq = event_seq + ? WHERE node_id = ? RETURNING event_seq",
                    events.size(), subject.key(), "node " + subject.key(), subject.types().get(0));
            case RING -> 0;
            default -> throw new IllegalStateException("unhandled subject " + kind);
        };
        List<EventEnvelope> appended = sequenced(events, subject, last);
        // One batch: pgjdbc sends its rows in one round trip. The insert's trigger (migration V4)
        // sends NOTIFY kos_outbox, which wakes the relay at commit.
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO outbox (event_id, topic, record_key, event_type, payload) VALUES (?, ?, ?, ?, ?)")) {
            for (OutboxRow row : rows(appended, subject)) {
                ps.setObject(1, row.eventId());
                ps.setString(2, row.topic());
                ps.setString(3, row.recordKey());
                ps.setString(4, row.eventType());
                ps.setBytes(5, row.payload());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return appended;
    }

    /** What one append's events share (their subject's key) and what each is. */
    private record Subject(String key, List<EventType> types, List<UUID> eventIds) {
    }

    /**
     * Checks that the events share one subject and fills in what the builders lack (event id,
     * time, schema version).
     */
    private static Subject subjectOf(List<EventEnvelope.Builder> events) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("no events to append");
        }
        List<EventType> types = new ArrayList<>(events.size());
        List<UUID> eventIds = new ArrayList<>(events.size());
        String key = null;
        for (EventEnvelope.Builder e : events) {
            EventType type = EventType.of(e);
            String k = subjectKey(e, type);
            if (key != null && !key.equals(k)) {
                throw new IllegalArgumentException("events of one append must share their subject: " + key + " and " + k);
            }
            key = k;
            types.add(type);
            eventIds.add(eventId(e));
            if (e.getSchemaVersion() == 0) {
                e.setSchemaVersion(Events.SCHEMA_VERSION);
            }
            if (!e.hasOccurredAt()) {
                e.setOccurredAt(Events.timestamp(Instant.now()));
            }
        }
        return new Subject(key, types, eventIds);
    }

    /** Sets each event's sequence, the last one {@code last} (ring events: their epochs), and builds it. */
    private static List<EventEnvelope> sequenced(List<EventEnvelope.Builder> events, Subject subject, long last) {
        List<EventEnvelope> built = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            EventEnvelope.Builder e = events.get(i);
            long sequence = subject.types().get(i).subject() == EventType.Subject.RING ? e.getRingChanged().getEpoch()
                    : last - events.size() + 1 + i;
            built.add(e.setSequence(sequence).build());
        }
        return built;
    }

    private static List<OutboxRow> rows(List<EventEnvelope> envelopes, Subject subject) {
        List<OutboxRow> rows = new ArrayList<>(envelopes.size());
        for (int i = 0; i < envelopes.size(); i++) {
            EventType type = subject.types().get(i);
            rows.add(new OutboxRow(subject.eventIds().get(i), Topics.topicFor(type), subject.key(), type.wireName(),
                    envelopes.get(i).toByteArray()));
        }
        return rows;
    }

    /** The record key of the event's subject: its file id, node id, or the ring's one key. */
    private static String subjectKey(EventEnvelope.Builder e, EventType type) {
        return switch (type.subject()) {
            case FILE -> fileId(e, type).toString();
            case NODE -> {
                if (e.getNodeId().isBlank()) {
                    throw new InvalidEventException(type.wireName() + " event has no node_id");
                }
                yield e.getNodeId();
            }
            case RING -> {
                if (e.getRingChanged().getEpoch() < 1) {
                    throw new InvalidEventException("ring_changed needs an epoch >= 1, got " + e.getRingChanged().getEpoch());
                }
                yield Topics.RING_KEY;
            }
            default -> throw new IllegalStateException("unhandled subject " + type.subject());
        };
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

    private static long nextSequence(Connection c, String sql, int count, Object id, String subject, EventType type)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, count);
            ps.setObject(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new UnknownSubjectException(type.wireName() + " event for unknown " + subject);
                }
                return rs.getLong(1);
            }
        }
    }
}
