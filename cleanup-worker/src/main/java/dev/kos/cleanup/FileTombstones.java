package dev.kos.cleanup;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.schemas.events.v1.FileDeleted;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Turns deleting, failed and expired files whose every chunk copy is gone into tombstones
 * (status deleted) with a file_deleted event, in one transaction per file.
 *
 * <p>It works from the files table, not from events, so cleanup finishes even for a file whose
 * upload_aborted never reached the consumer (Kafka down, a producer that wrote none). For the
 * same reason it first marks any copy not yet deleting: one that appeared after the delete (a
 * rebalancing copy) would otherwise keep the file from ever finishing.
 */
final class FileTombstones {
    private static final Logger LOG = Logger.getLogger(FileTombstones.class.getName());

    private final Database db;
    private final Events events;
    private final int pageSize;
    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();
    private final CleanupQueries queries = new CleanupQueries();

    FileTombstones(Database db, Events events, int pageSize) {
        this.db = db;
        this.events = events;
        this.pageSize = pageSize;
    }

    /** One pass over the files on their way out; returns how many became tombstones. */
    int finishOnce() {
        int finished = 0;
        Optional<UUID> cursor = Optional.empty();
        while (true) {
            Optional<UUID> after = cursor;
            List<UUID> page = db.withConnection(c -> queries.filesBeingRemoved(c, after, pageSize));
            for (UUID fileId : page) {
                if (finish(fileId)) {
                    finished++;
                }
            }
            if (page.size() < pageSize) {
                return finished;
            }
            cursor = Optional.of(page.getLast());
        }
    }

    private boolean finish(UUID fileId) {
        return db.inTransaction(c -> {
            Optional<FileRecord> file = files.lockForUpdate(c, fileId);
            if (file.isEmpty() || !DeletionRequests.REMOVABLE.contains(file.get().status())) {
                return false;
            }
            FileStatus status = file.get().status();
            int late = chunks.markFileLocationsDeleting(c, fileId);
            if (late > 0) {
                LOG.info("file " + fileId + " (" + status.dbValue() + "): " + late + " chunk copies marked for deletion");
                return false;
            }
            if (queries.locationsLeft(c, fileId) > 0) {
                return false;
            }
            // failed and expired may only reach deleted through deleting (FileStatus.canMoveTo).
            if (status != FileStatus.DELETING && !files.transition(c, fileId, Set.of(status), FileStatus.DELETING)) {
                return false;
            }
            if (!files.markDeleted(c, fileId)) {
                throw new IllegalStateException("file " + fileId + " is locked and deleting, yet could not become deleted");
            }
            long count = queries.chunkCount(c, fileId);
            OutboxWriter.append(c, events.fileDeleted(fileId, FileDeleted.newBuilder().setChunksDeleted((int) count).build()));
            LOG.info("file " + fileId + " deleted (was " + status.dbValue() + "): " + count + " chunks gone from every node");
            return true;
        });
    }
}
