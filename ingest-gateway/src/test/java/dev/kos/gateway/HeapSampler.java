package dev.kos.gateway;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples the JVM's heap on a background thread while a transfer runs and keeps two peaks: the
 * used heap (MemoryMXBean: live data plus garbage not collected yet) and the heap left after
 * each collection (live data only: what the transfer really retains). With storage nodes in the
 * same JVM, their 1 MiB gRPC frames are humongous garbage that lifts the first figure between
 * collections, so both are worth stating.
 */
final class HeapSampler implements AutoCloseable {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<com.sun.management.GarbageCollectorMXBean> collectors = ManagementFactory
            .getGarbageCollectorMXBeans().stream()
            .filter(com.sun.management.GarbageCollectorMXBean.class::isInstance)
            // G1's concurrent cycle reports its remark and cleanup pauses, which free nothing:
            // their "after" is not a live set.
            .filter(gc -> !gc.getName().contains("Concurrent"))
            .map(com.sun.management.GarbageCollectorMXBean.class::cast).toList();
    private final long startCollections = collections();
    private final AtomicLong peakUsed = new AtomicLong();
    private final AtomicLong peakAfterGc = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    HeapSampler(Duration every) {
        thread = Thread.ofPlatform().daemon().name("heap-sampler").start(() -> {
            while (running) {
                peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                peakAfterGc.accumulateAndGet(afterLastGc(), Math::max);
                LockSupport.parkNanos(every.toNanos());
            }
        });
    }

    private long collections() {
        return collectors.stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }

    /** Heap in use right after the most recent collection of any collector (0 before the first). */
    private long afterLastGc() {
        long latestEnd = -1;
        long used = 0;
        for (com.sun.management.GarbageCollectorMXBean gc : collectors) {
            com.sun.management.GcInfo info = gc.getLastGcInfo();
            if (info != null && info.getEndTime() > latestEnd && gc.getCollectionCount() > 0) {
                latestEnd = info.getEndTime();
                used = info.getMemoryUsageAfterGc().entrySet().stream()
                        .filter(e -> !e.getKey().contains("CodeHeap") && !e.getKey().contains("Metaspace")
                                && !e.getKey().contains("Compressed Class"))
                        .mapToLong(e -> e.getValue().getUsed()).sum();
            }
        }
        return used;
    }

    long peakUsedBytes() {
        return peakUsed.get();
    }

    long peakAfterGcBytes() {
        return peakAfterGc.get();
    }

    /** Collections during sampling: without any, the after-GC peak says nothing. */
    long collectionsSinceStart() {
        return collections() - startCollections;
    }

    static long maxHeap() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getMax();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
