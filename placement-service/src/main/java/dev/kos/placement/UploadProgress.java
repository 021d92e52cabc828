package dev.kos.placement;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What the placement service knows of one upload in flight: its seal (once the gateway has
 * received every byte) and how many distinct chunks have been reported stored. Kept per file in
 * a Kafka Streams state store, beside one small entry per chunk (see {@link ProgressStore}), so
 * each event costs O(1) whatever the file size.
 */
record UploadProgress(Optional<Seal> seal, int storedChunks) {

    /** The gateway's seal: every byte received and placed. */
    record Seal(long size, String sha256, int chunkCount) {
    }

    static final UploadProgress EMPTY = new UploadProgress(Optional.empty(), 0);

    boolean isComplete() {
        return seal.isPresent() && storedChunks >= seal.get().chunkCount();
    }

    UploadProgress withSeal(Seal s) {
        return new UploadProgress(Optional.of(s), storedChunks);
    }

    UploadProgress withOneMoreChunk() {
        return new UploadProgress(seal, storedChunks + 1);
    }

    byte[] toBytes() {
        byte[] sha = seal.map(s -> s.sha256().getBytes(StandardCharsets.US_ASCII)).orElse(new byte[0]);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + 4 + 2 + sha.length);
        b.put((byte) (seal.isPresent() ? 1 : 0));
        b.putInt(storedChunks);
        b.putLong(seal.map(Seal::size).orElse(0L));
        b.putInt(seal.map(Seal::chunkCount).orElse(0));
        b.putShort((short) sha.length);
        b.put(sha);
        return b.array();
    }

    static UploadProgress fromBytes(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        boolean sealed = b.get() == 1;
        int stored = b.getInt();
        long size = b.getLong();
        int count = b.getInt();
        byte[] sha = new byte[b.getShort()];
        b.get(sha);
        Optional<Seal> seal = sealed
                ? Optional.of(new Seal(size, new String(sha, StandardCharsets.US_ASCII), count))
                : Optional.empty();
        return new UploadProgress(seal, stored);
    }
}
