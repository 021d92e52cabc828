package dev.kos.placement;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.metadata.ChunkRecord;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.schemas.events.v1.AbortReason;
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
 * Completes an upload in PostgreSQL: under the file's row lock it checks the seal and every
 * chunk (reported checksum equals the recorded one, a verified copy exists), then marks the
 * file completed and writes file_completed to the outbox, in one transaction. A file that is
 * no longer uploading is left alone, which makes replays harmless.
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
        return db.inTransaction(c -> {
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
            OutboxWriter.appendReserved(c, List.of(events.fileCompleted(id, FileCompleted.newBuilder()
                    .setName(file.name())
                    .setContentType(file.contentType())
                    .setSize(seal.size())
                    .setSha256(seal.sha256())
                    .setChunkCount(seal.chunkCount())
                    .setOwner(file.owner().orElse(""))
                    .build())), seq.getAsLong());
            files.notifySettled(c, id);
            return Outcome.COMPLETED;
        });
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
