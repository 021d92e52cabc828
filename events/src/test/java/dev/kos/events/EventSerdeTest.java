package dev.kos.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.UploadSealed;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class EventSerdeTest {
    private final Events events = new Events("test-producer", Clock.fixed(Instant.parse("2026-11-22T10:00:00.123Z"), ZoneOffset.UTC));

    @Test
    void anEnvelopeRoundTripsWithItsHeaders() {
        UUID fileId = UUID.randomUUID();
        EventEnvelope e = events.uploadSealed(fileId, UploadSealed.newBuilder().setSize(42).setChunkCount(1).build())
                .setSequence(3).build();
        RecordHeaders headers = new RecordHeaders();
        try (EventSerde serde = new EventSerde()) {
            byte[] bytes = serde.serializer().serialize(Topics.FILES, headers, e);
            assertEquals(e, serde.deserializer().deserialize(Topics.FILES, headers, bytes));
        }
        assertEquals("upload_sealed", EventSerde.header(headers, EventSerde.HEADER_EVENT_TYPE));
        assertEquals(e.getEventId(), EventSerde.header(headers, EventSerde.HEADER_EVENT_ID));
        assertEquals("1", EventSerde.header(headers, EventSerde.HEADER_SCHEMA));
        assertEquals(fileId.toString(), e.getFileId());
        assertEquals("test-producer", e.getProducer());
        assertEquals(1, e.getSchemaVersion());
        assertEquals(Instant.parse("2026-11-22T10:00:00.123Z").getEpochSecond(), e.getOccurredAt().getSeconds());
        assertEquals(123_000_000, e.getOccurredAt().getNanos());
    }

    @Test
    void garbageIsASerializationException() {
        try (EventSerde serde = new EventSerde()) {
            assertThrows(SerializationException.class,
                    () -> serde.deserializer().deserialize(Topics.FILES, new byte[] {(byte) 0xff, (byte) 0xff, 0x01}));
        }
    }
}
