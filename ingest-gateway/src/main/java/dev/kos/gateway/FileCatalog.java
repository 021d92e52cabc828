package dev.kos.gateway;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.metadata.ChunkLocation;
import dev.kos.metadata.ChunkOnNode;
import dev.kos.metadata.ChunkRecord;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileDetail;
import dev.kos.metadata.FileQuery;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.metadata.NewFile;
import dev.kos.metadata.OutboxRow;
import dev.kos.metadata.Page;
import dev.kos.metadata.SettledNotice;
import dev.kos.metadata.UploadSessionRepository;
import dev.kos.schemas.events.v1.AbortReason;
import dev.kos.schemas.events.v1.ChunkChecksum;
import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.DeleteRequested;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.UploadAborted;
import dev.kos.schemas.events.v1.UploadSealed;
import dev.kos.schemas.events.v1.UploadStarted;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * The gateway's file metadata on PostgreSQL, through the metadata repositories: what an upload
 * records as it goes and what reads consult. Every state change (upload started, chunk stored,
 * upload sealed, upload aborted, delete requested) commits in one transaction with its outbox
 * event (OutboxWriter), so Kafka consumers see exactly the changes that happened, even if the
 * gateway dies right after a commit.
 *
 * <p>A class, not an interface: PostgreSQL is the only store, and tests run it for real.
 */
public final class FileCatalog {
    private final Database db;
    private final Events events;
    private final String gatewayId;
    private final Duration sessionTtl;
    private final SettledListener settled;
    private final Duration settledPoll;
    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();
    private final UploadSessionRepository sessions = new UploadSessionRepository();

    /**
     * @param settled wakes {@link #awaitSettled} when the placement service settles a file
     * @param settledPoll how often a waiter re-reads the row anyway: the bound on the extra wait
     *     when a notification is lost or the listener is down
     */
    public FileCatalog(Database db, Events events, String gatewayId, Duration sessionTtl, SettledListener settled,
                       Duration settledPoll) {
        if (settledPoll.isNegative() || settledPoll.isZero()) {
            throw new IllegalArgumentException("the settled poll interval must be > 0, was " + settledPoll);
        }
        this.db = db;
        this.events = events;
        this.gatewayId = gatewayId;
        this.sessionTtl = sessionTtl;
        this.settled = settled;
        this.settledPoll = settledPoll;
    }

    /**
     * Creates the file (pending, not readable) with its upload session, before the first chunk of
     * an upload that spans chunks is put: an interruption between its chunks then leaves a session
     * for cleanup to expire. {@code declaredSize} is what the client announced (-1 unknown): it
     * goes into the event only, the row gets the real size when sealed. An upload that fits in one
     * chunk skips this and {@link #seal}: {@link #recordSealed} writes it whole.
     */
    public void begin(NewFile f, long declaredSize) {
        db.inTransaction(c -> {
            long seq = files.create(c, f, 1).eventSeq(); // upload_started's sequence, reserved by the insert
            sessions.open(c, f.fileId(), gatewayId, sessionTtl);
            OutboxWriter.appendReserved(c, List.of(startedEvent(f, declaredSize)), seq);
            return null;
        });
        listingChanged();
    }

    /**
     * After this gateway's own commit that lists show: its next list reflects it even before
     * PostgreSQL's notification arrives.
     */
    private void listingChanged() {
        settled.cache().listingChanged();
    }

    /** Records a durable chunk and moves the session's expiry forward. */
    public void chunkStored(UUID fileId, StoredChunk chunk, long bytesReceived) {
        db.inTransaction(c -> {
            if (!sessions.progress(c, fileId, bytesReceived, sessionTtl)) {
                throw new ApiException(io.helidon.http.Status.CONFLICT_409, "upload_expired",
                        "the upload session of " + fileId + " expired or was closed");
            }
            if (chunk.index() == 0) {
                files.startUpload(c, fileId); // chunks are recorded in index order: the first moves the file on
            }
            OutboxWriter.append(c, recordChunk(c, fileId, chunk));
            return null;
        });
        listingChanged(); // the first chunk moves the file to uploading
    }

    /** Writes the chunk's rows and returns its chunk_stored event, for the caller to append. */
    private EventEnvelope.Builder recordChunk(Connection c, UUID fileId, StoredChunk chunk) throws SQLException {
        chunks.addChunk(c, fileId, chunk.index(), chunk.chunkId(), chunk.size(), chunk.crc32c(), chunk.nodeId());
        return chunkStoredEvent(fileId, chunk);
    }

    private EventEnvelope.Builder chunkStoredEvent(UUID fileId, StoredChunk chunk) {
        return events.chunkStored(fileId, ChunkStored.newBuilder()
                .setChunkIndex(chunk.index()).setChunkId(chunk.chunkId()).setSize(chunk.size())
                .setChecksum(ChunkChecksum.newBuilder().setAlgorithm("CRC32C")
                        .setValue(ByteString.copyFrom(ByteBuffer.allocate(4).putInt(chunk.crc32c()).array())))
                .addNodeIds(chunk.nodeId()).build());
    }

    /** All bytes received and stored: size, SHA-256 and chunk count are final. */
    public void seal(NewFile f, UploadResult result) {
        seal(f, result, Optional.empty());
    }

    /**
     * Seals the upload and records its final chunk in the same transaction: one commit (and one
     * outbox round) fewer per upload. On failure nothing of it is written, so the caller must then
     * record the chunk on its own ({@link #chunkStored}).
     */
    public void seal(NewFile f, UploadResult result, Optional<StoredChunk> lastChunk) {
        UUID fileId = f.fileId();
        db.inTransaction(c -> {
            List<EventEnvelope.Builder> toAppend = new ArrayList<>(2);
            if (lastChunk.isPresent()) {
                if (lastChunk.get().index() == 0) {
                    files.startUpload(c, fileId);
                }
                toAppend.add(recordChunk(c, fileId, lastChunk.get()));
            } else if (result.chunks().isEmpty()) {
                files.startUpload(c, fileId); // an empty file never stored a chunk
            }
            toAppend.add(sealedEvent(f, result));
            // The session's progress is not moved: it is closed below. Expiry cannot overtake the
            // seal unseen, since it moves the file out of uploading under the same row lock.
            long seq = files.seal(c, fileId, result.size(), result.sha256(), result.chunks().size(), toAppend.size())
                    .orElseThrow(() -> new ApiException(io.helidon.http.Status.CONFLICT_409, "upload_expired",
                            "file " + fileId + " is no longer uploading (expired or deleted meanwhile)"));
            sessions.close(c, fileId);
            OutboxWriter.appendReserved(c, toAppend, seq); // chunk_stored, then upload_sealed: one insert batch
            return null;
        });
        listingChanged();
    }

    /** Also names the file, so that the placement service can write file_completed without reading the row. */
    private EventEnvelope.Builder sealedEvent(NewFile f, UploadResult result) {
        return events.uploadSealed(f.fileId(), UploadSealed.newBuilder()
                .setSize(result.size()).setSha256(result.sha256()).setChunkCount(result.chunks().size())
                .setName(f.name()).setContentType(f.contentType()).setOwner(f.owner().orElse("")).build());
    }

    private EventEnvelope.Builder startedEvent(NewFile f, long declaredSize) {
        return events.uploadStarted(f.fileId(), UploadStarted.newBuilder()
                .setName(f.name()).setContentType(f.contentType()).setDeclaredSize(declaredSize)
                .setChunkSize(f.chunkSize()).build());
    }

    /**
     * Records a whole upload that was never {@link #begin begun}, once its body has ended and its
     * bytes (one chunk at most) are durable: the file sealed and waiting for completion, its chunk,
     * and upload_started, chunk_stored and upload_sealed, in one statement. For an upload that
     * fits in one chunk this replaces begin + seal: one commit instead of two, no session row to
     * insert and delete, one insert of the file instead of an insert and two updates. Nothing is
     * written on failure; the chunk is then an orphan for the cleanup worker's collector, unless
     * the caller deletes it (only safe when this threw before its commit could have happened).
     */
    public void recordSealed(NewFile f, long declaredSize, UploadResult result) {
        if (result.chunks().size() > 1) {
            throw new IllegalArgumentException("an upload recorded at once has one chunk or none, got "
                    + result.chunks().size());
        }
        Optional<StoredChunk> chunk = result.chunks().stream().findFirst();
        List<EventEnvelope.Builder> toAppend = new ArrayList<>(3);
        toAppend.add(startedEvent(f, declaredSize));
        chunk.ifPresent(k -> toAppend.add(chunkStoredEvent(f.fileId(), k)));
        toAppend.add(sealedEvent(f, result));
        List<OutboxRow> rows = OutboxWriter.reservedRows(toAppend, toAppend.size()); // sequences 1 to 3 (or 2)
        // One statement on an auto-commit connection: one round trip and one commit for the file,
        // its chunk and its events (FileRepository.createSealed).
        db.withConnection(c -> files.createSealed(c, f, result.size(), result.sha256(),
                chunk.map(k -> new ChunkOnNode(k.chunkId(), k.nodeId(), LocationState.STORED, f.fileId(), k.index(),
                        k.size(), k.crc32c())), rows));
        listingChanged();
    }

    /**
     * The upload failed before it was {@link #begin begun}: the file is recorded failed, with
     * upload_started and upload_aborted, so the failure is visible (and announced) as for any
     * other upload. Nothing of it was recorded before, so nothing else needs undoing here.
     * {@code bytesReceived}: the body bytes read before the failure.
     */
    public void recordFailed(NewFile f, long declaredSize, String reason, long bytesReceived) {
        db.inTransaction(c -> {
            long seq = files.createFailed(c, f, reason, 2).eventSeq();
            OutboxWriter.appendReserved(c, List.of(startedEvent(f, declaredSize),
                    events.uploadAborted(f.fileId(), UploadAborted.newBuilder()
                            .setReason(abortReason(reason)).setMessage(reason).setBytesReceived(bytesReceived).build())), seq);
            return null;
        });
        listingChanged();
    }

    /** The upload ended without a file: nothing of it may become readable. */
    public void fail(UUID fileId, String reason) {
        db.inTransaction(c -> {
            long received = sessions.find(c, fileId).map(s -> s.bytesReceived()).orElse(0L);
            if (files.fail(c, fileId, reason)) {
                sessions.close(c, fileId);
                OutboxWriter.append(c, events.uploadAborted(fileId, UploadAborted.newBuilder()
                        .setReason(abortReason(reason)).setMessage(reason).setBytesReceived(received).build()));
            }
            return null;
        });
        listingChanged();
    }

    static AbortReason abortReason(String reason) {
        String code = reason.contains(":") ? reason.substring(0, reason.indexOf(':')) : reason;
        return switch (code) {
            case "checksum_mismatch" -> AbortReason.CHECKSUM_MISMATCH;
            case "too_large", "too_many_chunks" -> AbortReason.TOO_LARGE;
            case "no_storage_nodes", "storage_unavailable", "storage_full", "gateway_busy" -> AbortReason.STORAGE_UNAVAILABLE;
            case "idle_timeout", "body_incomplete", "bad_multipart" -> AbortReason.CLIENT_GONE;
            case "upload_expired" -> AbortReason.EXPIRED;
            default -> AbortReason.INTERNAL;
        };
    }

    /**
     * The file with its chunks and their copies (the metadata GET, a download's lookup): a
     * completed file from the cache when it has it, anything else in one query.
     */
    public Optional<KnownFile> detail(UUID fileId) {
        return settled.cache().detail(fileId, () -> files.findWithChunks(db, fileId));
    }

    public FileCache.Stats cacheStats() {
        return settled.cache().stats();
    }

    /** One chunk with its current locations, read afresh (a download whose copies moved asks again). */
    public Optional<ChunkRecord> chunk(UUID fileId, int index) {
        return chunks.chunksTouching(db, fileId, index, index).stream().findFirst();
    }

    /** The chunks of a file in index order, with every known copy. */
    public List<ChunkRecord> chunks(UUID fileId) {
        return chunks.chunksOf(db, fileId);
    }

    public Page<FileRecord> list(FileQuery query) {
        return files.list(db, query);
    }

    /** A list page rendered by {@code render}: from memory while nothing listed changed, else from one query. */
    public byte[] listPage(FileQuery query, Function<Page<FileRecord>, byte[]> render) {
        return settled.cache().page(query, () -> render.apply(list(query)));
    }

    /**
     * Marks a completed, failed or expired file deleting and requests removal of its chunks.
     * Returns the status it had, or empty when there is no such (visible) file.
     */
    public Optional<FileStatus> requestDelete(UUID fileId) {
        return db.inTransaction(c -> {
            Optional<dev.kos.metadata.FileRecord> f = files.lockForUpdate(c, fileId);
            if (f.isEmpty() || !f.get().status().listedByDefault()) {
                return Optional.<FileStatus>empty();
            }
            FileStatus before = f.get().status();
            if (before == FileStatus.PENDING || before == FileStatus.UPLOADING) {
                return Optional.of(before);
            }
            if (files.markDeleting(c, fileId)) {
                OutboxWriter.append(c, events.deleteRequested(fileId, DeleteRequested.newBuilder().build()));
            }
            return Optional.of(before);
        }).map(before -> {
            // Committed: this gateway's next read must not see the file as it was, even before
            // PostgreSQL's notification of the change arrives.
            settled.cache().changed(fileId);
            listingChanged();
            return before;
        });
    }

    /**
     * Starts watching for the file's settling. Open it before the seal commits: the placement
     * service settles a file only after its seal, so a waiter opened first hears every settle
     * and {@link #awaitSettled} need not read the row before its first wait.
     */
    public SettledListener.Waiter watchSettled(UUID fileId) {
        return settled.watch(fileId);
    }

    /**
     * Waits up to {@code wait} for the file sealed as {@code f} with {@code result} to leave the
     * sealed-but-not-completed state, and returns it with its chunks and copies. When the
     * notification of its completion comes, the answer is built from it and from what was sealed,
     * without a read: the completing statement sent the row's own values and PostgreSQL delivered
     * them after its commit (the read cost PostgreSQL ~0.2 CPU-ms per upload, ~9 % of its share,
     * and the upload a round trip). After any other wake-up of {@code waiter} (opened with
     * {@link #watchSettled} before the seal), and at least every {@code settledPoll}, the row is
     * read in one statement and decides; nothing is read before the first wake-up. Not through the
     * metadata cache: that keeps files clients read, and filling it with every upload took the
     * gateway's RSS from ~450 to 507 MiB in a full benchmark run.
     */
    public Optional<FileDetail> awaitSettled(SettledListener.Waiter waiter, NewFile f, UploadResult result, Duration wait)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                waiter.await(Duration.ofNanos(Math.min(left, settledPoll.toNanos())));
            }
            Optional<SettledNotice.Completion> completed = waiter.completion();
            if (completed.isPresent()) {
                return Optional.of(completedDetail(f, result, completed.get()));
            }
            Optional<FileDetail> d = files.findWithChunks(db, f.fileId());
            if (d.isEmpty() || d.get().file().status() != FileStatus.UPLOADING || deadline - System.nanoTime() <= 0) {
                return d;
            }
        }
    }

    /** The completed file as its row and chunk rows read right after the completion: one copy of each chunk, where it was put. */
    static FileDetail completedDetail(NewFile f, UploadResult result, SettledNotice.Completion completed) {
        List<ChunkRecord> chunks = new ArrayList<>(result.chunks().size());
        for (StoredChunk k : result.chunks()) {
            chunks.add(new ChunkRecord(f.fileId(), k.index(), k.chunkId(), k.size(), k.crc32c(),
                    List.of(new ChunkLocation(k.nodeId(), LocationState.STORED))));
        }
        return new FileDetail(completed.file(f, result.size(), result.sha256(), result.chunks().size()), chunks);
    }
}
