package dev.kos.gateway;

/**
 * What an upload reports while it streams; the metadata side (sessions, chunk rows, events)
 * plugs in here. Called on the uploading thread, in chunk order.
 */
public interface UploadSink {
    /** A chunk is durable on a node. {@code bytesReceived} counts body bytes read so far. */
    void chunkStored(StoredChunk chunk, long bytesReceived);

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
