package dev.kos.config;

/**
 * The size of the chunks gRPC's Netty allocator carves its message buffers from. Call before
 * the first gRPC channel or server is built; an operator's own
 * {@code -Dio.grpc.netty.shaded.io.netty.allocator.maxOrder} wins.
 *
 * <p>Why: gRPC sets that allocator's chunks to 2 MiB (maxOrder 8), and a 1 MiB data frame with
 * its headers takes a 1.25 MiB size class, so each chunk held one frame: every frame sent made
 * the allocator create a chunk and destroy it when the frame was written. On JDK 25 Netty
 * allocates direct memory through an {@code Arena}, which zeroes it, so that was 2 MiB of
 * memset and fresh pages per frame: 11 % of a storage node's CPU under 1 MiB downloads
 * (async-profiler), on the gateway the same for each chunk it puts. With 8 MiB chunks (maxOrder
 * 10) six frames share one, and chunks live while traffic flows. The price: up to 8 MiB per
 * arena in use (at most two per core) instead of 2, well inside the gateway's memory budget.
 */
public final class GrpcBuffers {
    static final String MAX_ORDER = "io.grpc.netty.shaded.io.netty.allocator.maxOrder";
    static final String DEFAULT_MAX_ORDER = "10";

    private GrpcBuffers() {
    }

    public static void configure() {
        if (System.getProperty(MAX_ORDER) == null) {
            System.setProperty(MAX_ORDER, DEFAULT_MAX_ORDER);
        }
    }
}
