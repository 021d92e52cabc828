package dev.kos.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The gateway's view of file metadata: what an upload records as it goes and what reads
 * consult. Each mutating call is one transaction together with the event it implies (upload
 * started, chunk stored, upload sealed, upload aborted, delete requested), so a crash never
 * leaves a state change without its event or the reverse.
 */
public interface FileCatalog {
    /** Creates the file (pending, not readable) with its upload session. */
    void begin(NewUpload upload);

    /** Records a durable chunk and moves the session's expiry forward. */
    void chunkStored(UUID fileId, StoredChunk chunk, long bytesReceived);

    /** All bytes received and stored: size, SHA-256 and chunk count are final. */
    void seal(UUID fileId, UploadResult result);

    /** The upload ended without a file: nothing of it may become readable. */
    void fail(UUID fileId, String reason);

    Optional<FileRecord> find(UUID fileId);

    /** The chunks of a file in index order, with the nodes holding verified copies. */
    List<ChunkRecord> chunks(UUID fileId);

    FilePage list(FileQuery query);

    /**
     * Marks a completed, failed or expired file deleting and requests removal of its chunks.
     * Returns the status it had, or empty when there is no such (visible) file.
     */
    Optional<FileStatus> requestDelete(UUID fileId);

    /** Waits up to {@code wait} for the file to leave the sealed-but-not-completed state. */
    Optional<FileRecord> awaitSettled(UUID fileId, Duration wait) throws InterruptedException;
}
