package dev.kos.storagenode;

import dev.kos.metrics.MetricRegistry;
import dev.kos.schemas.storage.v1.GetChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import dev.kos.schemas.storage.v1.PutChunkResponse;
import dev.kos.schemas.storage.v1.StorageNodeGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.WriteBufferWaterMark;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** A running storage node: the chunk store behind a gRPC server. */
public final class StorageNodeServer implements AutoCloseable {
    /** Room for a 1 MiB data frame plus protobuf framing, with margin; larger frames are refused. */
    static final int MAX_INBOUND_MESSAGE_BYTES = 4 * 1024 * 1024;
    /**
     * How many bytes a connection may queue for its socket before Netty calls it unwritable
     * (Netty's default: 64 KiB). gRPC's HTTP/2 flow controller hands a stream's DATA frames to
     * the socket only while the connection is writable, so with the default a 1 MiB GetChunk
     * frame left in ~26 {@code writev} calls of ~40 KiB, each waking the gateway's transport
     * thread for a read. With room for two frames it leaves in one (strace: 25.6 -> 0.8 writev
     * per 1 MiB GET). What a stream may queue stays bounded by its HTTP/2 window (1 MiB unless
     * gRPC's BDP tuning grows it); this only lets what is already queued reach the socket at once.
     */
    static final int WRITE_HIGH_WATER_BYTES = 2 * 1024 * 1024;
    private static final Logger LOG = Logger.getLogger(StorageNodeServer.class.getName());

    private final StorageNodeConfig config;
    private final ChunkStore store;
    private final NodeState state;
    private final ExecutorService executor;
    private final Server server;
    private final String advertisedAddress;
    private final NodeMetrics metrics;
    private boolean closed;

    private StorageNodeServer(StorageNodeConfig config, ChunkStore store, NodeState state, ExecutorService executor,
            Server server, String advertisedAddress, NodeMetrics metrics) {
        this.config = config;
        this.store = store;
        this.state = state;
        this.executor = executor;
        this.server = server;
        this.advertisedAddress = advertisedAddress;
        this.metrics = metrics;
    }

    public static StorageNodeServer start(StorageNodeConfig c) {
        return start(c, c.directIo() ? ChunkFileSystem.local() : ChunkFileSystem.localBuffered());
    }

    /** Starts with a given file-system boundary (tests inject disk failures through it). */
    public static StorageNodeServer start(StorageNodeConfig c, ChunkFileSystem fs) {
        ChunkStore store;
        try {
            store = ChunkStore.open(c.dataDir(), c.reserveBytes(), c.maxChunkBytes(), fs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open data dir " + c.dataDir() + ": " + e.getMessage(), e);
        }
        // Calls run on platform threads, reused (gRPC's own default, a cached pool), not on virtual
        // threads: a call's handlers block in file system calls (create, fsync, rename, a cached read),
        // and a virtual thread blocked in one holds its carrier, so the JDK wakes or starts another
        // carrier for the time of each call. Measured with 1 MiB puts (KOS_BENCH_CHUNK_MIB=1
        // bench/put-cpu.sh): 2.7 CPU-s per GiB on the node with virtual threads, 2.2 with these.
        ExecutorService executor = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("node-call-", 0).factory());
        NodeState state = new NodeState();
        NodeMetrics metrics = new NodeMetrics(store);
        StorageNodeService service = new StorageNodeService(store, state, c.nodeId(), metrics);
        try {
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress(c.bindAddress(), c.port()))
                    .executor(executor)
                    .withChildOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(WRITE_HIGH_WATER_BYTES / 2, WRITE_HIGH_WATER_BYTES))
                    .protocolNegotiator(new ComposingPlaintext())
                    .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                    .addService(bind(service))
                    .intercept(metrics.calls())
                    .build()
                    .start();
            // With port 0 the advertised address is known only once bound.
            String advertised = c.advertisedAddress() != null ? c.advertisedAddress() : "localhost:" + server.getPort();
            service.advertiseAs(advertised);
            return new StorageNodeServer(c, store, state, executor, server, advertised, metrics);
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            store.close();
            throw new IllegalStateException("storage node " + c.nodeId() + " cannot listen on " + c.bindAddress()
                    + ":" + c.port() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The service with PutChunk frames kept in gRPC's receive buffers (see {@link PutPartMarshaller})
     * and GetChunk frames sent from the reader's buffers (see {@link GetChunkFrameMarshaller}).
     */
    private static ServerServiceDefinition bind(StorageNodeService service) {
        MethodDescriptor<PutChunkRequest, PutChunkResponse> standardPut = StorageNodeGrpc.getPutChunkMethod();
        MethodDescriptor<PutPart, PutChunkResponse> put = standardPut
                .toBuilder(new PutPartMarshaller(MAX_INBOUND_MESSAGE_BYTES), standardPut.getResponseMarshaller())
                .build();
        MethodDescriptor<GetChunkRequest, GetChunkResponse> standardGet = StorageNodeGrpc.getGetChunkMethod();
        MethodDescriptor<GetChunkRequest, GetChunkFrame> get = standardGet
                .toBuilder(standardGet.getRequestMarshaller(), new GetChunkFrameMarshaller())
                .build();
        ServerServiceDefinition standard = service.bindService();
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(StorageNodeGrpc.SERVICE_NAME);
        for (ServerMethodDefinition<?, ?> m : standard.getMethods()) {
            String name = m.getMethodDescriptor().getFullMethodName();
            if (name.equals(put.getFullMethodName())) {
                b.addMethod(put, ServerCalls.asyncClientStreamingCall(service::putParts));
            } else if (name.equals(get.getFullMethodName())) {
                b.addMethod(get, ServerCalls.asyncServerStreamingCall(service::getChunkFrames));
            } else {
                b.addMethod(m);
            }
        }
        return b.build();
    }

    public int port() {
        return server.getPort();
    }

    public String nodeId() {
        return config.nodeId();
    }

    public String advertisedAddress() {
        return advertisedAddress;
    }

    public java.nio.file.Path dataDir() {
        return store.dataDir();
    }

    /** Live figures, for health and heartbeats. */
    public NodeStats stats() {
        return store.stats();
    }

    /** This node's metrics, for a /metrics endpoint ({@link Main} serves them on node.metrics-port). */
    public MetricRegistry metrics() {
        return metrics.registry();
    }

    /** True once a shutdown has begun: heartbeats should report the node as draining. */
    public boolean draining() {
        return state.draining();
    }

    /** Blocks until the server has stopped (for Main). */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /**
     * Stops taking new requests, lets in-flight streams finish for up to the shutdown grace,
     * then cancels the rest (their puts leave nothing behind) and releases the data dir.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        state.drain();
        server.shutdown();
        boolean clean = false;
        try {
            clean = server.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
            if (!clean) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
            executor.shutdown();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            store.close();
        }
        LOG.info("storage node " + config.nodeId() + " stopped" + (clean ? "" : " (in-flight streams cancelled after "
                + config.shutdownGrace().toMillis() + " ms)"));
    }
}
