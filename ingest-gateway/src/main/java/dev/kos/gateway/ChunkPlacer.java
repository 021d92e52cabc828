package dev.kos.gateway;

import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import dev.kos.storageclient.NodeFullException;
import dev.kos.storageclient.NodeUnavailableException;
import dev.kos.storageclient.PutResult;
import dev.kos.storageclient.StorageClientException;
import dev.kos.storageclient.StorageNodeClients;
import io.helidon.http.Status;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Puts one chunk on the ring: the owner of its id first, then the next distinct nodes of its
 * preference list. A node that is down or full costs one retry of this chunk, not the upload;
 * only when every candidate refused does the upload fail (507 if all were full, else 503).
 */
public final class ChunkPlacer {
    private static final Logger LOG = Logger.getLogger(ChunkPlacer.class.getName());

    private final Supplier<HashRing> ring;
    private final StorageNodeClients clients;
    private final int candidates;
    private final Duration putDeadline;
    private final GatewayMetrics metrics;

    public ChunkPlacer(Supplier<HashRing> ring, StorageNodeClients clients, int candidates, Duration putDeadline,
                       GatewayMetrics metrics) {
        this.ring = ring;
        this.clients = clients;
        this.candidates = candidates;
        this.putDeadline = putDeadline;
        this.metrics = metrics;
    }

    public StoredChunk place(int index, String chunkId, ByteBuffer data, int crc32c) {
        List<RingNode> nodes = ring.get().preferenceList(chunkId, candidates);
        if (nodes.isEmpty()) {
            throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "no_storage_nodes", "no storage node is active");
        }
        int full = 0;
        StorageClientException last = null;
        for (RingNode node : nodes) {
            if (Thread.currentThread().isInterrupted()) {
                throw new java.util.concurrent.CancellationException("upload aborted");
            }
            try {
                long start = System.nanoTime();
                PutResult r = clients.client(node.address()).put(chunkId, data, crc32c, putDeadline);
                metrics.chunkStored(System.nanoTime() - start, data.remaining());
                return new StoredChunk(index, chunkId, data.remaining(), crc32c, node.nodeId(), node.address(),
                        r.alreadyPresent());
            } catch (NodeFullException e) {
                metrics.chunkRefused(true);
                full++;
                last = e;
                LOG.warning(() -> "chunk " + chunkId + ": node " + node.nodeId() + " is full; trying the next node");
            } catch (NodeUnavailableException e) {
                metrics.chunkRefused(false);
                last = e;
                LOG.warning(() -> "chunk " + chunkId + ": node " + node.nodeId() + " unavailable (" + e.getMessage()
                        + "); trying the next node");
            }
        }
        if (full == nodes.size()) {
            throw new ApiException(Status.INSUFFICIENT_STORAGE_507, "storage_full",
                    "every storage node that could take chunk " + chunkId + " is full", last);
        }
        throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "storage_unavailable",
                "no storage node could take chunk " + chunkId + " (" + nodes.size() + " tried)", last);
    }
}
