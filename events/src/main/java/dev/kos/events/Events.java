package dev.kos.events;

import com.google.protobuf.Timestamp;
import dev.kos.schemas.events.v1.ChunkDeleted;
import dev.kos.schemas.events.v1.ChunkMoved;
import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.DeleteRequested;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.FileCompleted;
import dev.kos.schemas.events.v1.FileDeleted;
import dev.kos.schemas.events.v1.NodeJoined;
import dev.kos.schemas.events.v1.NodeLeft;
import dev.kos.schemas.events.v1.RingChanged;
import dev.kos.schemas.events.v1.UploadAborted;
import dev.kos.schemas.events.v1.UploadSealed;
import dev.kos.schemas.events.v1.UploadStarted;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Builds event envelopes for one producing service: a fresh event id, the subject, the time,
 * the producer name and schema version 1. The sequence is left at 0: {@link OutboxWriter}
 * assigns it in the transaction that commits the state change.
 */
public final class Events {
    /** The envelope version this library writes (the {@code kos-schema} header). */
    public static final int SCHEMA_VERSION = 1;

    private final String producer;
    private final Clock clock;

    public Events(String producer) {
        this(producer, Clock.systemUTC());
    }

    public Events(String producer, Clock clock) {
        if (producer == null || producer.isBlank()) {
            throw new IllegalArgumentException("an event producer needs a service name");
        }
        this.producer = producer;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public EventEnvelope.Builder uploadStarted(UUID fileId, UploadStarted payload) {
        return file(fileId).setUploadStarted(payload);
    }

    /** The envelope names the node when exactly one node holds the chunk. */
    public EventEnvelope.Builder chunkStored(UUID fileId, ChunkStored payload) {
        EventEnvelope.Builder b = file(fileId).setChunkStored(payload);
        if (payload.getNodeIdsCount() == 1) {
            b.setNodeId(payload.getNodeIds(0));
        }
        return b;
    }

    public EventEnvelope.Builder uploadSealed(UUID fileId, UploadSealed payload) {
        return file(fileId).setUploadSealed(payload);
    }

    public EventEnvelope.Builder fileCompleted(UUID fileId, FileCompleted payload) {
        return file(fileId).setFileCompleted(payload);
    }

    public EventEnvelope.Builder uploadAborted(UUID fileId, UploadAborted payload) {
        return file(fileId).setUploadAborted(payload);
    }

    public EventEnvelope.Builder deleteRequested(UUID fileId, DeleteRequested payload) {
        return file(fileId).setDeleteRequested(payload);
    }

    public EventEnvelope.Builder chunkDeleted(UUID fileId, ChunkDeleted payload) {
        return file(fileId).setChunkDeleted(payload).setNodeId(payload.getNodeId());
    }

    public EventEnvelope.Builder fileDeleted(UUID fileId, FileDeleted payload) {
        return file(fileId).setFileDeleted(payload);
    }

    public EventEnvelope.Builder chunkMoved(UUID fileId, ChunkMoved payload) {
        return file(fileId).setChunkMoved(payload);
    }

    public EventEnvelope.Builder nodeJoined(String nodeId, NodeJoined payload) {
        return node(nodeId).setNodeJoined(payload);
    }

    public EventEnvelope.Builder nodeLeft(String nodeId, NodeLeft payload) {
        return node(nodeId).setNodeLeft(payload);
    }

    /** Its sequence is the payload's epoch (see {@link EventType.Subject#RING}). */
    public EventEnvelope.Builder ringChanged(RingChanged payload) {
        return base().setRingChanged(payload);
    }

    private EventEnvelope.Builder file(UUID fileId) {
        return base().setFileId(Objects.requireNonNull(fileId, "fileId").toString());
    }

    private EventEnvelope.Builder node(String nodeId) {
        if (nodeId == null || nodeId.isBlank()) {
            throw new InvalidEventException("a node event needs a node id");
        }
        return base().setNodeId(nodeId);
    }

    private EventEnvelope.Builder base() {
        return EventEnvelope.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setOccurredAt(timestamp(clock.instant()))
                .setSchemaVersion(SCHEMA_VERSION)
                .setProducer(producer);
    }

    static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }
}
