package dev.kos.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.EventEnvelope.PayloadCase;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class EventTypeTest {
    @Test
    void everyPayloadOfTheProtoHasATypeNamedAsItsField() {
        Set<String> protoNames = EventEnvelope.getDescriptor().getOneofs().getFirst().getFields().stream()
                .map(FieldDescriptor::getName).collect(Collectors.toCollection(TreeSet::new));
        Set<String> typeNames = Stream.of(EventType.values()).map(EventType::wireName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(protoNames, typeNames);
        for (PayloadCase c : PayloadCase.values()) {
            if (c != PayloadCase.PAYLOAD_NOT_SET) {
                assertEquals(c, EventType.of(c).payloadCase());
            }
        }
    }

    @Test
    void fileEventsGoToTheFilesTopicAndNodeEventsToTheNodesTopic() {
        assertEquals(Topics.FILES, Topics.topicFor(EventType.CHUNK_MOVED));
        assertEquals(Topics.FILES, Topics.topicFor(EventType.UPLOAD_STARTED));
        assertEquals(Topics.NODES, Topics.topicFor(EventType.NODE_LEFT));
        assertEquals(Topics.NODES, Topics.topicFor(EventType.RING_CHANGED));
        assertEquals(EventType.UPLOAD_SEALED, EventType.fromWireName("upload_sealed"));
    }

    @Test
    void anEnvelopeWithoutPayloadOrAnUnknownNameIsRejected() {
        assertThrows(InvalidEventException.class, () -> EventType.of(EventEnvelope.getDefaultInstance()));
        assertThrows(InvalidEventException.class, () -> EventType.fromWireName("upload_exploded"));
    }
}
