package dev.kos.storageclient;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Arrays that received GetChunk frames are parsed into, reused across reads. A fresh array per
 * frame cost the gateway ~5 % of its CPU under 1 MiB downloads in zeroing alone (the JVM clears
 * every new array, and the copy from gRPC's buffers then overwrites it), and filled its young
 * generation every few dozen frames.
 *
 * <p>Bounded: at most {@code capacity} arrays wait here. A frame that finds none gets a fresh
 * one, as does a frame larger than the pooled size (a node configured with larger frames). An
 * array comes back only from the reader that consumed its frame ({@link ChunkReadStream}), after
 * the frame's bytes were copied or written out; one that is never given back is collected.
 */
final class FramePool {
    /** A node's read frames carry at most 1 MiB of data; the rest is room for the message's other fields. */
    static final int ARRAY_BYTES = 1024 * 1024 + 1024;

    private final ArrayBlockingQueue<byte[]> free;

    FramePool(int capacity) {
        this.free = new ArrayBlockingQueue<>(Math.max(1, capacity));
    }

    /** An array of at least {@code size} bytes, with any content. */
    byte[] take(int size) {
        if (size > ARRAY_BYTES) {
            return new byte[size];
        }
        byte[] a = free.poll();
        return a != null ? a : new byte[ARRAY_BYTES];
    }

    /** Gives back an array from {@link #take}; nothing may read or write it afterwards. */
    void give(byte[] array) {
        if (array != null && array.length == ARRAY_BYTES) {
            free.offer(array);
        }
    }

    /** Arrays waiting to be reused (for tests). */
    int idle() {
        return free.size();
    }
}
