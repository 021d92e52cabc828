package dev.kos.schemas.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The build step: the schemas compiled now must read and write everything the last release
 * did. A failure lists each break; fix the .proto (add, never change), or, for a deliberate
 * break, publish a new package (kos.events.v2) on new topics.
 */
class SchemaCompatibilityTest {
    @Test
    void compiledSchemasAreBackwardCompatibleWithTheLastRelease() {
        FileDescriptorSet released = ReleasedSchemas.released();
        List<SchemaBreak> breaks = DescriptorCompatibility.check(released, ReleasedSchemas.current());
        assertTrue(breaks.isEmpty(), () -> "schemas/ breaks the released contract (" + ReleasedSchemas.BASELINE + "):\n  "
                + String.join("\n  ", breaks.stream().map(SchemaBreak::toString).toList()));
    }

    @Test
    void theBaselineCoversBothContracts() {
        // An empty or truncated baseline would make the check above pass vacuously.
        FileDescriptorSet released = ReleasedSchemas.released();
        List<String> files = released.getFileList().stream().map(FileDescriptorProto::getName).toList();
        assertEquals(List.of("kos/storage/v1/storage.proto", "kos/events/v1/events.proto"), files);
        FileDescriptorProto events = released.getFile(1);
        assertTrue(events.getMessageTypeList().stream().anyMatch(m -> m.getName().equals("EventEnvelope")
                && m.getFieldCount() >= 19), "the released envelope has its header fields and 12 payload cases");
        assertEquals("StorageNode", released.getFile(0).getService(0).getName());
        assertEquals(5, released.getFile(0).getService(0).getMethodCount());
    }
}
