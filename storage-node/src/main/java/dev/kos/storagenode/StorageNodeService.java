package dev.kos.storagenode;

import dev.kos.schemas.storage.v1.DeleteChunkRequest;
import dev.kos.schemas.storage.v1.DeleteChunkResponse;
import dev.kos.schemas.storage.v1.GetChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import dev.kos.schemas.storage.v1.HealthCheckRequest;
import dev.kos.schemas.storage.v1.HealthCheckResponse;
import dev.kos.schemas.storage.v1.ListChunksRequest;
import dev.kos.schemas.storage.v1.ListChunksResponse;
import dev.kos.schemas.storage.v1.NodeStatus;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import dev.kos.schemas.storage.v1.PutChunkResponse;
import dev.kos.schemas.storage.v1.StorageNodeGrpc;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import java.util.logging.Logger;

/** The StorageNode gRPC service: protocol in, {@link ChunkStore} calls out. */
final class StorageNodeService extends StorageNodeGrpc.StorageNodeImplBase {
    static final int DEFAULT_LIST_BATCH = 1000;
    static final int MAX_LIST_BATCH = 10_000;
    private static final Logger LOG = Logger.getLogger(StorageNodeService.class.getName());

    private final ChunkStore store;
    private final NodeState state;
    private final String nodeId;
    private final NodeMetrics metrics;
    private volatile String advertisedAddress = "";
    private final String version;

    StorageNodeService(ChunkStore store, NodeState state, String nodeId, NodeMetrics metrics) {
        this.store = store;
        this.state = state;
        this.nodeId = nodeId;
        this.metrics = metrics;
        String v = StorageNodeService.class.getPackage().getImplementationVersion();
        this.version = v == null ? "dev" : v;
    }

    /** Set once the server is bound (the port may have been 0). */
    void advertiseAs(String address) {
        this.advertisedAddress = address;
    }

    @Override
    public StreamObserver<PutChunkRequest> putChunk(StreamObserver<PutChunkResponse> responseObserver) {
        // The server binds putParts (frames kept in gRPC's buffers); this serves a plain binding.
        StreamObserver<PutPart> call = putParts(responseObserver);
        return new StreamObserver<>() {
            @Override
            public void onNext(PutChunkRequest value) {
                call.onNext(PutPart.of(value));
            }

            @Override
            public void onError(Throwable t) {
                call.onError(t);
            }

            @Override
            public void onCompleted() {
                call.onCompleted();
            }
        };
    }

    StreamObserver<PutPart> putParts(StreamObserver<PutChunkResponse> responseObserver) {
        return new PutChunkCall(store, state, nodeId, responseObserver, metrics.bytesWritten);
    }

    @Override
    public void getChunk(GetChunkRequest req, StreamObserver<GetChunkResponse> responseObserver) {
        // The server binds getChunkFrames (frames sent from the reader's buffers); this serves a plain binding.
        getChunk(req, (ServerCallStreamObserver<GetChunkResponse>) responseObserver, GetChunkFrame::toResponse);
    }

    void getChunkFrames(GetChunkRequest req, StreamObserver<GetChunkFrame> responseObserver) {
        getChunk(req, (ServerCallStreamObserver<GetChunkFrame>) responseObserver, f -> f);
    }

    private <T> void getChunk(GetChunkRequest req, ServerCallStreamObserver<T> responseObserver,
            Function<GetChunkFrame, T> message) {
        long start = System.nanoTime();
        ChunkReader reader;
        try {
            state.ensureServing();
            reader = store.openRead(new ChunkId(req.getChunkId()), req.getOffset(), req.getLength());
        } catch (RuntimeException e) {
            Status s = GrpcErrors.statusOf(e);
            responseObserver.onError(s.asRuntimeException());
            LOG.info("get chunk=" + printable(req.getChunkId()) + " bytes=0 outcome=" + s.getCode() + ": "
                    + s.getDescription() + " duration_ms=" + (System.nanoTime() - start) / 1_000_000);
            return;
        }
        new GetChunkCall<>(reader, responseObserver, message, start, metrics.bytesRead).start();
    }

    @Override
    public void deleteChunk(DeleteChunkRequest req, StreamObserver<DeleteChunkResponse> responseObserver) {
        long start = System.nanoTime();
        String outcome;
        try {
            state.ensureServing();
            boolean existed = store.delete(new ChunkId(req.getChunkId()));
            responseObserver.onNext(DeleteChunkResponse.newBuilder().setExisted(existed).build());
            responseObserver.onCompleted();
            outcome = existed ? "deleted" : "absent";
        } catch (RuntimeException e) {
            Status s = GrpcErrors.statusOf(e);
            responseObserver.onError(s.asRuntimeException());
            outcome = s.getCode() + ": " + s.getDescription();
        }
        LOG.info("delete chunk=" + printable(req.getChunkId()) + " outcome=" + outcome + " duration_ms="
                + (System.nanoTime() - start) / 1_000_000);
    }

    @Override
    public void healthCheck(HealthCheckRequest req, StreamObserver<HealthCheckResponse> responseObserver) {
        try {
            NodeStats s = store.stats();
            NodeStatus status = state.draining() ? NodeStatus.DRAINING : s.full() ? NodeStatus.FULL : NodeStatus.SERVING;
            responseObserver.onNext(HealthCheckResponse.newBuilder()
                    .setNodeId(nodeId)
                    .setStatus(status)
                    .setDiskTotalBytes(s.diskTotal())
                    .setDiskFreeBytes(s.diskFree())
                    .setDiskReservedBytes(s.reserve())
                    .setChunkCount(s.chunkCount())
                    .setChunkBytes(s.chunkBytes())
                    .setAdvertisedAddress(advertisedAddress)
                    .setVersion(version)
                    .build());
            responseObserver.onCompleted();
        } catch (RuntimeException e) {
            responseObserver.onError(GrpcErrors.toException(e));
        }
    }

    @Override
    public void listChunks(ListChunksRequest req, StreamObserver<ListChunksResponse> responseObserver) {
        ChunkInventory inventory;
        try {
            if (!req.getPrefix().isEmpty() && !ChunkId.isValid(req.getPrefix())) {
                throw new ChunkStoreException.InvalidRequest("prefix '" + printable(req.getPrefix())
                        + "' has characters outside [A-Za-z0-9_-] or is too long");
            }
            inventory = store.list(req.getPrefix());
        } catch (RuntimeException e) {
            responseObserver.onError(GrpcErrors.toException(e));
            return;
        }
        int batch = req.getBatchSize() <= 0 ? DEFAULT_LIST_BATCH : Math.min(req.getBatchSize(), MAX_LIST_BATCH);
        new ListChunksCall(inventory, batch, (ServerCallStreamObserver<ListChunksResponse>) responseObserver).start();
    }

    /** Ids from requests go into logs before validation: keep them short and printable. */
    static String printable(String s) {
        if (ChunkId.isValid(s)) {
            return s;
        }
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.append(s.length() > 64 ? "...'" : "'").toString();
    }
}
