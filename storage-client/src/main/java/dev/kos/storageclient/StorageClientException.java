package dev.kos.storageclient;

/**
 * A storage-node call that failed for a reason the caller can act on. The subclasses map the
 * node's gRPC status codes to what they mean for chunk placement: retry elsewhere
 * ({@link NodeUnavailableException}, {@link NodeFullException}) or give up
 * ({@link ChunkNotFoundException}, {@link ChunkCorruptedException}, {@link ChunkConflictException},
 * {@link InvalidChunkRequestException}).
 */
public sealed class StorageClientException extends RuntimeException
        permits ChunkNotFoundException, ChunkCorruptedException, NodeFullException,
        NodeUnavailableException, ChunkConflictException, InvalidChunkRequestException {
    private final String nodeAddress;

    public StorageClientException(String nodeAddress, String message, Throwable cause) {
        super(nodeAddress + ": " + message, cause);
        this.nodeAddress = nodeAddress;
    }

    /** The host:port of the node that answered (or did not). */
    public String nodeAddress() {
        return nodeAddress;
    }

    /** True when the same request may succeed on another node of the ring. */
    public boolean retryableElsewhere() {
        return this instanceof NodeUnavailableException || this instanceof NodeFullException;
    }
}
