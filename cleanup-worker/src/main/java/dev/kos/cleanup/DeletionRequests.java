package dev.kos.cleanup;

import dev.kos.events.EventConsumerLoop;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * The consumer's effect: on delete_requested and upload_aborted, every copy of the file's
 * chunks is marked deleting; {@link ChunkReaper} removes them from the nodes.
 *
 * <p>Idempotent on its own, not only through processed_events: a replay (even through a new
 * consumer group) finds the copies already deleting, or gone, and the file a tombstone, and
 * changes nothing.
 */
final class DeletionRequests implements EventConsumerLoop.Handler {
    private static final Logger LOG = Logger.getLogger(DeletionRequests.class.getName());
    /** Statuses whose chunks must go. Anything else means the event is stale or foreign: leave the file alone. */
    static final Set<FileStatus> REMOVABLE = EnumSet.of(FileStatus.DELETING, FileStatus.FAILED, FileStatus.EXPIRED);

    /** The only events with an effect; the loop passes the rest over without a transaction. */
    static final Set<EventEnvelope.PayloadCase> ACTS_ON =
            EnumSet.of(EventEnvelope.PayloadCase.DELETE_REQUESTED, EventEnvelope.PayloadCase.UPLOAD_ABORTED);

    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();

    @Override
    public boolean actsOn(EventEnvelope.PayloadCase type) {
        return ACTS_ON.contains(type);
    }

    @Override
    public void handle(Connection c, EventEnvelope event) throws SQLException {
        if (!actsOn(event.getPayloadCase())) {
            return;
        }
        UUID fileId;
        try {
            fileId = UUID.fromString(event.getFileId());
        } catch (IllegalArgumentException e) {
            // Retrying cannot fix a malformed id, and blocking the partition on it would stop all cleanup.
            LOG.warning("skipping " + event.getPayloadCase() + " event " + event.getEventId() + " with bad file_id '" + event.getFileId() + "'");
            return;
        }
        // The file lock first, as the reaper takes it: file, then its chunk copies.
        Optional<FileRecord> file = files.lockForUpdate(c, fileId);
        if (file.isEmpty()) {
            LOG.fine(() -> "no file " + fileId + " for event " + event.getEventId() + "; nothing to delete");
            return;
        }
        FileStatus status = file.get().status();
        if (!REMOVABLE.contains(status)) {
            if (status != FileStatus.DELETED) {
                LOG.warning(event.getPayloadCase() + " for file " + fileId + " which is " + status.dbValue() + "; left alone");
            }
            return;
        }
        int marked = chunks.markFileLocationsDeleting(c, fileId);
        if (marked > 0) {
            LOG.info("file " + fileId + " (" + status.dbValue() + "): " + marked + " chunk copies marked for deletion");
        }
    }
}
