package dev.kos.storagenode;

import dev.kos.metrics.Counter;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import dev.kos.schemas.storage.v1.PutChunkResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One PutChunk stream: header first, then data frames, written as they arrive.
 *
 * <p>Flow control: each frame is written before {@code onNext} returns, and gRPC's automatic
 * inbound flow control requests the next message only then, so the node holds at most one
 * frame per put beyond HTTP/2's window; a fast client is slowed to the disk's pace. That is also
 * why a frame may still be gRPC's receive buffer: it is written, then released, inside onNext.
 */
final class PutChunkCall implements StreamObserver<PutPart> {
    private static final Logger LOG = Logger.getLogger(PutChunkCall.class.getName());

    private final ChunkStore store;
    private final NodeState state;
    private final String nodeId;
    private final StreamObserver<PutChunkResponse> response;
    private final Counter bytesWritten;
    private final long startNanos = System.nanoTime();
    private ChunkPut put;
    private String chunkId = "?";
    private boolean ended;

    /** @param bytesWritten counts the data of each chunk this call stores, once it is durable */
    PutChunkCall(ChunkStore store, NodeState state, String nodeId, StreamObserver<PutChunkResponse> response,
            Counter bytesWritten) {
        this.store = store;
        this.state = state;
        this.nodeId = nodeId;
        this.response = response;
        this.bytesWritten = bytesWritten;
    }

    @Override
    public void onNext(PutPart part) {
        try (part) {
            if (ended) {
                return;
            }
            if (put == null) {
                begin(part);
            } else if (part.isData()) {
                for (ByteBuffer b : part.data()) {
                    put.write(b);
                }
            } else {
                throw new ChunkStoreException.InvalidRequest("chunk " + chunkId
                        + ": a second header; after the header only data frames may follow");
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    @Override
    public void onError(Throwable t) {
        // The client cancelled or the connection broke: nothing of this put may remain.
        if (ended) {
            return;
        }
        ended = true;
        if (put != null) {
            put.abort();
        }
        log("cancelled (" + Status.fromThrowable(t).getCode() + ")");
    }

    @Override
    public void onCompleted() {
        if (ended) {
            return;
        }
        try {
            if (put == null) {
                throw new ChunkStoreException.InvalidRequest("the stream ended without a chunk header");
            }
            PutResult r = put.finish();
            ended = true;
            if (!r.alreadyPresent()) {
                bytesWritten.add(r.length());
            }
            response.onNext(PutChunkResponse.newBuilder()
                    .setChunkId(r.id().value())
                    .setLength(r.length())
                    .setChecksum(ProtoMapping.toProto(r.checksum()))
                    .setAlreadyPresent(r.alreadyPresent())
                    .setNodeId(nodeId)
                    .build());
            response.onCompleted();
            log(r.alreadyPresent() ? "already_present" : "stored");
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void begin(PutPart part) {
        state.ensureServing();
        if (part.isData() || part.header().getPartCase() != PutChunkRequest.PartCase.HEADER) {
            throw new ChunkStoreException.InvalidRequest("the first message must be the chunk header");
        }
        var h = part.header().getHeader();
        chunkId = StorageNodeService.printable(h.getChunkId());
        ChunkId id = new ChunkId(h.getChunkId());
        if (!h.hasChecksum()) {
            throw new ChunkStoreException.InvalidRequest("chunk " + id + ": the header has no checksum");
        }
        put = store.beginPut(id, h.getLength(), ProtoMapping.fromProto(h.getChecksum()));
    }

    private void fail(RuntimeException e) {
        ended = true;
        if (put != null) {
            put.abort();
        }
        Status s = GrpcErrors.statusOf(e);
        response.onError(s.asRuntimeException());
        log(s.getCode() + ": " + s.getDescription());
        if (s.getCode() == Status.Code.INTERNAL) {
            LOG.log(Level.WARNING, "put of chunk " + chunkId + " failed unexpectedly", e);
        }
    }

    /**
     * One line per put: FINE when it stored the chunk, INFO for anything else. Every upload's
     * chunks pass here, and the gateway logs the upload already: at a hundred puts a second the
     * line and its flush were 3 % of a node's CPU (async-profiler). kos-logging.properties says
     * how to see them all.
     */
    private void log(String outcome) {
        boolean routine = outcome.equals("stored") || outcome.equals("already_present");
        Level level = routine ? Level.FINE : Level.INFO;
        if (!LOG.isLoggable(level)) {
            return;
        }
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        LOG.log(level, "put chunk=" + chunkId + " bytes=" + (put == null ? 0 : put.received()) + " outcome=" + outcome
                + " duration_ms=" + ms);
    }
}
