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

    /**
     * The gateway's seal: every byte received and placed.
     *
     * @param event what the seal's event said besides; empty for a seal written before it said
     *     more than size, SHA-256 and chunk count
     */
    record Seal(long size, String sha256, int chunkCount, Optional<SealEvent> event) {
        Seal(long size, String sha256, int chunkCount) {
            this(size, sha256, chunkCount, Optional.empty());
        }
    }

    /**
     * The seal event's sequence and the file's name, content type and owner it carried: all that
     * file_completed needs beyond the seal, so the finalizer can build it before it touches the
     * file's row (see {@code FileRepository.completeAsSealed}).
     */
    record SealEvent(long sequence, String name, String contentType, String owner) {
    }

    static final UploadProgress EMPTY = new UploadProgress(Optional.empty(), 0);

    /** The first byte of a stored entry: no seal, a seal, a seal with its event's details. */
    private static final byte UNSEALED = 0;
    private static final byte SEALED = 1;
    private static final byte SEALED_WITH_EVENT = 2;

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
        Optional<SealEvent> event = seal.flatMap(Seal::event);
        byte[][] texts = event.map(e -> new byte[][] {utf8(e.name()), utf8(e.contentType()), utf8(e.owner())})
                .orElse(new byte[0][]);
        int textBytes = 0;
        for (byte[] t : texts) {
            textBytes += 4 + t.length;
        }
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + 4 + 2 + sha.length + (event.isPresent() ? 8 : 0) + textBytes);
        b.put(seal.isEmpty() ? UNSEALED : event.isEmpty() ? SEALED : SEALED_WITH_EVENT);
        b.putInt(storedChunks);
        b.putLong(seal.map(Seal::size).orElse(0L));
        b.putInt(seal.map(Seal::chunkCount).orElse(0));
        b.putShort((short) sha.length);
        b.put(sha);
        event.ifPresent(e -> b.putLong(e.sequence()));
        for (byte[] t : texts) {
            b.putInt(t.length).put(t);
        }
        return b.array();
    }

    /** Reads what {@link #toBytes} wrote, and the entries of builds before the seal's event was kept. */
    static UploadProgress fromBytes(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte kind = b.get();
        int stored = b.getInt();
        long size = b.getLong();
        int count = b.getInt();
        byte[] sha = new byte[b.getShort()];
        b.get(sha);
        Optional<SealEvent> event = kind == SEALED_WITH_EVENT
                ? Optional.of(new SealEvent(b.getLong(), text(b), text(b), text(b)))
                : Optional.empty();
        Optional<Seal> seal = kind == UNSEALED
                ? Optional.empty()
                : Optional.of(new Seal(size, new String(sha, StandardCharsets.US_ASCII), count, event));
        return new UploadProgress(seal, stored);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(ByteBuffer b) {
        byte[] t = new byte[b.getInt()];
        b.get(t);
        return new String(t, StandardCharsets.UTF_8);
    }
}
