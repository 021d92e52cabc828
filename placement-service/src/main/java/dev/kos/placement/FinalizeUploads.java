package dev.kos.placement;

import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.UploadSealed;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.logging.Logger;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Consumes one file's events in order (the files topic is keyed by file id) and finalizes the
 * upload once it is sealed and every chunk has been reported stored. Duplicated events change
 * nothing (chunks are counted once, by index); reordered ones do not matter (a seal may come
 * before or after the chunks). The database effect is idempotent, so a replay from offset 0
 * leaves the same state.
 */
final class FinalizeUploads implements Processor<String, EventEnvelope, Void, Void> {
    private static final Logger LOG = Logger.getLogger(FinalizeUploads.class.getName());

    private final UploadFinalizer finalizer;
    private ProgressStore progress;

    FinalizeUploads(UploadFinalizer finalizer) {
        this.finalizer = finalizer;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        progress = new ProgressStore(context.getStateStore(ProgressStore.NAME));
    }

    @Override
    public void process(Record<String, EventEnvelope> record) {
        EventEnvelope e = record.value();
        if (e == null) {
            return; // a record that did not parse was already logged by the deserializer
        }
        String fileId = e.getFileId();
        switch (e.getPayloadCase()) {
            case CHUNK_STORED -> {
                ChunkStored c = e.getChunkStored();
                int crc = ByteBuffer.wrap(c.getChecksum().getValue().toByteArray()).getInt();
                tryFinalize(fileId, progress.chunkStored(fileId, c.getChunkIndex(), crc));
            }
            case UPLOAD_SEALED -> {
                UploadSealed s = e.getUploadSealed();
                // A seal from a gateway that did not name the file yet leaves the finalizer to read the row.
                Optional<UploadProgress.SealEvent> said = s.hasName() && s.hasContentType() && s.hasOwner()
                        ? Optional.of(new UploadProgress.SealEvent(e.getSequence(), s.getName(), s.getContentType(),
                                s.getOwner()))
                        : Optional.empty();
                tryFinalize(fileId, progress.sealed(fileId,
                        new UploadProgress.Seal(s.getSize(), s.getSha256(), s.getChunkCount(), said)));
            }
            // The upload's life is over: nothing more to track for it.
            case FILE_COMPLETED, UPLOAD_ABORTED, DELETE_REQUESTED, FILE_DELETED -> progress.forget(fileId);
            default -> {
                // Other events (upload started, chunk moved, ...) do not change finalization.
            }
        }
    }

    private void tryFinalize(String fileId, UploadProgress p) {
        if (!p.isComplete()) {
            return;
        }
        UploadFinalizer.Outcome outcome = finalizer.finalizeUpload(fileId, p.seal().orElseThrow(),
                progress.chunkChecksums(fileId));
        LOG.info(() -> "finalize file=" + fileId + " chunks=" + p.storedChunks() + " outcome=" + outcome);
        switch (outcome) {
            case COMPLETED, ALREADY_FINAL, FAILED -> progress.forget(fileId);
            // NOT_READY cannot happen when events follow commits; keep the state and let the
            // next event for this file (or a replay) try again rather than lose the upload.
            case NOT_READY -> LOG.warning("file=" + fileId + " sealed in events but not in metadata; kept for retry");
        }
    }
}
