package dev.kos.storageclient;

/** The node has no room for the chunk (RESOURCE_EXHAUSTED): place it on another node. */
public final class NodeFullException extends StorageClientException {
    public NodeFullException(String nodeAddress, String message, Throwable cause) {
        super(nodeAddress, message, cause);
    }
}
