package dev.kos.storageclient;

/** The node could not be reached, is shutting down, or missed the deadline (UNAVAILABLE, DEADLINE_EXCEEDED, connect failures). */
public final class NodeUnavailableException extends StorageClientException {
    public NodeUnavailableException(String nodeAddress, String message, Throwable cause) {
        super(nodeAddress, message, cause);
    }
}
