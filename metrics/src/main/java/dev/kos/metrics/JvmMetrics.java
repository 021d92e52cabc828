package dev.kos.metrics;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * What every kos process reports about itself: CPU, resident memory, heap and direct buffers,
 * collections, threads, open files. Names follow Prometheus' own clients (process_*, jvm_*), so
 * existing dashboards and alerts read them unchanged.
 */
public final class JvmMetrics {
    private static final Path STATUS = Path.of("/proc/self/status");

    private JvmMetrics() {
    }

    public static void register(MetricRegistry registry) {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof OperatingSystemMXBean sun) {
            registry.counterOf("process_cpu_seconds_total", "User and system CPU time of this process, in seconds.",
                    () -> sun.getProcessCpuTime() / 1e9);
        }
        if (os instanceof UnixOperatingSystemMXBean unix) {
            registry.gauge("process_open_fds", "Open file descriptors.", unix::getOpenFileDescriptorCount);
            registry.gauge("process_max_fds", "The limit on open file descriptors.", unix::getMaxFileDescriptorCount);
        }
        if (Files.isReadable(STATUS)) {
            registry.gauge("process_resident_memory_bytes", "Resident set size (what the kernel holds in memory for this process).",
                    JvmMetrics::residentBytes);
        }
        registry.gauge("process_start_time_seconds", "When this process started, in seconds since the epoch.",
                () -> ManagementFactory.getRuntimeMXBean().getStartTime() / 1e3);

        var memory = ManagementFactory.getMemoryMXBean();
        memoryAreas(registry, "jvm_memory_used_bytes", "Memory in use by area.", MemoryUsage::getUsed);
        memoryAreas(registry, "jvm_memory_committed_bytes", "Memory the JVM holds from the system, by area.", MemoryUsage::getCommitted);
        registry.gauge("jvm_memory_heap_max_bytes", "The heap's upper bound (-Xmx).", () -> memory.getHeapMemoryUsage().getMax());
        List<BufferPoolMXBean> pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);
        registry.samples("jvm_buffer_pool_used_bytes", "Memory used by NIO buffers outside the heap, by pool (direct, mapped).",
                MetricRegistry.Type.GAUGE, List.of("pool"), s -> pools.forEach(p -> s.add(p.getMemoryUsed(), p.getName())));
        List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
        registry.samples("jvm_gc_collections_total", "Garbage collections by collector.", MetricRegistry.Type.COUNTER,
                List.of("gc"), s -> gcs.forEach(g -> s.add(Math.max(0, g.getCollectionCount()), g.getName())));
        registry.samples("jvm_gc_collection_seconds_total", "Time spent in garbage collections by collector, in seconds.",
                MetricRegistry.Type.COUNTER, List.of("gc"),
                s -> gcs.forEach(g -> s.add(Math.max(0, g.getCollectionTime()) / 1e3, g.getName())));
        var threads = ManagementFactory.getThreadMXBean();
        registry.gauge("jvm_threads_live", "Live platform threads (virtual threads are not counted).", threads::getThreadCount);
    }

    private static void memoryAreas(MetricRegistry registry, String name, String help, Function<MemoryUsage, Long> field) {
        var memory = ManagementFactory.getMemoryMXBean();
        registry.samples(name, help, MetricRegistry.Type.GAUGE, List.of("area"), s -> {
            s.add(field.apply(memory.getHeapMemoryUsage()), "heap");
            s.add(field.apply(memory.getNonHeapMemoryUsage()), "nonheap");
        });
    }

    /** VmRSS from /proc/self/status, in bytes. */
    static double residentBytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024.0; // the kernel reports kB
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read " + STATUS + ": " + e.getMessage(), e);
        }
        throw new IllegalStateException("no VmRSS in " + STATUS);
    }
}
