package dev.kos.placement.rebalance;

import dev.kos.events.Events;
import dev.kos.membership.NodeRegistry;
import dev.kos.membership.NodeRepository;
import dev.kos.membership.StorageNode;
import dev.kos.metadata.Database;
import dev.kos.ring.HashRing;
import dev.kos.ring.RingListener;
import dev.kos.storageclient.StorageNodeClients;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Moves chunk copies to their ring owners, in the placement service.
 *
 * <p>A pass runs when the ring changes (a {@link NodeRegistry} listener), every
 * {@code rebalance.interval}, and on request. Passes run one at a time on one thread (and one
 * at a time across instances: {@link RebalanceLock}); requests while one is queued join it. A
 * pass reads everything it needs from the database, so a missed trigger, a crash or a restart
 * costs nothing but the wait for the next pass. What it moves and when:
 * <ul>
 *   <li>only chunks of {@code completed} files. An upload still streaming places its own chunks
 *       (and retries them on the next ring node), and the finalizer counts them: its chunks are
 *       moved by the first pass after it completes. Files failed, expired, deleting or deleted
 *       belong to the cleanup worker: moving them would waste bandwidth and race its reaper.</li>
 *   <li>copies on active nodes that are not the owner (a node joined), on draining and removed
 *       nodes (read from them while they still answer), and on inactive nodes silent for longer
 *       than {@code rebalance.failed-grace}; those cannot be read, so without another copy they
 *       are reported as having no source and left in place (no replication yet).</li>
 *   <li>the old copy is marked {@code deleting} once the new one is stored and verified; the
 *       cleanup worker's reaper deletes it from the node, the one way copies are deleted.</li>
 * </ul>
 * Moves are throttled by one token bucket ({@code rebalance.max-bytes-per-second}) and run
 * {@code rebalance.parallelism} at a time, each through one bounded chunk buffer.
 */
public final class Rebalancer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Rebalancer.class.getName());
    /** The envelope producer of chunk_moved events (the placement service's name). */
    static final String PRODUCER = "placement-service";

    private final RebalanceConfig config;
    private final Database db;
    private final NodeRegistry registry;
    private final NodeRepository nodes;
    private final Clock clock;
    private final ChunkMover mover;
    private final RebalanceProgress progress = new RebalanceProgress();
    private final ScheduledExecutorService passThread;
    private final ExecutorService moves = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("kos-rebalance-move-", 0).factory());
    private final AtomicReference<CompletableFuture<Optional<PassReport>>> queued = new AtomicReference<>();
    private final RingListener onRingChange = (previous, current) -> requestPass();
    private volatile PassReport lastPass;

    private Rebalancer(RebalanceConfig config, Database db, NodeRegistry registry, NodeRepository nodes,
                       StorageNodeClients clients, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.db = Objects.requireNonNull(db, "db");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.nodes = Objects.requireNonNull(nodes, "nodes");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.mover = new ChunkMover(db, clients, new ChunkBuffers(config.parallelism(), config.maxChunkBytes()),
                TokenBucket.perSecond(config.maxBytesPerSecond()), new Events(PRODUCER, clock), config.putDeadline());
        this.passThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kos-rebalance");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts listening to ring changes and the periodic pass (the first one at once: a restart
     * resumes where the last process stopped). The registry and clients stay the caller's.
     */
    public static Rebalancer start(RebalanceConfig config, Database db, NodeRegistry registry, NodeRepository nodes,
                                   StorageNodeClients clients) {
        return start(config, db, registry, nodes, clients, Clock.systemUTC());
    }

    static Rebalancer start(RebalanceConfig config, Database db, NodeRegistry registry, NodeRepository nodes,
                            StorageNodeClients clients, Clock clock) {
        Rebalancer r = new Rebalancer(config, db, registry, nodes, clients, clock);
        registry.addListener(r.onRingChange);
        long every = config.interval().toMillis();
        r.passThread.scheduleWithFixedDelay(r::requestPass, 0, every, TimeUnit.MILLISECONDS);
        LOG.info("rebalancer started: every " + config.interval() + " and on ring changes, " + config.maxBytesPerSecond()
                + " bytes/s, " + config.parallelism() + " at a time, failed-node grace " + config.failedGrace());
        return r;
    }

    /**
     * Asks for a pass; joins the one already queued, if any. The future completes when that pass
     * ends, with its report, or empty when it did not run (no ring yet, another instance holds
     * the lock, the database failed, or the rebalancer closed).
     */
    public CompletableFuture<Optional<PassReport>> requestPass() {
        while (true) {
            CompletableFuture<Optional<PassReport>> pending = queued.get();
            if (pending != null) {
                return pending;
            }
            CompletableFuture<Optional<PassReport>> next = new CompletableFuture<>();
            if (queued.compareAndSet(null, next)) {
                try {
                    passThread.execute(() -> {
                        // Dequeued: a request from now on needs a pass after this one.
                        queued.compareAndSet(next, null);
                        next.complete(runPass());
                    });
                } catch (RejectedExecutionException e) {
                    queued.compareAndSet(next, null);
                    next.complete(Optional.empty());
                }
                return next;
            }
        }
    }

    /** Progress now: chunks and bytes left and done. */
    public RebalanceStatus status() {
        return progress.snapshot();
    }

    /** The report of the last finished pass. */
    public Optional<PassReport> lastPass() {
        return Optional.ofNullable(lastPass);
    }

    private Optional<PassReport> runPass() {
        if (Thread.currentThread().isInterrupted()) {
            return Optional.empty();
        }
        HashRing ring = registry.ring();
        if (ring.isEmpty()) {
            LOG.fine("rebalance pass skipped: the ring has no node yet");
            return Optional.empty();
        }
        try {
            Optional<RebalanceLock> lock = RebalanceLock.tryAcquire(db);
            if (lock.isEmpty()) {
                LOG.fine("rebalance pass skipped: another placement service instance is rebalancing");
                return Optional.empty();
            }
            try (RebalanceLock held = lock.get()) {
                Map<String, StorageNode> members = new LinkedHashMap<>();
                for (StorageNode n : nodes.list()) {
                    members.put(n.nodeId(), n);
                }
                PlacementPolicy policy = new PlacementPolicy(ring, members, config.failedGrace(), clock.instant());
                RebalancePass pass = new RebalancePass(db, mover, policy, progress, moves, config.parallelism(),
                        config.pageSize(), () -> !registry.ring().sameMembers(ring), clock);
                PassReport report = pass.run();
                progress.passEnded(report);
                lastPass = report;
                log(report);
                if (report.superseded()) {
                    requestPass();
                }
                return Optional.of(report);
            }
        } catch (InterruptedException e) {
            progress.passAborted();
            RebalanceStatus s = progress.snapshot();
            LOG.info("rebalance pass stopped (closing); moves under way resume on the next start: left " + s.chunksLeft()
                    + " chunks (" + s.bytesLeft() + " bytes), done " + s.chunksDone() + " chunks (" + s.bytesDone() + " bytes)");
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (RuntimeException e) {
            progress.passAborted();
            LOG.log(Level.WARNING, "rebalance pass failed, retried within " + config.interval() + ": " + e.getMessage(), e);
            return Optional.empty();
        }
    }

    private void log(PassReport r) {
        RebalanceStatus s = progress.snapshot();
        String line = String.format("rebalance pass (ring epoch %d): found %d misplaced (%d bytes), moved %d (%d bytes), "
                        + "retired %d, waiting for silent nodes %d, no readable source %d, owner busy %d, failed %d, "
                        + "abandoned interrupted moves %d%s in %d ms; left %d chunks (%d bytes), done %d chunks (%d bytes) since start",
                r.ringEpoch(), r.found(), r.bytesFound(), r.moved(), r.bytesMoved(), r.retired(), r.waiting(), r.noSource(),
                r.busy(), r.failed(), r.abandonedCopies(), r.superseded() ? ", stopped early by a ring change" : "",
                r.took().toMillis(), s.chunksLeft(), s.bytesLeft(), s.chunksDone(), s.bytesDone());
        // Quiet when there was nothing to do (every interval); loud when something could not be moved.
        boolean eventful = r.found() > 0 || r.waiting() > 0 || r.abandonedCopies() > 0 || r.superseded();
        LOG.log(r.stuck() > 0 ? Level.WARNING : eventful ? Level.INFO : Level.FINE, line);
    }

    @Override
    public void close() {
        registry.removeListener(onRingChange);
        passThread.shutdownNow();
        moves.shutdownNow();
        try {
            if (!passThread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warning("rebalance pass did not stop within 30 s");
            }
            if (!moves.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warning("rebalance moves did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        CompletableFuture<Optional<PassReport>> pending = queued.getAndSet(null);
        if (pending != null) {
            pending.complete(Optional.empty());
        }
    }
}
