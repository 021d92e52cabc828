package dev.kos.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
    @Test
    void flagsWinOverEnvironmentWhichWinsOverDefaults() {
        Settings s = Settings.of(new String[] {"--node-port=6000", "--node-id", "n1"},
                Map.of("KOS_NODE_PORT", "5000", "KOS_NODE_DATA_DIR", "/data"));
        assertEquals(6000, s.integer("node.port", 50051));
        assertEquals("n1", s.string("node.id", "x"));
        assertEquals("/data", s.string("node.data-dir", "./data"));
        assertEquals("dflt", s.string("node.missing", "dflt"));
    }

    @Test
    void sizesAndDurationsTakeUnits() {
        Settings s = Settings.of(new String[] {"--a=64MiB", "--b=10g", "--c=512", "--d=250ms", "--e=24h", "--f=30"}, Map.of());
        assertEquals(64L << 20, s.bytes("a", 0));
        assertEquals(10L << 30, s.bytes("b", 0));
        assertEquals(512, s.bytes("c", 0));
        assertEquals(Duration.ofMillis(250), s.duration("d", Duration.ZERO));
        assertEquals(Duration.ofHours(24), s.duration("e", Duration.ZERO));
        assertEquals(Duration.ofSeconds(30), s.duration("f", Duration.ZERO));
    }

    @Test
    void badValuesNameTheSettingAndWhatWasExpected() {
        Settings s = Settings.of(new String[] {"--node-port=abc", "--x-size=12 parsecs", "--flag"}, Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.integer("node.port", 1));
        assertTrue(e.getMessage().contains("KOS_NODE_PORT"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.bytes("x.size", 1));
        assertTrue(s.bool("flag", false));
        assertFalse(s.bool("other", false));
        assertThrows(IllegalArgumentException.class, () -> Settings.of(new String[] {"positional"}, Map.of()));
    }
}
