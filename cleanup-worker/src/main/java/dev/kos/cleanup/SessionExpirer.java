package dev.kos.cleanup;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.UploadSession;
import dev.kos.metadata.UploadSessionRepository;
import dev.kos.schemas.events.v1.AbortReason;
import dev.kos.schemas.events.v1.UploadAborted;
import java.util.List;
import java.util.logging.Logger;

/**
 * Expires upload sessions whose expires_at passed. The gateway pushes expires_at forward on
 * every progress report, so only an abandoned upload gets here, however long a live one runs.
 *
 * <p>Each batch is one transaction: {@code expiredBatch} locks its sessions (SKIP LOCKED, so
 * several workers take disjoint batches), and for each the file becomes expired, the session
 * closes, upload_aborted (EXPIRED) is written and the chunk copies are marked deleting, all
 * committed together. A gateway reporting progress on a session at this moment holds its file
 * row; that session is skipped (it is alive) rather than waited for, which would deadlock
 * against the gateway's file-then-session order.
 */
final class SessionExpirer {
    private static final Logger LOG = Logger.getLogger(SessionExpirer.class.getName());

    private final Database db;
    private final Events events;
    private final int batchSize;
    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();
    private final UploadSessionRepository sessions = new UploadSessionRepository();
    private final CleanupQueries queries = new CleanupQueries();

    SessionExpirer(Database db, Events events, int batchSize) {
        this.db = db;
        this.events = events;
        this.batchSize = batchSize;
    }

    private record Batch(int taken, int closed, int expired) {
    }

    /** Expires every session past its expiry; returns how many files became expired. */
    int expireOnce() {
        int expired = 0;
        while (true) {
            Batch b = db.inTransaction(c -> {
                List<UploadSession> batch = sessions.expiredBatch(c, batchSize);
                int closed = 0;
                int filesExpired = 0;
                for (UploadSession s : batch) {
                    if (!queries.tryLockFile(c, s.fileId())) {
                        continue;
                    }
                    if (files.expire(c, s.fileId(), "upload_expired: no progress since " + s.lastProgressAt())) {
                        OutboxWriter.append(c, events.uploadAborted(s.fileId(), UploadAborted.newBuilder()
                                .setReason(AbortReason.EXPIRED)
                                .setMessage("no progress since " + s.lastProgressAt() + " (expired at " + s.expiresAt() + ")")
                                .setBytesReceived(s.bytesReceived()).build()));
                        int marked = chunks.markFileLocationsDeleting(c, s.fileId());
                        filesExpired++;
                        LOG.info("upload of file " + s.fileId() + " expired: no progress since " + s.lastProgressAt() + ", "
                                + s.bytesReceived() + " bytes received, " + marked + " chunk copies marked for deletion");
                    } else {
                        // The file already left the upload (sealed, failed, deleted): only the session was left over.
                        LOG.info("closed the stale upload session of file " + s.fileId());
                    }
                    sessions.close(c, s.fileId());
                    closed++;
                }
                return new Batch(batch.size(), closed, filesExpired);
            });
            expired += b.expired();
            // A full batch of sessions all busy right now would come back unchanged: stop, retry next round.
            if (b.taken() < batchSize || b.closed() == 0) {
                return expired;
            }
        }
    }
}
