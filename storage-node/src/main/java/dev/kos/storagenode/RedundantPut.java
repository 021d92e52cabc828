package dev.kos.storagenode;

import java.nio.ByteBuffer;

/**
 * A put of a chunk already stored here (a retry, a re-replication): the bytes are verified
 * against the declared checksum but not written, then compared with the stored chunk. No disk
 * space is needed, so a re-put succeeds even on a full node.
 */
final class RedundantPut implements ChunkPut {
    private final ChunkStore store;
    private final ChunkId id;
    private final long length;
    private final ChunkChecksum declared;
    private final ChunkDigest digest;
    private boolean ended;

    RedundantPut(ChunkStore store, ChunkId id, long length, ChunkChecksum declared) {
        this.store = store;
        this.id = id;
        this.length = length;
        this.declared = declared;
        this.digest = new ChunkDigest(declared.algorithm(), ChunkStore.BLOCK_SIZE, length);
    }

    @Override
    public ChunkId id() {
        return id;
    }

    @Override
    public long received() {
        return digest.bytes();
    }

    @Override
    public void write(ByteBuffer data) {
        if (ended) {
            throw new IllegalStateException("put of chunk " + id + " already ended");
        }
        try {
            PutCheck.notTooMany(id, digest.bytes(), data.remaining(), length);
        } catch (RuntimeException e) {
            ended = true;
            throw e;
        }
        digest.update(data);
    }

    @Override
    public PutResult finish() {
        if (ended) {
            throw new IllegalStateException("put of chunk " + id + " already ended");
        }
        ended = true;
        PutCheck.complete(id, digest.bytes(), length);
        digest.finish();
        PutCheck.checksumMatches(id, declared, digest.declared(declared.algorithm()));
        ChunkFooter received = new ChunkFooter(length, ChunkStore.BLOCK_SIZE, 0, digest.wholeCrc32c(), declared);
        return store.confirmPresent(id, received);
    }

    @Override
    public void abort() {
        ended = true;
    }
}
