package dev.kos.gateway;

/**
 * What an upload reports while it streams; the metadata side (sessions, chunk rows, events)
 * plugs in here. Called on the uploading thread, in chunk order.
 */
public interface UploadSink {
    /**
     * The first chunk is full, so the body may span several chunks: called once, before any put.
     * An upload whose body ends within its first chunk never hears it, and its only chunk is put
     * after the body ended. Why it matters: a sink records a long upload here (a session, a
     * pending file) so that an interruption between its chunks leaves something cleanup can
     * expire, while a short one can be recorded whole in one transaction at its end.
     */
    void spansChunks();

    /** A chunk is durable on a node. {@code bytesReceived} counts body bytes read so far. */
    void chunkStored(StoredChunk chunk, long bytesReceived);

    /**
     * The body ended and its final chunk is durable on a node: called instead of
     * {@link #chunkStored} for the last chunk, so the sink may record it in the same transaction
     * as the seal (one commit fewer per upload). A sink that defers it must still record it when
     * the upload or the seal fails afterwards, or cleanup would never learn of the chunk.
     */
    default void lastChunkStored(StoredChunk chunk, long bytesReceived) {
        chunkStored(chunk, bytesReceived);
    }

    /** Body bytes arrived (called often; keep it cheap). */
    default void progress(long bytesReceived) {
    }

    /**
     * The gateway itself starts (true) or stops (false) waiting, for a chunk placement or a
     * buffer: time the client must not be blamed for by the idle timeout.
     */
    default void gatewayWaiting(boolean waiting) {
    }
}
