package dev.kos.schemas.compat;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Compares a released descriptor set with the current one and lists every change that would
 * break a reader or writer built against the release. Works on descriptor protos, not on
 * compiled descriptors, so a test can hand it any hand-built variant.
 *
 * <p>Breaking: a removed file, message, enum, service or method; a field or enum value removed
 * without reserving both its number and its name; a field or value whose number now carries
 * another name (renamed or reused); a field whose name moved to another number (renumbered);
 * a changed field type, message/enum type, label or oneof; a new field or value on a number or
 * name the release had reserved; a method whose request or response type or streaming changed;
 * a changed package. Everything added is fine.
 *
 * <p>Why removal with a reservation is allowed: events.proto promises that "a removed field's
 * number is reserved", and a reserved number can never be reused, which is what actually
 * corrupts old readers. Renames break JSON output (kos-tail) and generated code, so they count.
 */
public final class DescriptorCompatibility {
    private DescriptorCompatibility() {
    }

    /** Every breaking change from {@code released} to {@code current}; empty when compatible. */
    public static List<SchemaBreak> check(FileDescriptorSet released, FileDescriptorSet current) {
        List<SchemaBreak> breaks = new ArrayList<>();
        Map<String, FileDescriptorProto> now = byName(current.getFileList(), FileDescriptorProto::getName);
        for (FileDescriptorProto old : released.getFileList()) {
            FileDescriptorProto cur = now.get(old.getName());
            if (cur == null) {
                breaks.add(new SchemaBreak(old.getName(), "file removed"));
                continue;
            }
            compareFile(old, cur, breaks);
        }
        return breaks;
    }

    private static void compareFile(FileDescriptorProto old, FileDescriptorProto cur, List<SchemaBreak> breaks) {
        if (!old.getPackage().equals(cur.getPackage())) {
            breaks.add(new SchemaBreak(old.getName(), "package changed from " + old.getPackage() + " to " + cur.getPackage()));
            return; // every full name changed with it; listing each would only bury the cause
        }
        String prefix = old.getPackage().isEmpty() ? "" : old.getPackage() + ".";
        compareMessages(prefix, old.getMessageTypeList(), cur.getMessageTypeList(), breaks);
        compareEnums(prefix, old.getEnumTypeList(), cur.getEnumTypeList(), breaks);
        Map<String, ServiceDescriptorProto> services = byName(cur.getServiceList(), ServiceDescriptorProto::getName);
        for (ServiceDescriptorProto s : old.getServiceList()) {
            String name = prefix + s.getName();
            ServiceDescriptorProto c = services.get(s.getName());
            if (c == null) {
                breaks.add(new SchemaBreak(name, "service removed"));
            } else {
                compareService(name, s, c, breaks);
            }
        }
    }

    private static void compareMessages(String prefix, List<DescriptorProto> old, List<DescriptorProto> cur,
                                        List<SchemaBreak> breaks) {
        Map<String, DescriptorProto> now = byName(cur, DescriptorProto::getName);
        for (DescriptorProto m : old) {
            String name = prefix + m.getName();
            DescriptorProto c = now.get(m.getName());
            if (c == null) {
                breaks.add(new SchemaBreak(name, "message removed"));
                continue;
            }
            compareFields(name, m, c, breaks);
            compareMessages(name + ".", m.getNestedTypeList(), c.getNestedTypeList(), breaks);
            compareEnums(name + ".", m.getEnumTypeList(), c.getEnumTypeList(), breaks);
        }
    }

    private static void compareFields(String message, DescriptorProto old, DescriptorProto cur, List<SchemaBreak> breaks) {
        Map<Integer, FieldDescriptorProto> byNumber = byName(cur.getFieldList(), FieldDescriptorProto::getNumber);
        Map<String, FieldDescriptorProto> byFieldName = byName(cur.getFieldList(), FieldDescriptorProto::getName);
        for (FieldDescriptorProto f : old.getFieldList()) {
            String name = message + "." + f.getName();
            FieldDescriptorProto sameNumber = byNumber.get(f.getNumber());
            FieldDescriptorProto sameName = byFieldName.get(f.getName());
            if (sameName != null && sameName.getNumber() != f.getNumber()) {
                breaks.add(new SchemaBreak(name, "renumbered from " + f.getNumber() + " to " + sameName.getNumber()));
            }
            if (sameNumber == null) {
                if (sameName == null && !(reservedNumber(cur, f.getNumber()) && cur.getReservedNameList().contains(f.getName()))) {
                    breaks.add(new SchemaBreak(name, "field " + f.getNumber() + " removed without reserving its number and name"));
                }
                continue;
            }
            if (!sameNumber.getName().equals(f.getName())) {
                breaks.add(new SchemaBreak(name, "field number " + f.getNumber() + " now carries '" + sameNumber.getName()
                        + "' (renamed or reused)"));
            }
            compareField(name, old, f, cur, sameNumber, breaks);
        }
        // A number or name the release reserved must stay unused: old data may still carry it.
        for (FieldDescriptorProto f : cur.getFieldList()) {
            boolean wasField = old.getFieldList().stream().anyMatch(o -> o.getNumber() == f.getNumber());
            if (!wasField && reservedNumber(old, f.getNumber())) {
                breaks.add(new SchemaBreak(message + "." + f.getName(), "reuses reserved field number " + f.getNumber()));
            }
            if (old.getReservedNameList().contains(f.getName())) {
                breaks.add(new SchemaBreak(message + "." + f.getName(), "reuses reserved field name '" + f.getName() + "'"));
            }
        }
    }

    private static void compareField(String name, DescriptorProto oldMessage, FieldDescriptorProto old,
                                     DescriptorProto curMessage, FieldDescriptorProto cur, List<SchemaBreak> breaks) {
        if (old.getType() != cur.getType() || !old.getTypeName().equals(cur.getTypeName())) {
            breaks.add(new SchemaBreak(name, "type changed from " + typeOf(old) + " to " + typeOf(cur)));
        }
        if (old.getLabel() != cur.getLabel()) {
            breaks.add(new SchemaBreak(name, "label changed from " + old.getLabel() + " to " + cur.getLabel()));
        }
        if (old.getProto3Optional() != cur.getProto3Optional()) {
            breaks.add(new SchemaBreak(name, "presence changed (proto3 optional " + old.getProto3Optional() + " -> "
                    + cur.getProto3Optional() + ")"));
        } else {
            // Moving a field into or out of a oneof changes what setting it clears.
            String was = oneofOf(oldMessage, old);
            String is = oneofOf(curMessage, cur);
            if (!was.equals(is)) {
                breaks.add(new SchemaBreak(name, "oneof changed from '" + was + "' to '" + is + "'"));
            }
        }
    }

    private static void compareEnums(String prefix, List<EnumDescriptorProto> old, List<EnumDescriptorProto> cur,
                                     List<SchemaBreak> breaks) {
        Map<String, EnumDescriptorProto> now = byName(cur, EnumDescriptorProto::getName);
        for (EnumDescriptorProto e : old) {
            String name = prefix + e.getName();
            EnumDescriptorProto c = now.get(e.getName());
            if (c == null) {
                breaks.add(new SchemaBreak(name, "enum removed"));
                continue;
            }
            Map<Integer, EnumValueDescriptorProto> byNumber = byName(c.getValueList(), EnumValueDescriptorProto::getNumber);
            Map<String, EnumValueDescriptorProto> byValueName = byName(c.getValueList(), EnumValueDescriptorProto::getName);
            for (EnumValueDescriptorProto v : e.getValueList()) {
                String valueName = name + "." + v.getName();
                EnumValueDescriptorProto sameNumber = byNumber.get(v.getNumber());
                EnumValueDescriptorProto sameName = byValueName.get(v.getName());
                if (sameName != null && sameName.getNumber() != v.getNumber()) {
                    breaks.add(new SchemaBreak(valueName, "renumbered from " + v.getNumber() + " to " + sameName.getNumber()));
                }
                if (sameNumber == null) {
                    boolean reserved = c.getReservedRangeList().stream()
                            .anyMatch(r -> v.getNumber() >= r.getStart() && v.getNumber() <= r.getEnd()) // enum ranges are inclusive
                            && c.getReservedNameList().contains(v.getName());
                    if (sameName == null && !reserved) {
                        breaks.add(new SchemaBreak(valueName, "enum value " + v.getNumber() + " removed without reserving its number and name"));
                    }
                } else if (!sameNumber.getName().equals(v.getName())) {
                    breaks.add(new SchemaBreak(valueName, "enum number " + v.getNumber() + " now carries '" + sameNumber.getName()
                            + "' (renamed or reused)"));
                }
            }
            for (EnumValueDescriptorProto v : c.getValueList()) {
                boolean wasValue = e.getValueList().stream().anyMatch(o -> o.getNumber() == v.getNumber());
                boolean wasReserved = e.getReservedRangeList().stream()
                        .anyMatch(r -> v.getNumber() >= r.getStart() && v.getNumber() <= r.getEnd());
                if (!wasValue && wasReserved) {
                    breaks.add(new SchemaBreak(name + "." + v.getName(), "reuses reserved enum number " + v.getNumber()));
                }
            }
        }
    }

    private static void compareService(String name, ServiceDescriptorProto old, ServiceDescriptorProto cur,
                                       List<SchemaBreak> breaks) {
        Map<String, MethodDescriptorProto> now = byName(cur.getMethodList(), MethodDescriptorProto::getName);
        for (MethodDescriptorProto m : old.getMethodList()) {
            String method = name + "." + m.getName();
            MethodDescriptorProto c = now.get(m.getName());
            if (c == null) {
                breaks.add(new SchemaBreak(method, "method removed"));
                continue;
            }
            if (!m.getInputType().equals(c.getInputType()) || !m.getOutputType().equals(c.getOutputType())) {
                breaks.add(new SchemaBreak(method, "signature changed from " + m.getInputType() + " -> " + m.getOutputType()
                        + " to " + c.getInputType() + " -> " + c.getOutputType()));
            }
            if (m.getClientStreaming() != c.getClientStreaming() || m.getServerStreaming() != c.getServerStreaming()) {
                breaks.add(new SchemaBreak(method, "streaming changed (client " + m.getClientStreaming() + " -> "
                        + c.getClientStreaming() + ", server " + m.getServerStreaming() + " -> " + c.getServerStreaming() + ")"));
            }
        }
    }

    private static boolean reservedNumber(DescriptorProto m, int number) {
        // Message reserved ranges are end-exclusive in descriptors.
        return m.getReservedRangeList().stream().anyMatch(r -> number >= r.getStart() && number < r.getEnd());
    }

    private static String oneofOf(DescriptorProto m, FieldDescriptorProto f) {
        return f.hasOneofIndex() && !f.getProto3Optional() ? m.getOneofDecl(f.getOneofIndex()).getName() : "";
    }

    private static String typeOf(FieldDescriptorProto f) {
        return f.getTypeName().isEmpty() ? f.getType().name() : f.getType().name() + " " + f.getTypeName();
    }

    private static <K, T> Map<K, T> byName(List<T> items, Function<T, K> key) {
        Map<K, T> map = new LinkedHashMap<>();
        for (T t : items) {
            map.put(key.apply(t), t);
        }
        return map;
    }
}
