package dev.kos.storagenode;

/** Whether the node takes new requests; flips once, to draining, at shutdown. */
final class NodeState {
    private volatile boolean draining;

    void drain() {
        draining = true;
    }

    boolean draining() {
        return draining;
    }

    void ensureServing() {
        if (draining) {
            throw new ChunkStoreException.Unavailable("node is shutting down; retry on another node");
        }
    }
}
