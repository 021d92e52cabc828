package dev.kos.cleanup;

import dev.kos.membership.NodeRepository;
import dev.kos.membership.NodeStatus;
import dev.kos.membership.StorageNode;
import dev.kos.metadata.Database;
import dev.kos.schemas.storage.v1.ChunkInfo;
import dev.kos.storageclient.StorageClientException;
import dev.kos.storageclient.StorageNodeClient;
import dev.kos.storageclient.StorageNodeClients;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Deletes chunks that an active node holds and the metadata does not need: no chunk row (an
 * upload that died between its put and its commit, a put refused after the session expired), or
 * a chunk of a deleted file. The inventory is streamed and checked a batch of ids per query, so
 * memory and queries do not grow with the node's chunk count. Chunks younger than the grace
 * period are left alone: their upload may commit the chunk row any moment. No event: no file
 * owns them.
 */
final class OrphanCollector {
    private static final Logger LOG = Logger.getLogger(OrphanCollector.class.getName());

    private final Database db;
    private final NodeRepository nodes;
    private final StorageNodeClients clients;
    private final Duration grace;
    private final int batchSize;
    private final Clock clock;
    private final CleanupQueries queries = new CleanupQueries();

    OrphanCollector(Database db, NodeRepository nodes, StorageNodeClients clients, Duration grace, int batchSize, Clock clock) {
        this.db = db;
        this.nodes = nodes;
        this.clients = clients;
        this.grace = grace;
        this.batchSize = batchSize;
        this.clock = clock;
    }

    /** Walks every active node once; returns how many orphans were deleted. */
    int collectOnce() {
        int deleted = 0;
        for (StorageNode node : nodes.list()) {
            if (node.status() != NodeStatus.ACTIVE) {
                continue; // an inactive node cannot answer; a draining or removed one is rebalancing's
            }
            try {
                deleted += collect(node);
            } catch (StorageClientException e) {
                LOG.warning("orphan walk of node " + node.nodeId() + " stopped, retried next round: " + e.getMessage());
            }
        }
        return deleted;
    }

    private int collect(StorageNode node) {
        StorageNodeClient client = clients.client(node.address());
        // Fixed at the start of the walk: a chunk stored during the walk is never old enough.
        long cutoffMs = clock.millis() - grace.toMillis();
        int deleted = 0;
        List<String> batch = new ArrayList<>(batchSize);
        try (Stream<ChunkInfo> inventory = client.list("")) {
            Iterator<ChunkInfo> it = inventory.iterator();
            while (it.hasNext()) {
                ChunkInfo chunk = it.next();
                if (chunk.getStoredAtUnixMs() < cutoffMs) {
                    batch.add(chunk.getChunkId());
                }
                if (batch.size() == batchSize) {
                    deleted += deleteUnknown(node, client, batch);
                    batch.clear();
                }
            }
        }
        if (!batch.isEmpty()) {
            deleted += deleteUnknown(node, client, batch);
        }
        return deleted;
    }

    private int deleteUnknown(StorageNode node, StorageNodeClient client, List<String> ids) {
        Set<String> live = db.withConnection(c -> queries.liveChunkIds(c, ids));
        int deleted = 0;
        for (String id : ids) {
            if (!live.contains(id)) {
                boolean existed = client.delete(id);
                if (existed) {
                    deleted++;
                    LOG.info("deleted orphan chunk " + id + " from node " + node.nodeId());
                }
            }
        }
        return deleted;
    }
}
