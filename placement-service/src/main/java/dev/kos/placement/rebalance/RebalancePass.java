package dev.kos.placement.rebalance;

import dev.kos.metadata.Database;
import dev.kos.metadata.LocationState;
import dev.kos.metadata.ChunkRepository;
import dev.kos.membership.StorageNode;
import dev.kos.placement.rebalance.PlacementPolicy.Verdict;
import dev.kos.ring.RingNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One walk over every node's stored copies, moving those not on their ring owner. The work list
 * is the database itself (no state of its own), which is what makes rebalancing resumable: a
 * pass after a crash or a restart finds exactly what is still misplaced.
 *
 * <p>Three steps: abandon interrupted moves whose target is no longer the owner; count the
 * misplaced copies (a scan without I/O, so progress can say what is left); walk again and move
 * them, {@code parallelism} at a time. The second walk is skipped when there is nothing to do.
 */
final class RebalancePass {
    private static final Logger LOG = Logger.getLogger(RebalancePass.class.getName());

    private final Database db;
    private final ChunkMover mover;
    private final PlacementPolicy policy;
    private final RebalanceProgress progress;
    private final ExecutorService executor;
    private final int parallelism;
    private final int pageSize;
    private final BooleanSupplier superseded;
    private final Clock clock;
    private final RebalanceQueries queries = new RebalanceQueries();
    private final ChunkRepository chunks = new ChunkRepository();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    private final AtomicLong moved = new AtomicLong();
    private final AtomicLong retired = new AtomicLong();
    private final AtomicLong bytesMoved = new AtomicLong();
    private final AtomicLong noSource = new AtomicLong();
    private final AtomicLong busy = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    RebalancePass(Database db, ChunkMover mover, PlacementPolicy policy, RebalanceProgress progress, ExecutorService executor,
                  int parallelism, int pageSize, BooleanSupplier superseded, Clock clock) {
        this.db = db;
        this.mover = mover;
        this.policy = policy;
        this.progress = progress;
        this.executor = executor;
        this.parallelism = parallelism;
        this.pageSize = pageSize;
        this.superseded = superseded;
        this.clock = clock;
    }

    PassReport run() throws InterruptedException {
        Instant started = clock.instant();
        long epoch = policy.ring().epoch();
        progress.passStarted(epoch);
        long abandoned = abandonStaleCopies();
        Count count = count();
        progress.counted(count.chunks, count.bytes, count.waiting);
        boolean stopped = false;
        if (count.chunks > 0) {
            stopped = moveAll();
        }
        return new PassReport(epoch, count.chunks, count.bytes, moved.get(), retired.get(), bytesMoved.get(), count.waiting,
                noSource.get(), busy.get(), failed.get(), abandoned, stopped, Duration.between(started, clock.instant()));
    }

    /**
     * A copying row is a move that was interrupted (this process or another died, or the pass
     * was stopped). Where the node is still the owner, the walk resumes it; where the ring moved
     * on, its bytes may sit on the node, so the row goes to the reaper rather than away.
     */
    private long abandonStaleCopies() {
        long abandoned = 0;
        for (StorageNode node : policy.nodes().values()) {
            Optional<String> cursor = Optional.empty();
            while (true) {
                Optional<String> after = cursor;
                List<String> page = db.withConnection(c -> queries.copyingOnNode(c, node.nodeId(), after, pageSize));
                for (String chunkId : page) {
                    boolean owner = policy.owner(chunkId).map(o -> o.nodeId().equals(node.nodeId())).orElse(true);
                    if (!owner && db.withConnection(c -> chunks.setLocationState(c, chunkId, node.nodeId(), LocationState.COPYING, LocationState.DELETING))) {
                        abandoned++;
                        LOG.info("abandoned interrupted move of chunk " + chunkId + " to " + node.nodeId()
                                + " (no longer its owner); the copy goes to the reaper");
                    }
                }
                if (page.size() < pageSize) {
                    break;
                }
                cursor = Optional.of(page.getLast());
            }
        }
        return abandoned;
    }

    private record Count(long chunks, long bytes, long waiting) {
    }

    private Count count() {
        long chunks = 0;
        long bytes = 0;
        long waiting = 0;
        for (StorageNode node : policy.nodes().values()) {
            Optional<String> cursor = Optional.empty();
            do {
                Page page = page(node.nodeId(), cursor);
                for (StoredCopy copy : page.misplaced()) {
                    Verdict v = policy.verdict(copy.chunkId(), copy.nodeId());
                    if (v == Verdict.MOVE) {
                        chunks++;
                        bytes += copy.size();
                    } else if (v == Verdict.WAIT) {
                        waiting++;
                    }
                }
                cursor = page.next();
            } while (cursor.isPresent());
        }
        return new Count(chunks, bytes, waiting);
    }

    /** Walks again and moves; true when the ring changed and the pass stopped early. */
    private boolean moveAll() throws InterruptedException {
        Semaphore slots = new Semaphore(parallelism);
        boolean stopped = false;
        try {
            walk:
            for (StorageNode node : policy.nodes().values()) {
                Optional<String> cursor = Optional.empty();
                do {
                    Page page = page(node.nodeId(), cursor);
                    for (StoredCopy copy : page.misplaced()) {
                        if (superseded.getAsBoolean()) {
                            stopped = true;
                            break walk;
                        }
                        if (policy.verdict(copy.chunkId(), copy.nodeId()) != Verdict.MOVE) {
                            continue;
                        }
                        RingNode target = policy.owner(copy.chunkId()).orElseThrow();
                        if (unreachable.contains(target.nodeId()) || unreachable.contains(copy.nodeId())) {
                            failed.incrementAndGet();
                            continue;
                        }
                        // Two misplaced copies of one chunk: the first move retires the other.
                        if (!inFlight.add(copy.chunkId())) {
                            continue;
                        }
                        slots.acquire();
                        submit(copy, target, slots);
                    }
                    cursor = page.next();
                } while (cursor.isPresent());
            }
        } finally {
            // Every started move ends before the pass does, so the next pass never sees one half-way.
            slots.acquireUninterruptibly(parallelism);
        }
        return stopped;
    }

    private void submit(StoredCopy copy, RingNode target, Semaphore slots) {
        try {
            executor.execute(() -> {
                try {
                    record(copy, target, mover.move(copy, target, policy));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                    LOG.log(Level.WARNING, "move of chunk " + copy.chunkId() + " from " + copy.nodeId() + " to " + target.nodeId()
                            + " failed, retried next pass: " + e.getMessage(), e);
                } finally {
                    inFlight.remove(copy.chunkId());
                    slots.release();
                }
            });
        } catch (RuntimeException e) {
            inFlight.remove(copy.chunkId());
            slots.release();
            throw e;
        }
    }

    private void record(StoredCopy copy, RingNode target, MoveResult r) {
        progress.finished(copy.size(), r);
        String what = "chunk " + copy.chunkId() + " (" + copy.size() + " bytes, file " + copy.fileId() + ") " + copy.nodeId()
                + " -> " + target.nodeId();
        switch (r.outcome()) {
            case MOVED -> {
                moved.incrementAndGet();
                bytesMoved.addAndGet(r.bytesCopied());
                LOG.fine(() -> "moved " + what);
            }
            case RETIRED -> {
                retired.incrementAndGet();
                LOG.fine(() -> "retired " + what + ": " + r.detail());
            }
            case GONE -> LOG.fine(() -> "skipped " + what + ": " + r.detail());
            case TARGET_BUSY -> {
                busy.incrementAndGet();
                LOG.fine(() -> "deferred " + what + ": " + r.detail());
            }
            case NO_SOURCE -> {
                noSource.incrementAndGet();
                LOG.fine(() -> "cannot move " + what + ": " + r.detail());
            }
            case FAILED -> {
                failed.incrementAndGet();
                if (r.unreachableNode().isPresent()) {
                    if (unreachable.add(r.unreachableNode().get())) {
                        LOG.warning("node " + r.unreachableNode().get() + " is unreachable; its moves wait for the next pass: "
                                + r.detail());
                    }
                } else {
                    LOG.warning("move of " + what + " failed, retried next pass: " + r.detail());
                }
            }
        }
    }

    /** One page of a node's walk: its copies of completed files not on their owner, and where the next page starts. */
    private record Page(List<StoredCopy> misplaced, Optional<String> next) {
    }

    /**
     * Reads the next {@code pageSize} chunk ids the node stores and fetches the chunk and file of
     * only those the ring places elsewhere. On a settled ring that is none, so a pass over a large
     * store reads one narrow index and nothing else (every minute, by default).
     */
    private Page page(String nodeId, Optional<String> after) {
        return db.withConnection(c -> {
            List<String> ids = queries.storedOnNode(c, nodeId, after, pageSize);
            List<String> elsewhere = ids.stream().filter(id -> policy.verdict(id, nodeId) != Verdict.IN_PLACE).toList();
            Optional<String> next = ids.size() < pageSize ? Optional.empty() : Optional.of(ids.getLast());
            return new Page(queries.storedCopies(c, nodeId, elsewhere), next);
        });
    }
}
