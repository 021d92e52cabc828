package dev.kos.schemas.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The checker itself: each kind of break is reported, and additions are not. */
class DescriptorCompatibilityTest {
    private static final FileDescriptorSet RELEASED = ReleasedSchemas.current();

    /** The current schemas with one message of events.proto rewritten. */
    private static FileDescriptorSet withMessage(String name, UnaryOperator<DescriptorProto.Builder> change) {
        return withEvents(f -> {
            for (int i = 0; i < f.getMessageTypeCount(); i++) {
                if (f.getMessageType(i).getName().equals(name)) {
                    f.setMessageType(i, change.apply(f.getMessageType(i).toBuilder()));
                    return f;
                }
            }
            throw new AssertionError("no message " + name);
        });
    }

    private static FileDescriptorSet withEvents(UnaryOperator<FileDescriptorProto.Builder> change) {
        return withFile("kos/events/v1/events.proto", change);
    }

    private static FileDescriptorSet withFile(String file, UnaryOperator<FileDescriptorProto.Builder> change) {
        FileDescriptorSet.Builder set = RELEASED.toBuilder();
        for (int i = 0; i < set.getFileCount(); i++) {
            if (set.getFile(i).getName().equals(file)) {
                set.setFile(i, change.apply(set.getFile(i).toBuilder()));
            }
        }
        return set.build();
    }

    private static int fieldIndex(DescriptorProto.Builder m, String field) {
        for (int i = 0; i < m.getFieldCount(); i++) {
            if (m.getField(i).getName().equals(field)) {
                return i;
            }
        }
        throw new AssertionError("no field " + field);
    }

    private static FieldDescriptorProto.Builder field(DescriptorProto.Builder m, String field) {
        return m.getFieldBuilder(fieldIndex(m, field));
    }

    private static void assertBreak(FileDescriptorSet current, String element, String problemFragment) {
        List<SchemaBreak> breaks = DescriptorCompatibility.check(RELEASED, current);
        assertTrue(breaks.stream().anyMatch(b -> b.element().equals(element) && b.problem().contains(problemFragment)),
                "expected a break on " + element + " containing '" + problemFragment + "', got " + breaks);
    }

    @Test
    void identicalSchemasAreCompatible() {
        assertEquals(List.of(), DescriptorCompatibility.check(RELEASED, ReleasedSchemas.current()));
    }

    @Test
    void addedFieldsMessagesEnumValuesAndMethodsAreCompatible() {
        FileDescriptorSet grown = withMessage("ChunkStored", m -> m.addField(FieldDescriptorProto.newBuilder()
                .setName("replica_count").setNumber(6).setLabel(Label.LABEL_OPTIONAL).setType(Type.TYPE_INT32)));
        grown = grown.toBuilder().setFile(1, grown.getFile(1).toBuilder()
                .addMessageType(DescriptorProto.newBuilder().setName("ChunkVerified"))
                .setEnumType(0, grown.getFile(1).getEnumType(0).toBuilder()
                        .addValue(EnumValueDescriptorProto.newBuilder().setName("QUOTA_EXCEEDED").setNumber(7)))).build();
        assertEquals("kos/storage/v1/storage.proto", grown.getFile(0).getName());
        grown = grown.toBuilder().setFile(0, grown.getFile(0).toBuilder().setService(0,
                grown.getFile(0).getService(0).toBuilder().addMethod(grown.getFile(0).getService(0).getMethod(3).toBuilder()
                        .setName("Stats")))).build();
        assertEquals(List.of(), DescriptorCompatibility.check(RELEASED, grown));
    }

    @Test
    void aRemovedFieldIsABreak() {
        assertBreak(withMessage("ChunkStored", m -> m.removeField(fieldIndex(m, "size"))),
                "kos.events.v1.ChunkStored.size", "removed");
    }

    @Test
    void aRemovedFieldWhoseNumberAndNameAreReservedIsNot() {
        FileDescriptorSet current = withMessage("ChunkStored", m -> m.removeField(fieldIndex(m, "size"))
                .addReservedRange(DescriptorProto.ReservedRange.newBuilder().setStart(3).setEnd(4))
                .addReservedName("size"));
        assertEquals(List.of(), DescriptorCompatibility.check(RELEASED, current));
    }

    @Test
    void aRenumberedFieldIsABreak() {
        assertBreak(withMessage("UploadSealed", m -> {
            field(m, "sha256").setNumber(9);
            return m;
        }), "kos.events.v1.UploadSealed.sha256", "renumbered from 2 to 9");
    }

    @Test
    void aReusedFieldNumberIsABreak() {
        // sha256 removed, and its number 2 given to a new field.
        FileDescriptorSet current = withMessage("UploadSealed", m -> {
            field(m, "sha256").setName("blake3");
            return m;
        });
        assertBreak(current, "kos.events.v1.UploadSealed.sha256", "now carries 'blake3'");
    }

    @Test
    void aNewFieldOnAReservedNumberIsABreak() {
        DescriptorProto.Builder released = DescriptorProto.newBuilder().setName("Legacy")
                .addReservedRange(DescriptorProto.ReservedRange.newBuilder().setStart(4).setEnd(5)).addReservedName("old");
        FileDescriptorSet before = withEvents(f -> f.addMessageType(released));
        FileDescriptorSet after = withEvents(f -> f.addMessageType(released.clone()
                .addField(FieldDescriptorProto.newBuilder().setName("fresh").setNumber(4).setType(Type.TYPE_STRING)
                        .setLabel(Label.LABEL_OPTIONAL))));
        List<SchemaBreak> breaks = DescriptorCompatibility.check(before, after);
        assertEquals(List.of(new SchemaBreak("kos.events.v1.Legacy.fresh", "reuses reserved field number 4")), breaks);
    }

    @Test
    void aChangedTypeIsABreak() {
        assertBreak(withMessage("ChunkStored", m -> {
            field(m, "size").setType(Type.TYPE_INT32);
            return m;
        }), "kos.events.v1.ChunkStored.size", "type changed from TYPE_INT64 to TYPE_INT32");
        assertBreak(withMessage("ChunkStored", m -> {
            field(m, "checksum").setTypeName(".kos.events.v1.FileDeleted");
            return m;
        }), "kos.events.v1.ChunkStored.checksum", "type changed");
    }

    @Test
    void aChangedLabelIsABreak() {
        assertBreak(withMessage("ChunkStored", m -> {
            field(m, "node_ids").setLabel(Label.LABEL_OPTIONAL);
            return m;
        }), "kos.events.v1.ChunkStored.node_ids", "label changed from LABEL_REPEATED to LABEL_OPTIONAL");
    }

    @Test
    void aFieldLeavingItsOneofIsABreak() {
        assertBreak(withMessage("EventEnvelope", m -> {
            field(m, "chunk_moved").clearOneofIndex();
            return m;
        }), "kos.events.v1.EventEnvelope.chunk_moved", "oneof changed from 'payload' to ''");
    }

    @Test
    void aRemovedPayloadMessageOrEnumValueIsABreak() {
        assertBreak(withEvents(f -> {
            for (int i = 0; i < f.getMessageTypeCount(); i++) {
                if (f.getMessageType(i).getName().equals("RingMember")) {
                    return f.removeMessageType(i);
                }
            }
            throw new AssertionError("no RingMember");
        }), "kos.events.v1.RingMember", "message removed");
        assertBreak(withEvents(f -> {
            EnumDescriptorProto.Builder reasons = f.getEnumTypeBuilder(0);
            assertEquals("AbortReason", reasons.getName());
            reasons.removeValue(reasons.getValueCount() - 1);
            return f;
        }), "kos.events.v1.AbortReason.INTERNAL", "enum value 6 removed");
    }

    @Test
    void aRenamedEnumValueIsABreak() {
        assertBreak(withEvents(f -> {
            f.getEnumTypeBuilder(1).getValueBuilder(3).setName("CRASHED");
            return f;
        }), "kos.events.v1.LeaveReason.FAILED", "now carries 'CRASHED'");
    }

    @Test
    void aRemovedOrChangedServiceMethodIsABreak() {
        assertBreak(withFile("kos/storage/v1/storage.proto", f -> {
            ServiceDescriptorProto.Builder s = f.getServiceBuilder(0);
            s.removeMethod(s.getMethodCount() - 1);
            return f;
        }), "kos.storage.v1.StorageNode.ListChunks", "method removed");
        assertBreak(withFile("kos/storage/v1/storage.proto", f -> {
            f.getServiceBuilder(0).getMethodBuilder(1).setServerStreaming(false);
            return f;
        }), "kos.storage.v1.StorageNode.GetChunk", "streaming changed");
    }

    @Test
    void aRemovedFileOrChangedPackageIsABreak() {
        assertBreak(RELEASED.toBuilder().removeFile(0).build(), "kos/storage/v1/storage.proto", "file removed");
        assertBreak(withEvents(f -> f.setPackage("kos.events.v2")), "kos/events/v1/events.proto", "package changed");
    }
}
