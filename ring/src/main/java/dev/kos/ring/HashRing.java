package dev.kos.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable consistent-hash ring: every node owns {@code virtualNodes} points on a 64-bit
 * circle (point i of node n is {@code hash(n + "#" + i)}) and a key belongs to the first point
 * at or after the key's hash, wrapping around.
 *
 * <p>A snapshot carries the membership epoch it was built from, so services can tell which of
 * two rings is newer and log which ring placed a chunk. Lookups are a binary search over a
 * sorted {@code long[]}; snapshots are safe to share between threads.
 */
public final class HashRing {
    /** Virtual nodes per node unless a node says otherwise: keeps the busiest node near 1.1x the mean. */
    public static final int DEFAULT_VIRTUAL_NODES = 150;

    private static final HashRing EMPTY = new HashRing(-1, new long[0], new RingNode[0], Set.of());

    private final long epoch;
    private final long[] points;      // sorted ascending (signed order: any total order works)
    private final RingNode[] owners;  // owners[i] owns points[i]
    private final Set<RingNode> members;

    private HashRing(long epoch, long[] points, RingNode[] owners, Set<RingNode> members) {
        this.epoch = epoch;
        this.points = points;
        this.owners = owners;
        this.members = members;
    }

    /** A ring with no node: every lookup answers nothing. Epoch -1, older than any real one. */
    public static HashRing empty() {
        return EMPTY;
    }

    /**
     * Builds the ring of {@code nodes} at {@code epoch}.
     *
     * @throws IllegalArgumentException when two nodes share an id
     */
    public static HashRing of(long epoch, Collection<RingNode> nodes) {
        Objects.requireNonNull(nodes, "nodes");
        Map<String, RingNode> byId = new HashMap<>();
        long total = 0;
        for (RingNode n : nodes) {
            Objects.requireNonNull(n, "ring node");
            if (byId.putIfAbsent(n.nodeId(), n) != null) {
                throw new IllegalArgumentException("node id " + n.nodeId() + " appears twice in the ring");
            }
            total += n.virtualNodes();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many virtual nodes in total: " + total);
        }
        VirtualNode[] vnodes = new VirtualNode[(int) total];
        int k = 0;
        for (RingNode n : byId.values()) {
            for (int i = 0; i < n.virtualNodes(); i++) {
                vnodes[k++] = new VirtualNode(KeyHash.hash(n.nodeId() + "#" + i), n);
            }
        }
        // Ties between two nodes' points (astronomically rare with 64 bits) break by node id, so
        // every process still builds the same ring whatever order the members came in.
        Arrays.sort(vnodes, (a, b) -> a.point != b.point
                ? Long.compare(a.point, b.point)
                : a.node.nodeId().compareTo(b.node.nodeId()));
        long[] points = new long[vnodes.length];
        RingNode[] owners = new RingNode[vnodes.length];
        for (int i = 0; i < vnodes.length; i++) {
            points[i] = vnodes[i].point;
            owners[i] = vnodes[i].node;
        }
        return new HashRing(epoch, points, owners, Set.copyOf(byId.values()));
    }

    private record VirtualNode(long point, RingNode node) {
    }

    /** The node that owns {@code key}; empty when the ring has no node. */
    public Optional<RingNode> owner(String key) {
        if (points.length == 0) {
            return Optional.empty();
        }
        return Optional.of(owners[firstPointAtOrAfter(KeyHash.hash(Objects.requireNonNull(key, "key")))]);
    }

    /**
     * The owner of {@code key} first, then the next distinct nodes clockwise: the order to retry
     * a write in, and where replicas will go. At most {@code n} nodes, fewer when the ring has
     * fewer members.
     */
    public List<RingNode> preferenceList(String key, int n) {
        Objects.requireNonNull(key, "key");
        if (n < 0) {
            throw new IllegalArgumentException("preference list length must not be negative, was " + n);
        }
        int wanted = Math.min(n, members.size());
        if (wanted == 0) {
            return List.of();
        }
        LinkedHashSet<RingNode> picked = new LinkedHashSet<>();
        int start = firstPointAtOrAfter(KeyHash.hash(key));
        for (int step = 0; step < points.length && picked.size() < wanted; step++) {
            picked.add(owners[(start + step) % points.length]);
        }
        return Collections.unmodifiableList(new ArrayList<>(picked));
    }

    private int firstPointAtOrAfter(long hash) {
        int i = Arrays.binarySearch(points, hash);
        if (i < 0) {
            i = -i - 1;
        } else {
            // binarySearch may land on any of equal points; the first one is the canonical owner.
            while (i > 0 && points[i - 1] == hash) {
                i--;
            }
        }
        return i == points.length ? 0 : i;
    }

    public Set<RingNode> members() {
        return members;
    }

    public long epoch() {
        return epoch;
    }

    public boolean isEmpty() {
        return members.isEmpty();
    }

    /** True when both rings place every key the same way (same members), whatever their epochs. */
    public boolean sameMembers(HashRing other) {
        return members.equals(other.members);
    }

    @Override
    public String toString() {
        return "HashRing[epoch=" + epoch + ", nodes=" + members.size() + ", points=" + points.length + "]";
    }
}
