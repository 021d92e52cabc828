package dev.kos.placement;

import java.util.Map;

/** Makes a sealed upload whose chunks are all stored a completed, readable file. */
interface UploadFinalizer {

    enum Outcome {
        /** The file is now completed and file_completed was written (in one transaction). */
        COMPLETED,
        /** Nothing to do: the file is already completed, failed, expired or being deleted (a replay). */
        ALREADY_FINAL,
        /** The metadata does not yet show what the events said (it will: events follow commits). */
        NOT_READY,
        /** A chunk's reported checksum differs from the metadata, or a chunk has no stored copy: the upload failed. */
        FAILED
    }

    /**
     * Idempotent: calling it again for the same file (a replayed event) changes nothing.
     *
     * @param chunkCrcs the CRC32C reported in chunk_stored events, by chunk index
     */
    Outcome finalizeUpload(String fileId, UploadProgress.Seal seal, Map<Integer, Integer> chunkCrcs);
}
