package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void plainStringsPassThroughWhole() {
        assertEquals("\"report-2026.pdf\"", Json.write("report-2026.pdf"));
        assertEquals("\"ünïcødé ☃\"", Json.write("ünïcødé ☃"));
        assertEquals("\"\"", Json.write(""));
    }

    @Test
    void escapesQuotesBackslashesAndControlCharactersAnywhere() {
        assertEquals("\"a\\\"b\\\\c\"", Json.write("a\"b\\c"));
        assertEquals("\"\\\"x\\\"\"", Json.write("\"x\""));
        assertEquals("\"line1\\nline2\\r\\t\"", Json.write("line1\nline2\r\t"));
        assertEquals("\"\\u0000\\u001f\\u0007end\"", Json.write("\u0000\u001f\u0007end"));
    }

    @Test
    void writesNestedDocumentsInInsertionOrder() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("id", "f1");
        doc.put("size", 42L);
        doc.put("ok", true);
        doc.put("none", null);
        doc.put("chunks", List.of(Map.of("index", 0), Map.of("index", 1)));
        doc.put("nodes", Arrays.asList("node-1", null));
        assertEquals("{\"id\":\"f1\",\"size\":42,\"ok\":true,\"none\":null,"
                + "\"chunks\":[{\"index\":0},{\"index\":1}],\"nodes\":[\"node-1\",null]}", Json.write(doc));
        assertEquals(Json.write(doc), Json.write(doc, 1), "a capacity is only a hint");
        assertEquals(Json.write(doc), Json.write(doc, 1 << 16), "a capacity is only a hint");
    }
}
