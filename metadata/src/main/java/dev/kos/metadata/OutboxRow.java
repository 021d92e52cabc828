package dev.kos.metadata;

import java.util.Objects;
import java.util.UUID;

/**
 * One row of the transactional outbox, ready to insert: the relay publishes {@code payload} (a
 * serialized event envelope) to {@code topic} under {@code recordKey}. Built by the events
 * module's {@code OutboxWriter}; a statement that inserts its rows alongside the state change
 * they report (see {@link FileRepository#createSealed}) takes them from there.
 */
public record OutboxRow(UUID eventId, String topic, String recordKey, String eventType, byte[] payload) {
    public OutboxRow {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(recordKey, "recordKey");
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(payload, "payload");
    }
}
