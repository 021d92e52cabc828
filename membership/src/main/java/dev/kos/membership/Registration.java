package dev.kos.membership;

import java.util.Optional;

/** The outcome of a register: the node as stored, and the ring change it made, if any. */
public record Registration(StorageNode node, Optional<MembershipChange> change) {
}
