package dev.kos.gateway;

import dev.kos.membership.NodeRepository;
import dev.kos.membership.StorageNode;
import dev.kos.metadata.ChunkRecord;
import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where a node listens, for reads of chunks it holds. The current ring answers for active nodes
 * without a query; a node outside the ring (draining, or just marked inactive) is looked up, so
 * its copies stay readable while it is reachable.
 */
public final class NodeDirectory {
    private final Supplier<HashRing> ring;
    private final NodeRepository nodes;

    public NodeDirectory(Supplier<HashRing> ring, NodeRepository nodes) {
        this.ring = ring;
        this.nodes = nodes;
    }

    public Optional<String> addressOf(String nodeId) {
        for (RingNode n : ring.get().members()) {
            if (n.nodeId().equals(nodeId)) {
                return Optional.of(n.address());
            }
        }
        return nodes.find(nodeId).map(StorageNode::address);
    }

    /** The chunks' verified copies whose node can still be found; a chunk may end up with none. */
    public List<ReadableChunk> readable(List<ChunkRecord> chunks) {
        List<ReadableChunk> out = new ArrayList<>(chunks.size());
        for (ChunkRecord c : chunks) {
            List<ReadableChunk.Copy> copies = new ArrayList<>();
            for (String nodeId : c.readableNodes()) {
                addressOf(nodeId).ifPresent(a -> copies.add(new ReadableChunk.Copy(nodeId, a)));
            }
            out.add(new ReadableChunk(c, copies));
        }
        return out;
    }
}
