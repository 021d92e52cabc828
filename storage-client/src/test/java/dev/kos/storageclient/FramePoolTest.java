package dev.kos.storageclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FramePoolTest {
    @Test
    void reusesGivenArraysUpToItsCapacity() {
        FramePool pool = new FramePool(2);
        byte[] first = pool.take(100);
        assertEquals(FramePool.ARRAY_BYTES, first.length, "pooled arrays have one size, whatever the frame");
        pool.give(first);
        assertSame(first, pool.take(FramePool.ARRAY_BYTES), "a given array is taken again");
        pool.give(new byte[FramePool.ARRAY_BYTES]);
        pool.give(new byte[FramePool.ARRAY_BYTES]);
        pool.give(new byte[FramePool.ARRAY_BYTES]);
        assertEquals(2, pool.idle(), "no more than the capacity waits");
    }

    @Test
    void framesLargerThanThePooledSizeGetArraysOfTheirOwn() {
        FramePool pool = new FramePool(2);
        byte[] large = pool.take(FramePool.ARRAY_BYTES + 1);
        assertTrue(large.length >= FramePool.ARRAY_BYTES + 1);
        pool.give(large);
        pool.give(null);
        assertEquals(0, pool.idle(), "only arrays of the pooled size come back");
        assertNotSame(large, pool.take(10));
    }
}
