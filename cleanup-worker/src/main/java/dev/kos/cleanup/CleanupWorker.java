package dev.kos.cleanup;

import dev.kos.events.EventConsumerLoop;
import dev.kos.events.Events;
import dev.kos.events.Topics;
import dev.kos.membership.NodeRepository;
import dev.kos.metadata.Database;
import dev.kos.storageclient.StorageClientConfig;
import dev.kos.storageclient.StorageNodeClients;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The running cleanup worker: a consumer of {@value Topics#FILES} that marks the chunks of
 * deleted and aborted files for deletion, and loops on the database and the nodes: the reaper
 * (chunk copies, then file tombstones), the session expirer, the orphan collector, and the
 * pruning of the consumer's old de-duplication rows.
 *
 * <p>Every loop starts from the database each round and every step is idempotent, so several
 * workers may run at once, rounds may be cut short by a crash, and the consumer may replay
 * the topic from the beginning without changing anything. The {@code ...Once} methods run one
 * round synchronously (tests and operators' tools); they are safe alongside the loops.
 *
 * <p>It writes events through the outbox but does not publish them: run an
 * {@link dev.kos.events.OutboxRelay} in the same process ({@link Main} does).
 */
public final class CleanupWorker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CleanupWorker.class.getName());
    /** The producer name in the events this worker writes. */
    public static final String PRODUCER = "cleanup-worker";
    /** How often processed_events is pruned: its retention is days, and a round with nothing to do is one index probe. */
    static final Duration PRUNE_INTERVAL = Duration.ofHours(1);

    /** What one reap round did: copies removed (from nodes, or written off) and files made tombstones. */
    public record ReapRound(int copiesRemoved, int filesDeleted, List<String> nodesSkipped) {
        public ReapRound {
            nodesSkipped = List.copyOf(nodesSkipped);
        }
    }

    private final StorageNodeClients clients;
    private final EventConsumerLoop consumer;
    private final ChunkReaper reaper;
    private final FileTombstones tombstones;
    private final SessionExpirer expirer;
    private final OrphanCollector orphans;
    private final ProcessedEventsPruner pruner;
    private final Rounds rounds;
    // What the rounds did, whoever ran them (the loops, tests, tools): read by CleanupMetrics.
    private final LongAdder sessionsExpired = new LongAdder();
    private final LongAdder copiesDeleted = new LongAdder();
    private final LongAdder filesDeleted = new LongAdder();
    private final LongAdder orphansDeleted = new LongAdder();
    private final LongAdder processedPruned = new LongAdder();

    private CleanupWorker(StorageNodeClients clients, EventConsumerLoop consumer, ChunkReaper reaper, FileTombstones tombstones,
                          SessionExpirer expirer, OrphanCollector orphans, ProcessedEventsPruner pruner, Rounds rounds) {
        this.clients = clients;
        this.consumer = consumer;
        this.reaper = reaper;
        this.tombstones = tombstones;
        this.expirer = expirer;
        this.orphans = orphans;
        this.pruner = pruner;
        this.rounds = rounds;
    }

    /** Starts the worker with the default topic layout and the system clock. */
    public static CleanupWorker start(CleanupConfig config, Database db) {
        return start(config, db, Topics.defaults(), Clock.systemUTC());
    }

    /**
     * Creates the kos topics if missing (a broker's auto-creation would pick the wrong
     * partitions and retention), subscribes the consumer and schedules the loops, each first
     * after one interval.
     *
     * @param clock the orphan collector's notion of now (tests age chunks with it)
     */
    public static CleanupWorker start(CleanupConfig config, Database db, Topics topics, Clock clock) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
            topics.ensureTopics(admin);
        }
        StorageClientConfig d = StorageClientConfig.defaults();
        StorageNodeClients clients = new StorageNodeClients(new StorageClientConfig(d.frameSize(), d.readPrefetch(),
                d.readIdleTimeout(), config.nodeDeadline(), d.keepAliveTime(), d.maxInboundMessageSize()));
        NodeRepository nodes = new NodeRepository(db);
        Events events = new Events(PRODUCER);
        ChunkReaper reaper = new ChunkReaper(db, nodes, clients, events, config.batchSize());
        FileTombstones tombstones = new FileTombstones(db, events, config.batchSize());
        SessionExpirer expirer = new SessionExpirer(db, events, config.batchSize());
        OrphanCollector orphans = new OrphanCollector(db, nodes, clients, config.orphanGrace(), config.batchSize(), clock);
        EventConsumerLoop consumer = EventConsumerLoop.start(db, config.bootstrapServers(), config.consumerGroup(),
                List.of(Topics.FILES), new DeletionRequests());
        Rounds rounds = new Rounds(4);
        ProcessedEventsPruner pruner = new ProcessedEventsPruner(db, config.processedRetention(), config.batchSize());
        CleanupWorker worker = new CleanupWorker(clients, consumer, reaper, tombstones, expirer, orphans, pruner, rounds);
        rounds.every("reap", config.reapInterval(), worker::reapOnce);
        rounds.every("expire", config.expireInterval(), worker::expireOnce);
        rounds.every("orphan", config.orphanInterval(), worker::collectOrphansOnce);
        // A retention of 0 is the pruner's to honour (its round returns at once), not a second check here.
        rounds.every("prune", PRUNE_INTERVAL, worker::pruneProcessedOnce);
        LOG.info("cleanup worker started: group=" + config.consumerGroup() + " reap every " + config.reapInterval()
                + ", expire every " + config.expireInterval() + ", orphans every " + config.orphanInterval()
                + " (grace " + config.orphanGrace() + "), processed events kept "
                + (config.processedRetention().isZero() ? "forever" : config.processedRetention().toString()));
        return worker;
    }

    /**
     * Deletes every chunk copy marked deleting from its node (nodes that cannot be reached are
     * skipped until the next round), then makes tombstones of the deleting, failed and expired
     * files that have no copy left.
     */
    public ReapRound reapOnce() {
        List<ChunkReaper.NodePass> passes = reaper.reapOnce();
        int copies = passes.stream().mapToInt(ChunkReaper.NodePass::copiesRemoved).sum();
        copiesDeleted.add(copies);
        int files = tombstones.finishOnce();
        filesDeleted.add(files);
        return new ReapRound(copies, files,
                passes.stream().filter(ChunkReaper.NodePass::skipped).map(ChunkReaper.NodePass::nodeId).toList());
    }

    /** Expires every upload session past its expiry; returns how many files became expired. */
    public int expireOnce() {
        int expired = expirer.expireOnce();
        sessionsExpired.add(expired);
        return expired;
    }

    /** Walks every active node's inventory once; returns how many orphan chunks were deleted. */
    public int collectOrphansOnce() {
        int deleted = orphans.collectOnce();
        orphansDeleted.add(deleted);
        return deleted;
    }

    /** Deletes the processed_events rows older than cleanup.processed-events-retention (none when it is 0); returns how many. */
    public int pruneProcessedOnce() {
        int pruned = pruner.pruneOnce();
        processedPruned.add(pruned);
        return pruned;
    }

    /** Events whose effect the consumer ran (first deliveries to this consumer group). */
    public long eventsApplied() {
        return consumer.appliedCount();
    }

    /** Events of types cleanup has no effect for (an upload's own events), passed over without a transaction. */
    public long eventsPassedOver() {
        return consumer.passedOverCount();
    }

    /** Effects of events that failed and were retried. */
    long eventFailures() {
        return consumer.failureCount();
    }

    /** Upload sessions expired (their files became expired) since this worker started. */
    long sessionsExpired() {
        return sessionsExpired.sum();
    }

    /** Chunk copies deleted from their nodes, or written off with a removed node, since this worker started. */
    long copiesDeleted() {
        return copiesDeleted.sum();
    }

    /** Files made tombstones since this worker started. */
    long filesDeleted() {
        return filesDeleted.sum();
    }

    /** Orphan chunks deleted from nodes since this worker started. */
    long orphansDeleted() {
        return orphansDeleted.sum();
    }

    /** processed_events rows pruned since this worker started. */
    long processedPruned() {
        return processedPruned.sum();
    }

    /** Rounds run and failed by each loop. */
    List<Rounds.Counts> loopCounts() {
        return rounds.counts();
    }

    @Override
    public void close() {
        rounds.close();
        consumer.close();
        clients.close();
    }
}
