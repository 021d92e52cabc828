package dev.kos.membership;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps one storage node registered and alive in storage_nodes: registers on start, then
 * heartbeats every interval with the figures the node reports.
 *
 * <p>A database outage must never take a healthy storage node down with it: every failure is
 * logged (once when it starts, once when it ends) and the next tick simply tries again. A node
 * whose row vanished registers again; one marked inactive while it was cut off rejoins.
 */
public final class NodeHeartbeater implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeHeartbeater.class.getName());

    private final NodeRepository repository;
    private final NodeIdentity identity;
    private final Supplier<NodeReport> reports;
    private final Duration interval;
    private final ScheduledExecutorService timer;
    private final AtomicLong heartbeats = new AtomicLong();
    private final AtomicLong consecutiveFailures = new AtomicLong();
    private volatile boolean registered;

    public NodeHeartbeater(NodeRepository repository, NodeIdentity identity, Supplier<NodeReport> reports, Duration interval) {
        this.repository = Objects.requireNonNull(repository, "repository");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.reports = Objects.requireNonNull(reports, "reports");
        if (interval == null || interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("heartbeat interval must be positive, was " + interval);
        }
        this.interval = interval;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kos-heartbeat-" + identity.nodeId());
            t.setDaemon(true);
            return t;
        });
    }

    public NodeHeartbeater(NodeRepository repository, NodeIdentity identity, Supplier<NodeReport> reports, MembershipConfig config) {
        this(repository, identity, reports, config.heartbeatInterval());
    }

    /**
     * Registers now (so a node that starts with the database up is in the ring before it serves),
     * then heartbeats on schedule. Never throws for a database failure: the ticks retry.
     */
    public NodeHeartbeater start() {
        tick();
        timer.scheduleWithFixedDelay(this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** True once the node's row exists (it registered at least once). */
    public boolean registered() {
        return registered;
    }

    /** Successful heartbeats and registrations so far. */
    public long heartbeats() {
        return heartbeats.get();
    }

    /** Failed ticks since the last success: nonzero while the database is unreachable. */
    public long consecutiveFailures() {
        return consecutiveFailures.get();
    }

    private void tick() {
        try {
            NodeReport report = reports.get();
            if (!registered) {
                register(report);
            } else {
                beat(report);
            }
            heartbeats.incrementAndGet();
            long failed = consecutiveFailures.getAndSet(0);
            if (failed > 0) {
                LOG.info(() -> "heartbeat of node " + identity.nodeId() + " recovered after " + failed + " failed attempt(s)");
            }
        } catch (RuntimeException e) {
            // Catch everything: an exception escaping a scheduled task silently cancels all later runs.
            if (consecutiveFailures.incrementAndGet() == 1) {
                LOG.log(Level.WARNING, "heartbeat of node " + identity.nodeId() + " failed, retrying every " + interval
                        + ": " + e.getMessage());
            }
        }
    }

    private void register(NodeReport report) {
        Registration r = repository.register(identity, report);
        registered = true;
        LOG.info(() -> "node " + identity.nodeId() + " registered at " + identity.address() + " as " + r.node().status().sql()
                + r.change().map(ch -> ", ring epoch " + ch.epoch()).orElse(", ring unchanged"));
    }

    private void beat(NodeReport report) {
        var status = repository.heartbeat(identity.nodeId(), report);
        if (status.isEmpty()) {
            LOG.warning(() -> "node " + identity.nodeId() + " is no longer registered; registering again");
            register(report);
        } else if (status.get() == NodeStatus.INACTIVE) {
            repository.rejoin(identity.nodeId()).ifPresent(ch -> LOG.info(() -> "node " + identity.nodeId()
                    + " was marked inactive and rejoined the ring, epoch " + ch.epoch()));
        }
    }

    /** Stops heartbeating. The node's row stays: it leaves the ring when the timeout passes. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warning("heartbeat thread of node " + identity.nodeId() + " did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
