package dev.kos.storageclient;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import dev.kos.schemas.storage.v1.PutChunkResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One PutChunk call: the header, then the chunk in frames, sent only while the transport says
 * it is ready. gRPC's own buffers therefore never hold more than about one frame beyond the
 * caller's buffer, whatever the chunk size or the node's speed.
 */
final class ChunkPut implements ClientResponseObserver<PutChunkRequest, PutChunkResponse> {
    private final PutChunkRequest header;
    private final ByteBuffer remaining;
    private final int frameSize;
    final CompletableFuture<PutChunkResponse> result = new CompletableFuture<>();

    private ClientCallStreamObserver<PutChunkRequest> requests;
    private PutChunkResponse response;
    private boolean headerSent;
    private boolean halfClosed;

    ChunkPut(PutChunkRequest header, ByteBuffer data, int frameSize) {
        this.header = header;
        this.remaining = data.duplicate();
        this.frameSize = frameSize;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<PutChunkRequest> requestStream) {
        this.requests = requestStream;
        requestStream.setOnReadyHandler(this::sendWhileReady);
    }

    /**
     * Called by gRPC whenever the stream has room again, and once by the caller after the call
     * starts; synchronized because both may race and the request observer is not thread-safe.
     */
    synchronized void sendWhileReady() {
        if (requests == null || halfClosed || result.isDone()) {
            return;
        }
        while (requests.isReady()) {
            if (!headerSent) {
                requests.onNext(header);
                headerSent = true;
            } else if (remaining.hasRemaining()) {
                int n = Math.min(frameSize, remaining.remaining());
                ByteBuffer frame = remaining.slice(remaining.position(), n);
                remaining.position(remaining.position() + n);
                // No copy: gRPC serializes the message into its own transport buffer inside
                // onNext, before the caller can touch (or recycle) the chunk buffer again.
                ByteString bytes = UnsafeByteOperations.unsafeWrap(frame);
                requests.onNext(PutChunkRequest.newBuilder().setData(bytes).build());
            } else {
                requests.onCompleted();
                halfClosed = true;
                return;
            }
        }
    }

    synchronized void cancel(String why, Throwable cause) {
        if (requests != null && !result.isDone()) {
            requests.cancel(why, cause);
        }
    }

    @Override
    public void onNext(PutChunkResponse value) {
        response = value;
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
        if (response == null) {
            result.completeExceptionally(io.grpc.Status.INTERNAL
                    .withDescription("node completed PutChunk without a response").asRuntimeException());
        } else {
            result.complete(response);
        }
    }
}
