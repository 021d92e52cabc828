package dev.kos.events;

import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.EventEnvelope.PayloadCase;
import java.util.Locale;

/**
 * Every event type, named as its payload field in {@code events.proto} ({@code upload_started},
 * ...), with the subject it is about. The subject decides the topic, the record key and whose
 * sequence numbers the event takes.
 */
public enum EventType {
    UPLOAD_STARTED(PayloadCase.UPLOAD_STARTED, Subject.FILE),
    CHUNK_STORED(PayloadCase.CHUNK_STORED, Subject.FILE),
    UPLOAD_SEALED(PayloadCase.UPLOAD_SEALED, Subject.FILE),
    FILE_COMPLETED(PayloadCase.FILE_COMPLETED, Subject.FILE),
    UPLOAD_ABORTED(PayloadCase.UPLOAD_ABORTED, Subject.FILE),
    DELETE_REQUESTED(PayloadCase.DELETE_REQUESTED, Subject.FILE),
    CHUNK_DELETED(PayloadCase.CHUNK_DELETED, Subject.FILE),
    FILE_DELETED(PayloadCase.FILE_DELETED, Subject.FILE),
    // A moved chunk belongs to a file: its events stay ordered with that file's other events.
    CHUNK_MOVED(PayloadCase.CHUNK_MOVED, Subject.FILE),
    NODE_JOINED(PayloadCase.NODE_JOINED, Subject.NODE),
    NODE_LEFT(PayloadCase.NODE_LEFT, Subject.NODE),
    RING_CHANGED(PayloadCase.RING_CHANGED, Subject.RING);

    /** What an event is about, which picks its topic, key and sequence. */
    public enum Subject {
        /** Topic {@link Topics#FILES}, key = file id, sequence = files.event_seq. */
        FILE,
        /** Topic {@link Topics#NODES}, key = node id, sequence = storage_nodes.event_seq. */
        NODE,
        /**
         * Topic {@link Topics#NODES}, key = {@link Topics#RING_KEY}, sequence = the ring epoch,
         * which membership already bumps once per change in the same transaction.
         */
        RING
    }

    private final PayloadCase payloadCase;
    private final Subject subject;
    private final String wireName;

    EventType(PayloadCase payloadCase, Subject subject) {
        this.payloadCase = payloadCase;
        this.subject = subject;
        this.wireName = name().toLowerCase(Locale.ROOT);
    }

    /** The snake_case name: the {@code kos-event-type} header and the outbox's event_type. */
    public String wireName() {
        return wireName;
    }

    public Subject subject() {
        return subject;
    }

    public PayloadCase payloadCase() {
        return payloadCase;
    }

    /** The type of a payload case; a missing payload is an {@link InvalidEventException}. */
    public static EventType of(PayloadCase payloadCase) {
        for (EventType t : values()) {
            if (t.payloadCase == payloadCase) {
                return t;
            }
        }
        throw new InvalidEventException("event has no known payload (payload case " + payloadCase + ")");
    }

    public static EventType of(EventEnvelope envelope) {
        return of(envelope.getPayloadCase());
    }

    public static EventType of(EventEnvelope.Builder envelope) {
        return of(envelope.getPayloadCase());
    }

    /** The type for a wire name, e.g. from the {@code kos-event-type} header. */
    public static EventType fromWireName(String name) {
        for (EventType t : values()) {
            if (t.wireName.equals(name)) {
                return t;
            }
        }
        throw new InvalidEventException("unknown event type '" + name + "'");
    }
}
