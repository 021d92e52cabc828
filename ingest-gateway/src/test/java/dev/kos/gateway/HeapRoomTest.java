package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class HeapRoomTest {
    private static final long MIB = 1 << 20;

    @Test
    void anOldGenerationWithLessRoomThanTheYoungOneBesideTheBuffersIsReported() {
        // The local stack's gateway before -Xmn64m: 288 MiB serial heap, a third of it young.
        Optional<String> warning = HeapRoom.check(192 * MIB, 96 * MIB, 128 * MIB);
        assertTrue(warning.isPresent());
        assertTrue(warning.get().contains("leaves 64 MiB beside the chunk buffers"), warning.get());
        assertTrue(warning.get().contains("young generation (96 MiB)"), warning.get());
        assertTrue(HeapRoom.check(100 * MIB, 32 * MIB, 128 * MIB).orElseThrow().contains("leaves 0 MiB"),
                "buffers larger than the old generation");
    }

    @Test
    void enoughRoomOrGenerationsSizedOnTheFlyAreNot() {
        assertEquals(Optional.empty(), HeapRoom.check(224 * MIB, 64 * MIB, 128 * MIB), "-Xmx288m -Xmn64m");
        assertEquals(Optional.empty(), HeapRoom.check(192 * MIB, 64 * MIB, 128 * MIB), "exactly one young generation");
        assertEquals(Optional.empty(), HeapRoom.check(-1, 64 * MIB, 128 * MIB), "no maximum for the old generation");
        assertEquals(Optional.empty(), HeapRoom.check(192 * MIB, -1, 128 * MIB), "G1: no maximum for the young one");
    }
}
