package dev.kos.membership;

import dev.kos.metadata.Database;
import dev.kos.ring.RingNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * SQL on storage_nodes and ring_state.
 *
 * <p>Every status change bumps ring_state.epoch and writes its events (node joined or left,
 * ring changed: see {@link MembershipEvents}) to the outbox, in the same transaction. The methods that take a
 * {@link Connection} must run inside a transaction (auto-commit off; {@link Database#inTransaction})
 * so a caller can add its own writes (an outbox event) to the change; the others open one.
 *
 * <p>Locking: a status-changing transaction locks the ring_state row first, then node rows.
 * That one order serializes membership changes (they are rare) and rules out deadlocks with
 * heartbeats, which touch a single node row and never ring_state. All times are the database's
 * ({@code now()}), so JVM clock skew between services never marks a live node dead.
 */
public final class NodeRepository {
    private static final String NODE_COLUMNS = "node_id, address, status, capacity_bytes, free_bytes, chunk_count, "
            + "virtual_nodes, registered_at, last_heartbeat, status_changed_at";
    private static final String SILENT = "last_heartbeat < now() - ? * interval '1 millisecond'";

    private final Database db;
    private final MembershipEvents announcer = new MembershipEvents();

    public NodeRepository(Database db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    public Database database() {
        return db;
    }

    // ---- registration and heartbeats -------------------------------------------------------

    public Registration register(NodeIdentity identity, NodeReport report) {
        return db.inTransaction(c -> register(c, identity, report));
    }

    /**
     * Creates or updates the node's row. A new node joins as active; an inactive one becomes
     * active again (it is alive: it is registering); a draining or removed one keeps that status,
     * because only an operator may undo it. The epoch moves when the ring changes: a node joins,
     * or an active node comes back with another address or virtual node count.
     */
    public Registration register(Connection c, NodeIdentity identity, NodeReport report) throws SQLException {
        requireTransaction(c);
        lockEpoch(c);
        Optional<StorageNode> before = lockNode(c, identity.nodeId());
        if (before.isEmpty()) {
            StorageNode node = single(c, "INSERT INTO storage_nodes (node_id, address, status, capacity_bytes, free_bytes, "
                    + "chunk_count, virtual_nodes) VALUES (?, ?, 'active', ?, ?, ?, ?) RETURNING " + NODE_COLUMNS,
                    identity.nodeId(), identity.address(), report.capacityBytes(), report.freeBytes(),
                    report.chunkCount(), identity.virtualNodes());
            long next = bumpEpoch(c);
            MembershipChange change = new MembershipChange(node.nodeId(), node.address(), null, NodeStatus.ACTIVE, next);
            announcer.announce(c, List.of(change), ringMembers(c), this);
            return new Registration(node, Optional.of(change));
        }
        StorageNode old = before.get();
        NodeStatus status = old.status() == NodeStatus.INACTIVE ? NodeStatus.ACTIVE : old.status();
        StorageNode node = single(c, "UPDATE storage_nodes SET address = ?, capacity_bytes = ?, free_bytes = ?, chunk_count = ?, "
                + "virtual_nodes = ?, last_heartbeat = now(), status = ?, "
                + "status_changed_at = CASE WHEN status = ? THEN status_changed_at ELSE now() END "
                + "WHERE node_id = ? RETURNING " + NODE_COLUMNS,
                identity.address(), report.capacityBytes(), report.freeBytes(), report.chunkCount(),
                identity.virtualNodes(), status.sql(), status.sql(), identity.nodeId());
        boolean ringChanged = status == NodeStatus.ACTIVE && (old.status() != NodeStatus.ACTIVE
                || !old.address().equals(node.address()) || old.virtualNodes() != node.virtualNodes());
        if (!ringChanged && old.status() == status) {
            return new Registration(node, Optional.empty());
        }
        long next = bumpEpoch(c);
        MembershipChange change = new MembershipChange(node.nodeId(), node.address(), old.status(), status, next);
        announcer.announce(c, List.of(change), ringMembers(c), this);
        return new Registration(node, Optional.of(change));
    }

    public Optional<NodeStatus> heartbeat(String nodeId, NodeReport report) {
        return db.withConnection(c -> heartbeat(c, nodeId, report));
    }

    /**
     * Records that the node is alive: last_heartbeat = now(), and its figures. Never changes the
     * status (so it needs no ring lock); returns the status, so a node that finds itself INACTIVE
     * can {@link #rejoin}, or empty when the node is unknown (it should register again).
     */
    public Optional<NodeStatus> heartbeat(Connection c, String nodeId, NodeReport report) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE storage_nodes SET last_heartbeat = now(), free_bytes = ?, "
                + "capacity_bytes = ?, chunk_count = ? WHERE node_id = ? RETURNING status")) {
            ps.setLong(1, report.freeBytes());
            ps.setLong(2, report.capacityBytes());
            ps.setLong(3, report.chunkCount());
            ps.setString(4, nodeId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(NodeStatus.fromSql(rs.getString(1))) : Optional.empty();
            }
        }
    }

    public Optional<MembershipChange> rejoin(String nodeId) {
        return db.inTransaction(c -> rejoin(c, nodeId));
    }

    /** An inactive node that heartbeats again goes back into the ring; any other status stays. */
    public Optional<MembershipChange> rejoin(Connection c, String nodeId) throws SQLException {
        requireTransaction(c);
        lockEpoch(c);
        StorageNode node = lockNode(c, nodeId).orElseThrow(() -> new UnknownNodeException(nodeId));
        if (node.status() != NodeStatus.INACTIVE) {
            return Optional.empty();
        }
        return Optional.of(setStatus(c, node, NodeStatus.ACTIVE));
    }

    // ---- the heartbeat timeout -------------------------------------------------------------

    public List<MembershipChange> markInactiveSilentSince(Duration timeout) {
        return db.inTransaction(c -> markInactiveSilentSince(c, timeout));
    }

    /** Marks inactive every active node whose last heartbeat is older than {@code timeout}; one epoch bump for all. */
    public List<MembershipChange> markInactiveSilentSince(Connection c, Duration timeout) throws SQLException {
        requireTransaction(c);
        requirePositive(timeout);
        lockEpoch(c);
        List<StorageNode> silent = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("UPDATE storage_nodes SET status = 'inactive', status_changed_at = now() "
                + "WHERE status = 'active' AND " + SILENT + " RETURNING " + NODE_COLUMNS)) {
            ps.setLong(1, timeout.toMillis());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    silent.add(node(rs));
                }
            }
        }
        if (silent.isEmpty()) {
            return List.of();
        }
        long epoch = bumpEpoch(c);
        List<MembershipChange> changes = silent.stream()
                .map(n -> new MembershipChange(n.nodeId(), n.address(), NodeStatus.ACTIVE, NodeStatus.INACTIVE, epoch))
                .toList();
        announcer.announce(c, changes, ringMembers(c), this);
        return changes;
    }

    // ---- operator actions ------------------------------------------------------------------

    public Optional<MembershipChange> drain(String nodeId) {
        return db.inTransaction(c -> drain(c, nodeId));
    }

    /** Takes the node out of the ring for new writes; its chunks stay readable. Empty when already draining. */
    public Optional<MembershipChange> drain(Connection c, String nodeId) throws SQLException {
        return operatorTransition(c, nodeId, NodeStatus.DRAINING, EnumSet.of(NodeStatus.ACTIVE, NodeStatus.INACTIVE),
                "activate it first if it should drain instead");
    }

    public Optional<MembershipChange> remove(String nodeId) {
        return db.inTransaction(c -> remove(c, nodeId));
    }

    /** Takes the node out for good (until an operator activates it). Empty when already removed. */
    public Optional<MembershipChange> remove(Connection c, String nodeId) throws SQLException {
        return operatorTransition(c, nodeId, NodeStatus.REMOVED,
                EnumSet.of(NodeStatus.ACTIVE, NodeStatus.INACTIVE, NodeStatus.DRAINING), "");
    }

    public Optional<MembershipChange> activate(String nodeId) {
        return db.inTransaction(c -> activate(c, nodeId));
    }

    /**
     * Puts a drained, removed or inactive node back into the ring. If it is not heartbeating, the
     * next sweep marks it inactive again. Empty when already active.
     */
    public Optional<MembershipChange> activate(Connection c, String nodeId) throws SQLException {
        return operatorTransition(c, nodeId, NodeStatus.ACTIVE,
                EnumSet.of(NodeStatus.INACTIVE, NodeStatus.DRAINING, NodeStatus.REMOVED), "");
    }

    private Optional<MembershipChange> operatorTransition(Connection c, String nodeId, NodeStatus to, Set<NodeStatus> from,
            String hint) throws SQLException {
        requireTransaction(c);
        lockEpoch(c);
        StorageNode node = lockNode(c, nodeId).orElseThrow(() -> new UnknownNodeException(nodeId));
        if (node.status() == to) {
            return Optional.empty();
        }
        if (!from.contains(node.status())) {
            throw new IllegalNodeTransitionException(nodeId, node.status(), to, hint);
        }
        return Optional.of(setStatus(c, node, to));
    }

    // ---- reads -----------------------------------------------------------------------------

    public List<StorageNode> list() {
        return db.withConnection(this::list);
    }

    public List<StorageNode> list(Connection c) throws SQLException {
        List<StorageNode> nodes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + NODE_COLUMNS + " FROM storage_nodes ORDER BY node_id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                nodes.add(node(rs));
            }
        }
        return nodes;
    }

    public Optional<StorageNode> find(String nodeId) {
        return db.withConnection(c -> find(c, nodeId));
    }

    public Optional<StorageNode> find(Connection c, String nodeId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + NODE_COLUMNS + " FROM storage_nodes WHERE node_id = ?")) {
            ps.setString(1, nodeId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(node(rs)) : Optional.empty();
            }
        }
    }

    /**
     * Sweeps nodes silent longer than {@code timeout}, then reads the active members and the
     * epoch, in one transaction: the ring every service should route with.
     */
    public RingMembership activeRingMembers(Duration timeout) {
        return db.inTransaction(c -> {
            markInactiveSilentSince(c, timeout);
            return ringMembers(c);
        });
    }

    /** The active nodes and the epoch, read by one statement so they always belong together. */
    public RingMembership ringMembers(Connection c) throws SQLException {
        long epoch = -1;
        List<RingNode> members = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT r.epoch, n.node_id, n.address, n.virtual_nodes "
                + "FROM ring_state r LEFT JOIN storage_nodes n ON n.status = 'active' WHERE r.id = 1 ORDER BY n.node_id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                epoch = rs.getLong(1);
                String id = rs.getString(2);
                if (id != null) {
                    members.add(new RingNode(id, rs.getString(3), rs.getInt(4)));
                }
            }
        }
        if (epoch < 0) {
            throw new IllegalStateException("ring_state has no row: is the metadata schema migrated?");
        }
        return new RingMembership(epoch, members);
    }

    public EpochCheck checkEpoch(Duration timeout) {
        return db.withConnection(c -> checkEpoch(c, timeout));
    }

    /** One cheap query per poll: has the ring changed, and is a sweep due? */
    public EpochCheck checkEpoch(Connection c, Duration timeout) throws SQLException {
        requirePositive(timeout);
        try (PreparedStatement ps = c.prepareStatement("SELECT epoch, EXISTS (SELECT 1 FROM storage_nodes WHERE status = 'active' AND "
                + SILENT + ") FROM ring_state WHERE id = 1")) {
            ps.setLong(1, timeout.toMillis());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("ring_state has no row: is the metadata schema migrated?");
                }
                return new EpochCheck(rs.getLong(1), rs.getBoolean(2));
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private MembershipChange setStatus(Connection c, StorageNode node, NodeStatus to) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE storage_nodes SET status = ?, status_changed_at = now() WHERE node_id = ?")) {
            ps.setString(1, to.sql());
            ps.setString(2, node.nodeId());
            ps.executeUpdate();
        }
        MembershipChange change = new MembershipChange(node.nodeId(), node.address(), node.status(), to, bumpEpoch(c));
        announcer.announce(c, List.of(change), ringMembers(c), this);
        return change;
    }

    private static long lockEpoch(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM ring_state WHERE id = 1 FOR UPDATE");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new IllegalStateException("ring_state has no row: is the metadata schema migrated?");
            }
            return rs.getLong(1);
        }
    }

    private static long bumpEpoch(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE ring_state SET epoch = epoch + 1, changed_at = now() WHERE id = 1 RETURNING epoch");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Optional<StorageNode> lockNode(Connection c, String nodeId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + NODE_COLUMNS + " FROM storage_nodes WHERE node_id = ? FOR UPDATE")) {
            ps.setString(1, nodeId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(node(rs)) : Optional.empty();
            }
        }
    }

    private static StorageNode single(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return node(rs);
            }
        }
    }

    private static StorageNode node(ResultSet rs) throws SQLException {
        return new StorageNode(
                rs.getString("node_id"),
                rs.getString("address"),
                NodeStatus.fromSql(rs.getString("status")),
                rs.getLong("capacity_bytes"),
                rs.getLong("free_bytes"),
                rs.getLong("chunk_count"),
                rs.getInt("virtual_nodes"),
                rs.getTimestamp("registered_at").toInstant(),
                rs.getTimestamp("last_heartbeat").toInstant(),
                rs.getTimestamp("status_changed_at").toInstant());
    }

    private static void requireTransaction(Connection c) throws SQLException {
        // On an auto-commit connection the ring_state lock would end with the first statement and
        // the status change and its epoch bump could interleave with another change.
        if (c.getAutoCommit()) {
            throw new IllegalStateException("membership changes must run inside a transaction (auto-commit is on)");
        }
    }

    private static void requirePositive(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("heartbeat timeout must be positive, was " + timeout);
        }
    }
}
