package dev.kos.cleanup;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.membership.NodeRepository;
import dev.kos.membership.NodeStatus;
import dev.kos.membership.StorageNode;
import dev.kos.metadata.ChunkOnNode;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.LocationState;
import dev.kos.schemas.events.v1.ChunkDeleted;
import dev.kos.storageclient.NodeUnavailableException;
import dev.kos.storageclient.StorageClientException;
import dev.kos.storageclient.StorageNodeClient;
import dev.kos.storageclient.StorageNodeClients;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Logger;

/**
 * Removes chunk copies marked deleting from their nodes: DeleteChunk on the node, then, in one
 * transaction, the location row goes and chunk_deleted is written. A crash between the two
 * repeats an idempotent DeleteChunk next round; an event is written only by the transaction
 * that actually removed the row, so two workers never report one copy twice.
 *
 * <p>Nodes are walked in parallel, one virtual thread each, so a slow or dead node holds up
 * only its own copies. A node that cannot be reached is skipped until the next round (logged
 * once per outage); a removed node's disk is gone, so its copies are written off without a call.
 */
final class ChunkReaper {
    private static final Logger LOG = Logger.getLogger(ChunkReaper.class.getName());

    private final Database db;
    private final NodeRepository nodes;
    private final StorageNodeClients clients;
    private final Events events;
    private final int pageSize;
    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();

    ChunkReaper(Database db, NodeRepository nodes, StorageNodeClients clients, Events events, int pageSize) {
        this.db = db;
        this.nodes = nodes;
        this.clients = clients;
        this.events = events;
        this.pageSize = pageSize;
    }

    /** What one node's pass did. */
    record NodePass(String nodeId, int copiesRemoved, boolean skipped) {
    }

    /** One pass over every node; returns once every node's pass ended. */
    List<NodePass> reapOnce() {
        List<StorageNode> all = nodes.list();
        List<NodePass> passes = new ArrayList<>();
        try (ExecutorService perNode = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<NodePass>> running = new ArrayList<>();
            for (StorageNode n : all) {
                running.add(perNode.submit(() -> reap(n)));
            }
            for (int i = 0; i < running.size(); i++) {
                try {
                    passes.add(running.get(i).get());
                } catch (ExecutionException e) {
                    // One node's failure (the database, say) must not hide the others' results.
                    LOG.warning("reaping node " + all.get(i).nodeId() + " failed, retried next round: " + e.getCause());
                    passes.add(new NodePass(all.get(i).nodeId(), 0, true));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return passes;
    }

    private NodePass reap(StorageNode node) {
        boolean writeOff = node.status() == NodeStatus.REMOVED;
        StorageNodeClient client = writeOff ? null : clients.client(node.address());
        int removed = 0;
        Optional<String> cursor = Optional.empty();
        while (true) {
            List<ChunkOnNode> page = chunks.locationsOnNode(db, node.nodeId(), LocationState.DELETING, pageSize, cursor);
            for (ChunkOnNode copy : page) {
                if (!writeOff) {
                    try {
                        client.delete(copy.chunkId());
                    } catch (NodeUnavailableException e) {
                        if (unreachable.add(node.nodeId())) {
                            LOG.warning("node " + node.nodeId() + " at " + node.address() + " (" + node.status().sql()
                                    + ") is unreachable; its deletions wait for it: " + e.getMessage());
                        }
                        return new NodePass(node.nodeId(), removed, true);
                    } catch (StorageClientException e) {
                        // Not the node's availability: this one copy failed; the rest go on.
                        LOG.warning("delete of chunk " + copy.chunkId() + " on node " + node.nodeId() + " failed, retried next round: "
                                + e.getMessage());
                        continue;
                    }
                    if (unreachable.remove(node.nodeId())) {
                        LOG.info("node " + node.nodeId() + " is reachable again; resuming its deletions");
                    }
                }
                if (forget(copy)) {
                    removed++;
                }
            }
            if (page.size() < pageSize) {
                break;
            }
            cursor = Optional.of(page.getLast().chunkId());
        }
        if (removed > 0) {
            int n = removed;
            LOG.info((writeOff ? "wrote off " : "deleted ") + n + " chunk copies " + (writeOff ? "of removed node " : "from node ")
                    + node.nodeId());
        }
        return new NodePass(node.nodeId(), removed, false);
    }

    /** Drops the location row and reports it; false when another worker already did. */
    private boolean forget(ChunkOnNode copy) {
        return db.inTransaction(c -> {
            // The file row first, as every cleanup transaction takes it, so none can deadlock another.
            files.lockForUpdate(c, copy.fileId());
            if (!chunks.removeLocation(c, copy.chunkId(), copy.nodeId())) {
                return false;
            }
            OutboxWriter.append(c, events.chunkDeleted(copy.fileId(),
                    ChunkDeleted.newBuilder().setChunkId(copy.chunkId()).setNodeId(copy.nodeId()).build()));
            return true;
        });
    }
}
