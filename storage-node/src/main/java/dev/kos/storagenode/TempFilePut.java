package dev.kos.storagenode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A put of a chunk this node does not hold: bytes go to a temporary file, checksummed in the
 * same loop; finish appends the block table and trailer, fsyncs, verifies, then hands the file
 * to {@link ChunkStore#commit} for the atomic rename.
 */
final class TempFilePut implements ChunkPut {
    private final ChunkStore store;
    private final ChunkId id;
    private final long length;
    private final ChunkChecksum declared;
    private final SpaceAccountant.Reservation reservation;
    private final Path temp;
    private final ChunkOutput out;
    private final ChunkDigest digest;
    private boolean ended;

    TempFilePut(ChunkStore store, ChunkId id, long length, ChunkChecksum declared,
            SpaceAccountant.Reservation reservation, Path temp, ChunkOutput out) {
        this.store = store;
        this.id = id;
        this.length = length;
        this.declared = declared;
        this.reservation = reservation;
        this.temp = temp;
        this.out = out;
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
        ensureOpen();
        int n = data.remaining();
        try {
            PutCheck.notTooMany(id, digest.bytes(), n, length);
            digest.update(data);
            out.write(data.duplicate());
        } catch (IOException e) {
            abort();
            throw store.writeFailure(id, digest.bytes(), e);
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
        reservation.written(n);
    }

    @Override
    public PutResult finish() {
        ensureOpen();
        try {
            PutCheck.complete(id, digest.bytes(), length);
            digest.finish();
            PutCheck.checksumMatches(id, declared, digest.declared(declared.algorithm()));
            ChunkFooter footer = new ChunkFooter(length, ChunkStore.BLOCK_SIZE, System.currentTimeMillis(),
                    digest.wholeCrc32c(), declared);
            out.write(footer.encodeTableAndTrailer(digest.blockCrcs()));
            out.sync();
            out.close();
            PutResult r = store.commit(id, temp, footer);
            ended = true;
            reservation.close();
            return r;
        } catch (IOException e) {
            abort();
            throw store.writeFailure(id, digest.bytes(), e);
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
    }

    @Override
    public void abort() {
        if (ended) {
            return;
        }
        ended = true;
        try {
            out.close();
        } catch (IOException | RuntimeException ignored) {
            // The delete below is what matters.
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // Harmless: the next start removes every leftover temp file.
            store.log().warning("chunk " + id + ": cannot remove temp file " + temp + ": " + e);
        }
        reservation.close();
    }

    private void ensureOpen() {
        if (ended) {
            throw new IllegalStateException("put of chunk " + id + " already ended");
        }
    }
}
