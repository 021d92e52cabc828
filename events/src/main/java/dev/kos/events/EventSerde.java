package dev.kos.events;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for {@link EventEnvelope} (plain protobuf bytes), usable by producers, consumers
 * and Kafka Streams. Serializing with headers also sets the {@code kos-event-type},
 * {@code kos-event-id} and {@code kos-schema} headers, so consumers can filter without parsing.
 */
public final class EventSerde implements Serde<EventEnvelope> {
    public static final String HEADER_EVENT_TYPE = "kos-event-type";
    public static final String HEADER_EVENT_ID = "kos-event-id";
    public static final String HEADER_SCHEMA = "kos-schema";

    private final EnvelopeSerializer serializer = new EnvelopeSerializer();
    private final EnvelopeDeserializer deserializer = new EnvelopeDeserializer();

    @Override
    public Serializer<EventEnvelope> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<EventEnvelope> deserializer() {
        return deserializer;
    }

    /** Sets the kos headers (replacing any previous ones) on a record about to be sent. */
    public static void setHeaders(Headers headers, String eventType, UUID eventId, int schemaVersion) {
        put(headers, HEADER_EVENT_TYPE, eventType);
        put(headers, HEADER_EVENT_ID, eventId.toString());
        put(headers, HEADER_SCHEMA, Integer.toString(schemaVersion));
    }

    /** A header's value as text, or null when the record has none. */
    public static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Protobuf bytes; the headers variant adds the kos headers. */
    public static final class EnvelopeSerializer implements Serializer<EventEnvelope> {
        @Override
        public byte[] serialize(String topic, EventEnvelope data) {
            return data == null ? null : data.toByteArray();
        }

        @Override
        public byte[] serialize(String topic, Headers headers, EventEnvelope data) {
            if (data != null) {
                setHeaders(headers, EventType.of(data).wireName(), UUID.fromString(data.getEventId()), data.getSchemaVersion());
            }
            return serialize(topic, data);
        }
    }

    /**
     * Parses protobuf bytes. Garbage is a {@link SerializationException} (what Kafka clients
     * expect, and what a consumer can skip on), never a half-filled envelope.
     */
    public static final class EnvelopeDeserializer implements Deserializer<EventEnvelope> {
        @Override
        public EventEnvelope deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            try {
                return EventEnvelope.parseFrom(data);
            } catch (InvalidProtocolBufferException e) {
                throw new SerializationException("record on " + topic + " is not a kos EventEnvelope: " + e.getMessage(), e);
            }
        }
    }
}
