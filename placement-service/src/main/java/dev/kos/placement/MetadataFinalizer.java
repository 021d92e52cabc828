package dev.kos.placement;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.metadata.ChunkRecord;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.OutboxRow;
import dev.kos.schemas.events.v1.AbortReason;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.FileCompleted;
import dev.kos.schemas.events.v1.UploadAborted;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Completes an upload in PostgreSQL: one guarded update checks the seal and every chunk
 * (reported checksum equals the recorded one, a verified copy exists) and marks the file
 * completed, and file_completed goes to the outbox with it. Usually that is one statement on an
 * auto-commit connection, with file_completed built beforehand from what the seal's event said
 * (one round trip instead of three); otherwise (a seal that did not name the file, an event of
 * the file since its seal) a transaction reads the row first. Only when the update does not
 * apply are the file's row and chunks read, under its row lock, to tell why: not ready yet,
 * already final (a replay, left alone, which makes replays harmless), or a mismatch that fails
 * the upload.
 */
final class MetadataFinalizer implements UploadFinalizer {
    private final Database db;
    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();
    private final Events events;

    MetadataFinalizer(Database db, Events events) {
        this.db = db;
        this.events = events;
    }

    @Override
    public Outcome finalizeUpload(String fileId, UploadProgress.Seal seal, Map<Integer, Integer> chunkCrcs) {
        UUID id = UUID.fromString(fileId);
        Optional<Integer[]> reported = inIndexOrder(seal.chunkCount(), chunkCrcs);
        if (reported.isPresent() && seal.event().isPresent() && completedAsSealed(id, seal, seal.event().get(), reported.get())) {
            return Outcome.COMPLETED;
        }
        return db.inTransaction(c -> {
            // Every upload that completes does so here, in one statement that checks what verify()
            // checks below; the statements after it run only to tell why a file did not complete.
            Optional<FileRecord> done = reported.isEmpty() ? Optional.empty()
                    : files.completeIfVerified(c, id, seal.size(), seal.sha256(), seal.chunkCount(), reported.get(), 1);
            if (done.isPresent()) {
                OutboxWriter.appendReserved(c, List.of(completedEvent(done.get(), seal)), done.get().eventSeq());
                return Outcome.COMPLETED;
            }
            Optional<FileRecord> row = files.lockForUpdate(c, id);
            if (row.isEmpty()) {
                return Outcome.NOT_READY;
            }
            FileRecord file = row.get();
            if (file.status() != FileStatus.UPLOADING) {
                return file.status() == FileStatus.PENDING ? Outcome.NOT_READY : Outcome.ALREADY_FINAL;
            }
            if (!file.isSealed()) {
                return Outcome.NOT_READY;
            }
            Optional<String> problem = verify(c, file, seal, chunkCrcs);
            if (problem.isPresent()) {
                files.fail(c, id, problem.get());
                OutboxWriter.append(c, events.uploadAborted(id, UploadAborted.newBuilder()
                        .setReason(AbortReason.INTERNAL)
                        .setMessage(problem.get())
                        .setBytesReceived(file.sizeBytes().orElse(0L))
                        .build()));
                files.notifySettled(c, id); // the gateway's waiting POST answers now, not at its next poll
                return Outcome.FAILED;
            }
            OptionalLong seq = files.complete(c, id, 1); // file_completed's sequence, reserved by the same update
            if (seq.isEmpty()) {
                return Outcome.NOT_READY;
            }
            OutboxWriter.appendReserved(c, List.of(completedEvent(file, seal)), seq.getAsLong());
            files.notifySettled(c, id);
            return Outcome.COMPLETED;
        });
    }

    /**
     * The usual completion, in one statement on an auto-commit connection: file_completed is built
     * from what the seal's event said (the file's name, content type and owner, and the next
     * sequence after the seal's), and the statement applies only while that is still so. False
     * when it did not apply (a replay, an event of the file since its seal, a check that failed):
     * then nothing was written, and the transaction below completes the file or tells why not.
     */
    private boolean completedAsSealed(UUID id, UploadProgress.Seal seal, UploadProgress.SealEvent said,
                                      Integer[] reported) {
        EventEnvelope.Builder completed = completedEvent(id, said.name(), said.contentType(), said.owner(), seal);
        OutboxRow row = OutboxWriter.reservedRows(List.of(completed), said.sequence() + 1).get(0);
        FileRepository.AsSealed asSealed = new FileRepository.AsSealed(said.sequence(), said.name(), said.contentType(),
                said.owner(), row);
        return db.withConnection(c -> files.completeAsSealed(c, id, seal.size(), seal.sha256(), seal.chunkCount(),
                reported, asSealed)).isPresent();
    }

    /**
     * The reported CRC32C of chunks 0 to {@code chunkCount} - 1, in index order; empty when any is
     * missing or the count is impossible (an event from elsewhere): then no completion can apply,
     * and the checks under the lock say why.
     */
    private static Optional<Integer[]> inIndexOrder(int chunkCount, Map<Integer, Integer> chunkCrcs) {
        if (chunkCount < 0 || chunkCount > chunkCrcs.size()) {
            return Optional.empty();
        }
        Integer[] crcs = new Integer[chunkCount];
        for (int i = 0; i < chunkCount; i++) {
            crcs[i] = chunkCrcs.get(i);
            if (crcs[i] == null) {
                return Optional.empty();
            }
        }
        return Optional.of(crcs);
    }

    private EventEnvelope.Builder completedEvent(FileRecord file, UploadProgress.Seal seal) {
        return completedEvent(file.fileId(), file.name(), file.contentType(), file.owner().orElse(""), seal);
    }

    private EventEnvelope.Builder completedEvent(UUID id, String name, String contentType, String owner,
                                                 UploadProgress.Seal seal) {
        return events.fileCompleted(id, FileCompleted.newBuilder()
                .setName(name)
                .setContentType(contentType)
                .setSize(seal.size())
                .setSha256(seal.sha256())
                .setChunkCount(seal.chunkCount())
                .setOwner(owner)
                .build());
    }

    /** Why the upload cannot complete, or empty when every check passes. */
    private Optional<String> verify(Connection c, FileRecord file, UploadProgress.Seal seal,
                                    Map<Integer, Integer> chunkCrcs) throws SQLException {
        if (file.sizeBytes().orElse(-1L) != seal.size() || !file.sha256().orElse("").equals(seal.sha256())
                || file.chunkCount().orElse(-1) != seal.chunkCount()) {
            return Optional.of("the sealed size, SHA-256 or chunk count in the events differs from the metadata");
        }
        List<ChunkRecord> recorded = chunks.chunksOf(c, file.fileId());
        if (recorded.size() != seal.chunkCount()) {
            return Optional.of("expected " + seal.chunkCount() + " chunks, metadata has " + recorded.size());
        }
        for (ChunkRecord chunk : recorded) {
            Integer reported = chunkCrcs.get(chunk.index());
            if (reported == null || reported != chunk.crc32c()) {
                return Optional.of("chunk " + chunk.index() + " (" + chunk.chunkId() + "): reported CRC32C "
                        + (reported == null ? "missing" : Integer.toHexString(reported)) + ", recorded "
                        + Integer.toHexString(chunk.crc32c()));
            }
            if (chunk.readableNodes().isEmpty()) {
                return Optional.of("chunk " + chunk.index() + " (" + chunk.chunkId() + ") has no stored copy");
            }
        }
        return Optional.empty();
    }
}
