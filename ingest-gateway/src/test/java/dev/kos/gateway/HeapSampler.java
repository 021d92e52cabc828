package dev.kos.gateway;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples the JVM's heap on a background thread while a transfer runs and keeps two peaks: the
 * used heap (MemoryMXBean: live data plus garbage not collected yet) and the live set, read
 * right after a full collection that the sampler itself asks for every {@code liveEvery}.
 *
 * <p>Why force the collections: the heap after G1's own young collections still holds old
 * garbage that no concurrent cycle has marked yet (the in-process storage nodes' 1 MiB gRPC
 * frames, promoted buffers). One CI run read 354 MiB "after a collection" where the live set
 * was ~100 MiB. Only a full collection's result is a live set, so the sampler makes one.
 */
final class HeapSampler implements AutoCloseable {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peakUsed = new AtomicLong();
    private final AtomicLong peakLive = new AtomicLong();
    private final AtomicInteger liveSamples = new AtomicInteger();
    private final Thread thread;
    private volatile boolean running = true;

    HeapSampler(Duration every, Duration liveEvery) {
        thread = Thread.ofPlatform().daemon().name("heap-sampler").start(() -> {
            long nextLive = System.nanoTime() + liveEvery.toNanos();
            while (running) {
                peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                if (System.nanoTime() - nextLive >= 0) {
                    memory.gc();
                    // Read at once: what the transfer allocated since the collection ended is a
                    // few hundred KiB at most.
                    peakLive.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    liveSamples.incrementAndGet();
                    nextLive = System.nanoTime() + liveEvery.toNanos();
                }
                LockSupport.parkNanos(every.toNanos());
            }
        });
    }

    long peakUsedBytes() {
        return peakUsed.get();
    }

    /** The largest heap found right after a full collection (0 if none ran yet). */
    long peakLiveBytes() {
        return peakLive.get();
    }

    /** Full collections made while sampling: without any, the live peak says nothing. */
    int liveSamples() {
        return liveSamples.get();
    }

    static long maxHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
