package dev.kos.placement;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The placement service's view of uploads in flight, in one key-value store:
 * {@code <fileId>} holds the {@link UploadProgress}; {@code <fileId>/<index>} holds the CRC32C
 * reported for that chunk. Counting a chunk only when its key is new makes duplicated and
 * replayed chunk-stored events harmless.
 */
final class ProgressStore {
    static final String NAME = "upload-progress";

    private final KeyValueStore<String, byte[]> store;

    ProgressStore(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    UploadProgress progress(String fileId) {
        byte[] b = store.get(fileId);
        return b == null ? UploadProgress.EMPTY : UploadProgress.fromBytes(b);
    }

    /** Records a stored chunk; returns the progress after it (unchanged for a duplicate). */
    UploadProgress chunkStored(String fileId, int index, int crc32c) {
        UploadProgress p = progress(fileId);
        String key = chunkKey(fileId, index);
        if (store.get(key) != null) {
            return p;
        }
        store.put(key, ByteBuffer.allocate(4).putInt(crc32c).array());
        UploadProgress next = p.withOneMoreChunk();
        store.put(fileId, next.toBytes());
        return next;
    }

    UploadProgress sealed(String fileId, UploadProgress.Seal seal) {
        UploadProgress next = progress(fileId).withSeal(seal);
        store.put(fileId, next.toBytes());
        return next;
    }

    /** The CRC32C reported for each chunk index of the file. */
    Map<Integer, Integer> chunkChecksums(String fileId) {
        Map<Integer, Integer> crcs = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(fileId + "/", new StringSerializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                int index = Integer.parseInt(kv.key.substring(fileId.length() + 1));
                crcs.put(index, ByteBuffer.wrap(kv.value).getInt());
            }
        }
        return crcs;
    }

    /** Drops everything kept for the file: it is final (completed, failed, deleted). */
    void forget(String fileId) {
        // Chunk keys are only ever written together with the progress key, and removed before it:
        // no progress key, nothing to scan. The usual case: file_completed after the finalizer forgot.
        if (store.get(fileId) == null) {
            return;
        }
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(fileId + "/", new StringSerializer())) {
            while (it.hasNext()) {
                store.delete(it.next().key);
            }
        }
        store.delete(fileId);
    }

    private static String chunkKey(String fileId, int index) {
        // Zero-padded so a prefix scan returns chunks in index order.
        return fileId + "/" + String.format("%07d", index);
    }
}
