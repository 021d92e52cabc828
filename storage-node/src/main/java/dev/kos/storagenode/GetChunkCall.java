package dev.kos.storagenode;

import dev.kos.metrics.Counter;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One GetChunk stream, driven by the client's demand: a frame is read (and verified) from disk
 * only while the transport is ready to send it, so a slow client makes the node wait, not
 * buffer the chunk. gRPC runs the ready and cancel handlers one at a time for a call.
 *
 * @param <T> what the call sends: the frames themselves ({@link GetChunkFrame}, as the server binds
 *     it), or messages made of them (the plain generated binding)
 */
final class GetChunkCall<T> {
    private static final Logger LOG = Logger.getLogger(GetChunkCall.class.getName());

    private final ChunkReader reader;
    private final ServerCallStreamObserver<T> out;
    private final Function<GetChunkFrame, T> message;
    private final long startNanos;
    private final Counter bytesRead;
    private boolean first = true;
    private boolean done;
    private long sent;

    /** @param bytesRead counts the chunk bytes of each frame as it is sent */
    GetChunkCall(ChunkReader reader, ServerCallStreamObserver<T> out, Function<GetChunkFrame, T> message,
            long startNanos, Counter bytesRead) {
        this.reader = reader;
        this.out = out;
        this.message = message;
        this.startNanos = startNanos;
        this.bytesRead = bytesRead;
    }

    void start() {
        // FINE: the outcome line at the end is the event; this one shows when a read began (tests
        // of the gateway's read-ahead watch for it).
        LOG.fine(() -> "get chunk=" + reader.id() + " started");
        out.setOnCancelHandler(this::cancelled);
        out.setOnReadyHandler(this::pump);
    }

    private void pump() {
        if (done) {
            return;
        }
        try {
            while (out.isReady()) {
                ChunkReader.Frame f = reader.next();
                if (f == null) {
                    complete();
                    return;
                }
                GetChunkResponse head = null;
                if (first) {
                    head = GetChunkResponse.newBuilder().setChunkLength(reader.chunkLength())
                            .setChecksum(ProtoMapping.toProto(reader.checksum())).build();
                    first = false;
                }
                int bytes = f.data().remaining();
                sent += bytes;
                bytesRead.add(bytes);
                // Copied into gRPC's transport buffer before onNext returns, so the reader may
                // reuse the frame's buffer for the next one.
                out.onNext(message.apply(new GetChunkFrame(f.offset(), f.data(), head)));
                if (reader.atEnd()) {
                    // The trailers need no flow-control window: sent now, they leave with the last
                    // frame instead of after another onReady (a hand-off to a call thread and a
                    // wake-up of the transport's, for every read).
                    complete();
                    return;
                }
            }
        } catch (RuntimeException e) {
            done = true;
            reader.close();
            Status s = GrpcErrors.statusOf(e);
            out.onError(s.asRuntimeException());
            log(s.getCode() + ": " + s.getDescription());
        }
    }

    private void complete() {
        done = true;
        reader.close();
        out.onCompleted();
        log("ok");
    }

    private void cancelled() {
        if (!done) {
            done = true;
            reader.close();
            log("cancelled");
        }
    }

    /** One line per read: FINE when it ended well (as for puts: see PutChunkCall#log), INFO otherwise. */
    private void log(String outcome) {
        Level level = outcome.equals("ok") ? Level.FINE : Level.INFO;
        if (!LOG.isLoggable(level)) {
            return;
        }
        LOG.log(level, "get chunk=" + reader.id() + " bytes=" + sent + " outcome=" + outcome + " duration_ms="
                + (System.nanoTime() - startNanos) / 1_000_000);
    }
}
