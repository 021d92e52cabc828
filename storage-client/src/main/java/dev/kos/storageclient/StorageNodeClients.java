package dev.kos.storageclient;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One cached plaintext channel per storage-node address (host:port), shared by every caller:
 * HTTP/2 multiplexes concurrent chunk transfers over it, and reconnects on its own after a
 * node restarts. Close it once, when the process stops.
 */
public final class StorageNodeClients implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StorageNodeClients.class.getName());
    /** The most one socket read takes: the size of a GetChunk frame's data. */
    static final int MAX_READ_BYTES = 1024 * 1024;

    private final StorageClientConfig config;
    private final Map<String, StorageNodeClient> clients = new ConcurrentHashMap<>();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final StallWatch stalls;
    /**
     * Eight arrays (8 MiB of heap at most): one per frame of eight 1 MiB downloads at once, or a
     * long read's prefetched frames; a read beyond them allocates, as before the pool.
     */
    private final FramePool frames = new FramePool(8);
    private volatile boolean closed;

    public StorageNodeClients(StorageClientConfig config) {
        this.config = config;
        this.stalls = new StallWatch(config.readIdleTimeout());
    }

    public StorageNodeClients() {
        this(StorageClientConfig.defaults());
    }

    public StorageClientConfig config() {
        return config;
    }

    /** The arrays GetChunk frames are received into (for tests). */
    FramePool frames() {
        return frames;
    }

    /** The client of the node at {@code address} (host:port), creating its channel on first use. */
    public StorageNodeClient client(String address) {
        if (closed) {
            throw new IllegalStateException("storage node clients are closed");
        }
        return clients.computeIfAbsent(address, a -> new StorageNodeClient(a, channels.computeIfAbsent(a, this::open), config, stalls,
                frames));
    }

    private ManagedChannel open(String address) {
        LOG.fine(() -> "opening channel to storage node " + address);
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(address);
        // Plaintext whose HTTP/2 decoder composes socket reads (see ComposingPlaintext).
        InternalNettyChannelBuilder.setProtocolNegotiatorFactory(builder, ComposingPlaintext.factory());
        return builder
                // Netty reads at most 64 KiB per call by default, so a 1 MiB GetChunk frame that has
                // arrived whole still took 16 reads. Reads grow up to a frame when they keep filling
                // their buffer and shrink back for small replies. What the gateway holds of a frame
                // stays bounded by the stream's HTTP/2 window, as before; only the reads are fewer.
                .withOption(ChannelOption.RCVBUF_ALLOCATOR,
                        new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ_BYTES))
                .maxInboundMessageSize(config.maxInboundMessageSize())
                // Pings no more often than the gRPC server default allows (5 min), or the node
                // answers with GOAWAY "too_many_pings"; deadlines catch dead nodes sooner.
                .keepAliveTime(config.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(20, TimeUnit.SECONDS)
                // Callbacks run on the transport thread: each only queues a received frame,
                // completes a future, or copies the next put frame into gRPC's buffers; none
                // blocks. It saves a hand-off to gRPC's executor per message (the gateway spent
                // ~5 % less CPU per 1 MiB GET, and ~20 % of its threads' CPU was that executor).
                .directExecutor()
                .build();
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(ManagedChannel::shutdown);
        for (ManagedChannel c : channels.values()) {
            try {
                if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
                    c.shutdownNow();
                }
            } catch (InterruptedException e) {
                c.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        channels.clear();
        clients.clear();
        stalls.close();
    }
}
