package dev.kos.gateway;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Optional;

/**
 * Whether the heap's old generation has room beside the chunk buffers. The buffers are kept once
 * allocated, so they end in the old generation for good; a generational collector that finds less
 * room there than the young generation may need for its survivors runs a full collection instead
 * of a young one. Measured in the local stack: a 288 MiB serial heap with its default 96 MiB young
 * generation and 128 MiB of buffers ran a 40-130 ms full collection every 0.8-2 s under 1 MiB
 * uploads, for good. Checked once at start-up, so that an operator sizing the heap hears of it.
 */
final class HeapRoom {
    private static final long MIB = 1 << 20;

    private HeapRoom() {
    }

    /**
     * The warning for this JVM's heap, or empty when the old generation has room, or when the
     * collector does not size its generations up front (G1 reports no maximum for its young one).
     */
    static Optional<String> check(long bufferMemory) {
        long old = -1;
        long young = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() != MemoryType.HEAP) {
                continue;
            }
            String name = pool.getName();
            long max = pool.getUsage().getMax();
            if (name.contains("Old Gen") || name.contains("Tenured")) {
                old = max;
            } else if (name.contains("Eden") || name.contains("Survivor")) {
                young = max < 0 || young < 0 ? -1 : young + max;
            }
        }
        return check(old, young, bufferMemory);
    }

    /** The rule itself: the old generation must hold the buffers and then one young generation. */
    static Optional<String> check(long oldGenMax, long youngGenMax, long bufferMemory) {
        if (oldGenMax <= 0 || youngGenMax <= 0) {
            return Optional.empty();
        }
        long room = oldGenMax - bufferMemory;
        if (room >= youngGenMax) {
            return Optional.empty();
        }
        return Optional.of("the heap's old generation (" + oldGenMax / MIB + " MiB) leaves " + Math.max(0, room) / MIB
                + " MiB beside the chunk buffers (gateway.buffer-memory, " + bufferMemory / MIB + " MiB), less than its young"
                + " generation (" + youngGenMax / MIB + " MiB): the collector may run full collections where young ones"
                + " would do. Give the young generation less (-Xmn) or the heap more.");
    }
}
