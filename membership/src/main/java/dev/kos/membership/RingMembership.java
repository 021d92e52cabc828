package dev.kos.membership;

import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import java.util.List;

/** The active nodes and the epoch they were read at, from one consistent snapshot. */
public record RingMembership(long epoch, List<RingNode> members) {
    public RingMembership {
        members = List.copyOf(members);
    }

    public HashRing toRing() {
        return HashRing.of(epoch, members);
    }
}
