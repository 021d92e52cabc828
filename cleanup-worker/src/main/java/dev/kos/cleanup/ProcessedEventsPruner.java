package dev.kos.cleanup;

import dev.kos.events.ProcessedEvents;
import dev.kos.metadata.Database;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Keeps processed_events from growing with every event ever acted on: deletes the rows older
 * than cleanup.processed-events-retention, a batch per statement.
 *
 * <p>Safe at any age because no kos consumer relies on the rows alone: a replayed event whose
 * row is gone is a first delivery, as in a fresh consumer group, and its effect changes nothing
 * (docs/operations.md, "Why replays are safe").
 */
final class ProcessedEventsPruner {
    private static final Logger LOG = Logger.getLogger(ProcessedEventsPruner.class.getName());

    private final Database db;
    private final Duration retention;
    private final int batchSize;

    /** @param retention 0 keeps every row */
    ProcessedEventsPruner(Database db, Duration retention, int batchSize) {
        this.db = db;
        this.retention = retention;
        this.batchSize = batchSize;
    }

    /** Deletes every row older than the retention; returns how many. */
    int pruneOnce() {
        if (retention.isZero()) {
            return 0;
        }
        int pruned = 0;
        while (true) {
            int batch = db.withConnection(c -> ProcessedEvents.pruneOlderThan(c, retention, batchSize));
            pruned += batch;
            if (batch < batchSize) {
                if (pruned > 0) {
                    LOG.info("pruned " + pruned + " processed_events rows older than " + retention);
                }
                return pruned;
            }
        }
    }
}
