package dev.kos.storagenode;

import com.google.protobuf.ByteString;
import dev.kos.schemas.storage.v1.ChunkHeader;
import dev.kos.schemas.storage.v1.DeleteChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import dev.kos.schemas.storage.v1.HealthCheckRequest;
import dev.kos.schemas.storage.v1.HealthCheckResponse;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import dev.kos.schemas.storage.v1.PutChunkResponse;
import dev.kos.schemas.storage.v1.StorageNodeGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.IntFunction;

/** A test client over the generated stubs: flow-controlled streaming put, streaming get. */
final class ChunkClient {
    final StorageNodeGrpc.StorageNodeStub async;
    final StorageNodeGrpc.StorageNodeBlockingStub blocking;

    ChunkClient(ManagedChannel channel) {
        this.async = StorageNodeGrpc.newStub(channel);
        this.blocking = StorageNodeGrpc.newBlockingStub(channel);
    }

    static ChunkHeader header(String id, long length, ChunkChecksum c) {
        return ChunkHeader.newBuilder().setChunkId(id).setLength(length).setChecksum(ProtoMapping.toProto(c)).build();
    }

    /** Streams {@code frames} frames after the header, sending only while the transport is ready. */
    CompletableFuture<PutChunkResponse> putAsync(ChunkHeader header, int frames, IntFunction<byte[]> frame) {
        CompletableFuture<PutChunkResponse> result = new CompletableFuture<>();
        async.putChunk(new ClientResponseObserver<PutChunkRequest, PutChunkResponse>() {
            int next = -1; // -1: header not sent yet
            boolean halfClosed;

            @Override
            public void beforeStart(ClientCallStreamObserver<PutChunkRequest> out) {
                out.setOnReadyHandler(() -> {
                    while (out.isReady() && !halfClosed) {
                        if (next < 0) {
                            out.onNext(PutChunkRequest.newBuilder().setHeader(header).build());
                        } else if (next < frames) {
                            out.onNext(PutChunkRequest.newBuilder().setData(ByteString.copyFrom(frame.apply(next))).build());
                        } else {
                            halfClosed = true;
                            out.onCompleted();
                            return;
                        }
                        next++;
                    }
                });
            }

            @Override
            public void onNext(PutChunkResponse r) {
                result.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                if (!result.isDone()) {
                    result.completeExceptionally(new AssertionError("put completed without a response"));
                }
            }
        });
        return result;
    }

    PutChunkResponse put(ChunkHeader header, int frames, IntFunction<byte[]> frame) {
        try {
            return putAsync(header, frames, frame).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw s;
            }
            throw new AssertionError(e.getCause());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    PutChunkResponse put(String id, TestData data) {
        return put(header(id, data.length(), data.crc32c()), data.frames(), data::frame);
    }

    PutChunkResponse put(String id, byte[] bytes) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        return put(header(id, bytes.length, ChunkChecksum.crc32c((int) crc.getValue())), bytes.length == 0 ? 0 : 1,
                i -> bytes);
    }

    Iterator<GetChunkResponse> get(String id, long offset, long length) {
        return blocking.getChunk(GetChunkRequest.newBuilder().setChunkId(id).setOffset(offset).setLength(length).build());
    }

    /** The whole range as one array (small reads only). */
    byte[] read(String id, long offset, long length) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        get(id, offset, length).forEachRemaining(r -> out.writeBytes(r.getData().toByteArray()));
        return out.toByteArray();
    }

    boolean delete(String id) {
        return blocking.deleteChunk(DeleteChunkRequest.newBuilder().setChunkId(id).build()).getExisted();
    }

    HealthCheckResponse health() {
        return blocking.healthCheck(HealthCheckRequest.getDefaultInstance());
    }
}
