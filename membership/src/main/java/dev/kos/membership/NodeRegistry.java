package dev.kos.membership;

import dev.kos.ring.HashRing;
import dev.kos.ring.LiveRing;
import dev.kos.ring.RingListener;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every service's view of the ring, kept in step with storage_nodes by polling.
 *
 * <p>Each poll reads the ring epoch and whether an active node has gone silent (one cheap
 * query). When the epoch moved or a sweep is due, it marks silent nodes inactive, reads the
 * active members and installs the new {@link HashRing}, in one transaction so the members and
 * the epoch always belong together. Every service runs one, and the sweep is idempotent, so
 * all services agree within about one poll interval; whichever sees a silent node first
 * removes it for everyone.
 */
public final class NodeRegistry implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeRegistry.class.getName());

    private final NodeRepository repository;
    private final Duration pollInterval;
    private final Duration inactiveAfter;
    private final LiveRing ring = new LiveRing();
    private final ScheduledExecutorService timer;
    private final AtomicLong consecutiveFailures = new AtomicLong();

    public NodeRegistry(NodeRepository repository, Duration pollInterval, Duration inactiveAfter) {
        this.repository = Objects.requireNonNull(repository, "repository");
        this.pollInterval = requirePositive("poll interval", pollInterval);
        this.inactiveAfter = requirePositive("inactive-after timeout", inactiveAfter);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kos-ring-poll");
            t.setDaemon(true);
            return t;
        });
    }

    public NodeRegistry(NodeRepository repository, MembershipConfig config) {
        this(repository, config.pollInterval(), config.inactiveAfter());
    }

    /** Loads the ring now (a failure is logged and the ring stays empty until a poll succeeds), then polls. */
    public NodeRegistry start() {
        poll();
        timer.scheduleWithFixedDelay(this::poll, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The current ring snapshot: take it once per decision and use it throughout. */
    public HashRing ring() {
        return ring.current();
    }

    public LiveRing liveRing() {
        return ring;
    }

    public void addListener(RingListener listener) {
        ring.addListener(listener);
    }

    public void removeListener(RingListener listener) {
        ring.removeListener(listener);
    }

    /**
     * Checks the database now and installs a newer ring if there is one: for a caller that just
     * made a membership change and wants its own view to follow at once.
     */
    public synchronized void refresh() {
        EpochCheck check = repository.checkEpoch(inactiveAfter);
        if (check.epoch() == ring.current().epoch() && !check.silentActiveNodes()) {
            return;
        }
        List<MembershipChange> swept = List.of();
        RingMembership members;
        if (check.silentActiveNodes()) {
            var result = repository.database().inTransaction(c -> new Swept(
                    repository.markInactiveSilentSince(c, inactiveAfter), repository.ringMembers(c)));
            swept = result.changes();
            members = result.members();
        } else {
            members = repository.database().withConnection(repository::ringMembers);
        }
        for (MembershipChange ch : swept) {
            LOG.info(() -> ch + " (silent for more than " + inactiveAfter + ")");
        }
        HashRing next = members.toRing();
        HashRing previous = ring.current();
        if (ring.offer(next)) {
            LOG.info(() -> "ring epoch " + previous.epoch() + " -> " + next.epoch() + ": " + next.members().size()
                    + " active node(s) " + next.members().stream().map(n -> n.nodeId()).sorted().toList());
        }
    }

    private record Swept(List<MembershipChange> changes, RingMembership members) {
    }

    private void poll() {
        try {
            refresh();
            long failed = consecutiveFailures.getAndSet(0);
            if (failed > 0) {
                LOG.info(() -> "ring poll recovered after " + failed + " failed attempt(s); epoch " + ring.current().epoch());
            }
        } catch (RuntimeException e) {
            // Keep routing with the last ring we had: a stale ring costs retries, no ring costs everything.
            if (consecutiveFailures.incrementAndGet() == 1) {
                LOG.log(Level.WARNING, "ring poll failed, keeping epoch " + ring.current().epoch() + " and retrying every "
                        + pollInterval + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warning("ring poll thread did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Duration requirePositive(String what, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d);
        }
        return d;
    }
}
