package dev.kos.storagenode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A put of a chunk this node does not hold: bytes go to a temporary file, checksummed in the
 * same loop; finish appends the block table and trailer, fsyncs, verifies, then hands the file
 * to {@link ChunkStore#commit} for the atomic rename.
 *
 * <p>Write-back is started early: every {@link #FLUSH_EVERY} bytes a background fdatasync
 * pushes what is written so far to the disk while the next frames keep arriving. Otherwise a
 * large chunk sits in the page cache until the final fsync and the put costs network time plus
 * disk time instead of the larger of the two (what RocksDB's bytes_per_sync does, for the same
 * reason). Only for an output through the page cache: an O_DIRECT one has nothing to write back.
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
    private long unflushed;
    private CompletableFuture<Void> flushing = CompletableFuture.completedFuture(null);

    static final long FLUSH_EVERY = 32L << 20;

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
            unflushed += n;
            if (out.cached() && unflushed >= FLUSH_EVERY && flushing.isDone()) {
                awaitFlush();
                unflushed = 0;
                flushing = BackgroundIo.start(out::sync);
            }
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
            out.finish(footer.encodeTableAndTrailer(digest.blockCrcs()));
            awaitFlush();
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

    /** Waits for the background flush; its failure is this put's failure. */
    private void awaitFlush() throws IOException {
        BackgroundIo.await(flushing, "background flush");
    }

    private void ensureOpen() {
        if (ended) {
            throw new IllegalStateException("put of chunk " + id + " already ended");
        }
    }
}
