package dev.kos.storageclient;

import com.google.protobuf.ByteString;
import dev.kos.schemas.storage.v1.Checksum;
import dev.kos.schemas.storage.v1.ChecksumAlgorithm;
import dev.kos.schemas.storage.v1.ChunkHeader;
import dev.kos.schemas.storage.v1.ChunkInfo;
import dev.kos.schemas.storage.v1.DeleteChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import dev.kos.schemas.storage.v1.HealthCheckRequest;
import dev.kos.schemas.storage.v1.HealthCheckResponse;
import dev.kos.schemas.storage.v1.ListChunksRequest;
import dev.kos.schemas.storage.v1.ListChunksResponse;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import dev.kos.schemas.storage.v1.PutChunkResponse;
import dev.kos.schemas.storage.v1.StorageNodeGrpc;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Typed calls to one storage node over a shared channel. Every method blocks the calling
 * (virtual) thread and fails with a {@link StorageClientException} subtype.
 */
public final class StorageNodeClient {
    private final String address;
    private final ManagedChannel channel;
    private final StorageClientConfig config;
    private final StallWatch stalls;
    private final FramePool frames;
    private final MethodDescriptor<GetChunkRequest, ReceivedFrame> getChunk;

    StorageNodeClient(String address, ManagedChannel channel, StorageClientConfig config, StallWatch stalls,
            FramePool frames) {
        this.address = address;
        this.channel = channel;
        this.config = config;
        this.stalls = stalls;
        this.frames = frames;
        this.getChunk = StorageNodeGrpc.getGetChunkMethod()
                .toBuilder(StorageNodeGrpc.getGetChunkMethod().getRequestMarshaller(),
                        new FrameMarshaller(config.maxInboundMessageSize(), frames))
                .build();
    }

    public String address() {
        return address;
    }

    /**
     * Stores the bytes between {@code data}'s position and limit (its position is not moved)
     * under {@code chunkId}, verified by the node against {@code crc32c}. Returns once the node
     * made the chunk visible. The buffer must not change until this returns.
     */
    public PutResult put(String chunkId, ByteBuffer data, int crc32c, Duration deadline) {
        ChunkHeader header = ChunkHeader.newBuilder()
                .setChunkId(chunkId)
                .setLength(data.remaining())
                .setChecksum(crc32cChecksum(crc32c))
                .build();
        ChunkPut put = new ChunkPut(PutChunkRequest.newBuilder().setHeader(header).build(), data, config.frameSize());
        StorageNodeGrpc.newStub(channel)
                .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
                .putChunk(put);
        put.sendWhileReady();
        try {
            PutChunkResponse r = put.result.get();
            return new PutResult(r.getChunkId(), r.getLength(), crc32c, r.getAlreadyPresent(), r.getNodeId());
        } catch (InterruptedException e) {
            put.cancel("caller interrupted", e);
            Thread.currentThread().interrupt();
            throw new CancellationException("put of " + chunkId + " to " + address + " interrupted");
        } catch (ExecutionException e) {
            throw GrpcErrors.map(address, "put of " + chunkId, e.getCause());
        }
    }

    /**
     * Opens {@code length} bytes of the chunk from {@code offset} ({@code length} 0: to its end).
     * The stream holds a few frames at most; close it to cancel the call.
     */
    public ChunkReadStream openRead(String chunkId, long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0");
        }
        ChunkReadStream stream = new ChunkReadStream(address, chunkId, config.readPrefetch(), config.readIdleTimeout(), stalls,
                frames);
        GetChunkRequest request = GetChunkRequest.newBuilder()
                .setChunkId(chunkId).setOffset(offset).setLength(length).build();
        ClientCalls.asyncServerStreamingCall(channel.newCall(getChunk, CallOptions.DEFAULT), request, stream.observer());
        return stream;
    }

    /** Deletes the chunk; true when it existed. Idempotent. */
    public boolean delete(String chunkId) {
        try {
            return blocking().deleteChunk(DeleteChunkRequest.newBuilder().setChunkId(chunkId).build()).getExisted();
        } catch (RuntimeException e) {
            throw GrpcErrors.map(address, "delete of " + chunkId, e);
        }
    }

    /** The node's identity, state and disk figures. */
    public HealthCheckResponse health() {
        try {
            return blocking().healthCheck(HealthCheckRequest.getDefaultInstance());
        } catch (RuntimeException e) {
            throw GrpcErrors.map(address, "health check", e);
        }
    }

    /**
     * The node's chunks whose id starts with {@code prefix}, fetched batch by batch as the
     * stream is consumed. Close the stream (try-with-resources) to cancel an unfinished listing.
     */
    public Stream<ChunkInfo> list(String prefix) {
        Context.CancellableContext context = Context.current().withCancellation();
        ListChunksRequest request = ListChunksRequest.newBuilder().setPrefix(prefix).build();
        Iterator<ListChunksResponse> batches;
        try {
            batches = context.call(() -> StorageNodeGrpc.newBlockingStub(channel).listChunks(request));
        } catch (Exception e) {
            context.cancel(null);
            throw GrpcErrors.map(address, "list", e);
        }
        Iterator<ListChunksResponse> mapped = new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return batches.hasNext();
                } catch (RuntimeException e) {
                    throw GrpcErrors.map(address, "list", e);
                }
            }

            @Override
            public ListChunksResponse next() {
                try {
                    return batches.next();
                } catch (RuntimeException e) {
                    throw GrpcErrors.map(address, "list", e);
                }
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(mapped, Spliterator.ORDERED), false)
                .flatMap(batch -> batch.getChunksList().stream())
                .onClose(() -> context.cancel(null));
    }

    private StorageNodeGrpc.StorageNodeBlockingStub blocking() {
        return StorageNodeGrpc.newBlockingStub(channel)
                .withDeadlineAfter(config.callDeadline().toNanos(), TimeUnit.NANOSECONDS);
    }

    static Checksum crc32cChecksum(int crc32c) {
        byte[] v = ByteBuffer.allocate(4).putInt(crc32c).array();
        return Checksum.newBuilder().setAlgorithm(ChecksumAlgorithm.CRC32C).setValue(ByteString.copyFrom(v)).build();
    }
}
