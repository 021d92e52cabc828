package dev.kos.placement.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.ring.HashRing;
import dev.kos.testkit.Poll;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How fast moves go with production-size chunks (64 MiB) when the throttle is far above the
 * disk, and that memory stays bounded by parallelism x chunk size. Prints one figure line.
 * Run: {@code ./mvnw -B -q -ntp -Plarge-data -pl placement-service -am verify -Dtest=RebalanceThroughputTest
 * -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("large-data")
class RebalanceThroughputTest {
    private static final Logger LOG = Logger.getLogger(RebalanceThroughputTest.class.getName());
    private static final int CHUNK = 64 << 20;

    @TempDir
    Path dir;

    @Test
    void movesProductionSizeChunksWithBoundedMemory() {
        try (RebalanceCluster cluster = RebalanceCluster.create(dir)) {
            for (String n : List.of("n1", "n2", "n3")) {
                cluster.startNode(n);
            }
            List<PlacedChunk> placed = new ArrayList<>();
            for (int f = 0; f < 4; f++) {
                placed.addAll(cluster.storeFile(6, CHUNK, true, false)); // 1.5 GiB in all
            }
            cluster.startNode("n4");
            HashRing ring = cluster.ring();
            long toN4 = placed.stream().filter(p -> ring.owner(p.chunkId()).orElseThrow().nodeId().equals("n4")).count();
            assertTrue(toN4 > 0);
            resetPeakHeap();
            Rebalancer rebalancer = cluster.rebalancer(RebalanceCluster.fastConfig().withMaxBytesPerSecond(4L << 30));
            Poll.until(Duration.ofMinutes(5), () -> rebalancer.lastPass().map(r -> r.moved() == toN4).orElse(false),
                    () -> "moves: " + rebalancer.status());
            PassReport pass = rebalancer.lastPass().orElseThrow();
            long peakHeap = peakHeap();
            double mibPerSecond = pass.bytesMoved() / (1024.0 * 1024.0) / (pass.took().toMillis() / 1000.0);
            String figure = String.format("rebalance throughput: %d chunks of 64 MiB (%d MiB) in %d ms = %.0f MiB/s, parallelism %d, "
                    + "peak heap %d MiB", pass.moved(), pass.bytesMoved() >> 20, pass.took().toMillis(), mibPerSecond,
                    RebalanceConfig.DEFAULT_PARALLELISM, peakHeap >> 20);
            LOG.info(figure);
            System.out.println(figure);
            assertEquals(toN4 * CHUNK, pass.bytesMoved());
            for (PlacedChunk p : placed) {
                cluster.readBack(p);
            }
        }
    }

    private static void resetPeakHeap() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    private static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
