package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ByteRangeTest {
    @Test
    void parsesSingleRanges() {
        assertEquals(new ByteRange(0, 9), ByteRange.parse(Optional.of("bytes=0-9"), 100).orElseThrow());
        assertEquals(new ByteRange(90, 99), ByteRange.parse(Optional.of("bytes=90-"), 100).orElseThrow());
        assertEquals(new ByteRange(80, 99), ByteRange.parse(Optional.of("bytes=-20"), 100).orElseThrow());
        assertEquals(new ByteRange(0, 99), ByteRange.parse(Optional.of("bytes=-500"), 100).orElseThrow());
        assertEquals(new ByteRange(50, 99), ByteRange.parse(Optional.of("bytes=50-1000"), 100).orElseThrow());
    }

    @Test
    void ignoresWhatItDoesNotServeAndRefusesWhatCannotBeSatisfied() {
        assertTrue(ByteRange.parse(Optional.of("bytes=0-1,5-6"), 100).isEmpty());
        assertTrue(ByteRange.parse(Optional.of("items=0-1"), 100).isEmpty());
        assertTrue(ByteRange.parse(Optional.of("bytes=9-2"), 100).isEmpty());
        assertEquals(416, assertThrows(ApiException.class, () -> ByteRange.parse(Optional.of("bytes=100-"), 100)).status().code());
        assertEquals(416, assertThrows(ApiException.class, () -> ByteRange.parse(Optional.of("bytes=-0"), 100)).status().code());
    }
}
