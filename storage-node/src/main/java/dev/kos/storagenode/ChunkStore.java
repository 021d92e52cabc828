package dev.kos.storagenode;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The chunk engine: owns the data dir and its layout ({@link ChunkLayout}, file format in
 * {@link ChunkFooter}), space accounting, and the rules that make a chunk either fully
 * visible and durable or absent.
 *
 * <p>Durability: a put's bytes, table and trailer are written to {@code .tmp}, fsynced, then
 * renamed under the real name and the shard directory is fsynced; a new shard directory is
 * itself fsynced into the root first. A crash at any point leaves either no chunk or the whole
 * chunk; leftovers in {@code .tmp} are removed at the next start.
 *
 * <p>Concurrency: commit and delete of one id are serialized by a striped lock, so two puts
 * of one id cannot both create it and a delete cannot interleave a commit. Reads need no lock:
 * a rename or unlink does not disturb a reader holding the file open.
 */
public final class ChunkStore implements Closeable {
    /** CRC block size for new chunks; each chunk records its own, so this can change. */
    static final int BLOCK_SIZE = 64 * 1024;
    /** Largest data frame a read returns; a multiple of the block size. */
    static final int FRAME_BYTES = 1024 * 1024;

    private static final Logger LOG = Logger.getLogger(ChunkStore.class.getName());
    private static final int STRIPES = 256;

    private final ChunkLayout layout;
    private final ChunkFileSystem fs;
    private final long maxChunkBytes;
    private final SpaceAccountant space;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final FileChannel lockChannel;
    private final FileLock ownerLock;
    /** Reads refused because a block failed its CRC32C (counted by the readers, see {@link ChunkReader}). */
    private final LongAdder checksumFailures = new LongAdder();

    private ChunkStore(ChunkLayout layout, ChunkFileSystem fs, long reserveBytes, long maxChunkBytes,
            FileChannel lockChannel, FileLock ownerLock) {
        this.layout = layout;
        this.fs = fs;
        this.maxChunkBytes = maxChunkBytes;
        this.space = new SpaceAccountant(fs, layout.root(), reserveBytes);
        this.lockChannel = lockChannel;
        this.ownerLock = ownerLock;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Opens (creating if needed) the data dir: takes its lock so no second node shares it,
     * removes leftover temp files and counts the stored chunks.
     */
    public static ChunkStore open(Path dataDir, long reserveBytes, long maxChunkBytes, ChunkFileSystem fs)
            throws IOException {
        if (reserveBytes < 0 || maxChunkBytes <= 0) {
            throw new IllegalArgumentException("reserve must be >= 0 and max chunk size > 0");
        }
        ChunkLayout layout = new ChunkLayout(dataDir);
        Files.createDirectories(layout.tmpDir());
        FileChannel lockChannel = FileChannel.open(layout.lockFile(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("data dir " + layout.root() + " is in use by another storage node");
        }
        ChunkStore store = new ChunkStore(layout, fs, reserveBytes, maxChunkBytes, lockChannel, lock);
        try {
            store.removeLeftoverTempFiles();
            store.countChunks();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    public Path dataDir() {
        return layout.root();
    }

    public NodeStats stats() {
        return space.stats();
    }

    /** Reads refused since this store opened because a stored block failed its CRC32C. */
    public long checksumFailures() {
        return checksumFailures.sum();
    }

    /**
     * Starts a put. Refuses at once a bad header, a chunk over the size limit and a chunk that
     * does not fit (free space minus the reserve minus puts in flight).
     */
    public ChunkPut beginPut(ChunkId id, long length, ChunkChecksum checksum) {
        if (length < 0) {
            throw new ChunkStoreException.InvalidRequest("chunk " + id + ": length " + length + " is negative");
        }
        if (length > maxChunkBytes) {
            throw new ChunkStoreException.InvalidRequest("chunk " + id + ": length " + length
                    + " exceeds this node's limit of " + maxChunkBytes + " bytes");
        }
        if (Files.exists(layout.chunkFile(id))) {
            return new RedundantPut(this, id, length, checksum);
        }
        SpaceAccountant.Reservation reservation = space.reserve(length + ChunkFooter.overhead(length, BLOCK_SIZE));
        Path temp = layout.newTempFile(id);
        try {
            return new TempFilePut(this, id, length, checksum, reservation, temp, fs.create(temp));
        } catch (IOException e) {
            reservation.close();
            throw writeFailure(id, 0, e);
        }
    }

    /**
     * Opens a verified read of {@code length} bytes from {@code offset} (0 = to the end).
     *
     * <p>A range longer than one frame is read with O_DIRECT where the file system allows it
     * (see {@link ChunkReader}); one frame or less goes through the page cache. A long read
     * streams at the disk's pace with a frame read ahead, and would only fill the cache with
     * pages nothing reads again (a 2 GiB GET right after its PUT: 264–458 MB/s through the cache,
     * 544–573 with O_DIRECT). A short one has nothing to read ahead, so with O_DIRECT it would wait
     * for the disk every time, while a small object read often stays in the cache (1 MiB GETs of
     * one file: 446–596 a second with O_DIRECT, 519–676 through the cache).
     */
    public ChunkReader openRead(ChunkId id, long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new ChunkStoreException.InvalidRequest("chunk " + id + ": offset and length must be >= 0");
        }
        Path file = layout.chunkFile(id);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ChunkStoreException.NotFound(id);
        } catch (IOException e) {
            throw new ChunkStoreException.StorageFailure("cannot open chunk " + id + ": " + e, e);
        }
        try {
            ChunkFooter footer = ChunkFooter.read(ch, id.value());
            long end = length == 0 ? footer.length() : offset + length;
            if (offset > footer.length() || end > footer.length() || end < offset) {
                throw new ChunkStoreException.InvalidRequest("chunk " + id + ": range " + offset + "+" + length
                        + " is outside its " + footer.length() + " bytes");
            }
            // A second file descriptor, for the data: a chunk deleted since the first open is not found.
            FileChannel directCh = end - offset > FRAME_BYTES ? fs.openDirectRead(file) : null;
            return new ChunkReader(ch, directCh, footer, id, offset, end - offset, FRAME_BYTES, checksumFailures);
        } catch (NoSuchFileException e) {
            closeQuietly(ch);
            throw new ChunkStoreException.NotFound(id);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new ChunkStoreException.StorageFailure("cannot read chunk " + id + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** Deletes a chunk; true when it existed. Durable when it returns. */
    public boolean delete(ChunkId id) {
        ReentrantLock lock = lockOf(id);
        lock.lock();
        try {
            Path file = layout.chunkFile(id);
            if (!Files.exists(file)) {
                return false;
            }
            long counted = countedLength(file);
            try {
                Files.delete(file);
            } catch (NoSuchFileException e) {
                return false;
            }
            fsyncDir(file.getParent());
            space.removed(counted);
            return true;
        } catch (IOException e) {
            throw new ChunkStoreException.StorageFailure("cannot delete chunk " + id + ": " + e, e);
        } finally {
            lock.unlock();
        }
    }

    /** The inventory, optionally only ids starting with {@code prefix}; the caller closes it. */
    public ChunkInventory list(String prefix) {
        return new ChunkInventory(layout.root(), prefix == null ? "" : prefix);
    }

    @Override
    public void close() {
        try {
            ownerLock.release();
        } catch (IOException | RuntimeException ignored) {
            // Closing the channel releases it too.
        }
        closeQuietly(lockChannel);
    }

    // ---- used by the puts ----

    Logger log() {
        return LOG;
    }

    /** Makes a verified, fsynced temp file the chunk, unless that id already holds a chunk. */
    PutResult commit(ChunkId id, Path temp, ChunkFooter footer) throws IOException {
        ReentrantLock lock = lockOf(id);
        lock.lock();
        try {
            Path target = layout.chunkFile(id);
            long replacedLength = -1;
            if (Files.exists(target)) {
                try {
                    ChunkFooter existing = readFooter(target);
                    checkSameContent(id, existing, footer);
                    Files.deleteIfExists(temp);
                    return new PutResult(id, footer.length(), footer.declared(), true);
                } catch (NoSuchFileException gone) {
                    // Deleted since exists(): store ours.
                } catch (ChunkStoreException.Corrupted e) {
                    // The stored copy is unreadable: a verified put repairs it.
                    LOG.warning("chunk " + id + ": replacing a copy with an unreadable trailer: " + e.getMessage());
                    replacedLength = Files.size(target);
                }
            }
            Path shard = target.getParent();
            if (!Files.isDirectory(shard)) {
                Files.createDirectories(shard);
                fsyncDir(layout.root());
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            fsyncDir(shard);
            if (replacedLength >= 0) {
                space.removed(replacedLength);
            }
            space.added(footer.length());
            return new PutResult(id, footer.length(), footer.declared(), false);
        } finally {
            lock.unlock();
        }
    }

    /** For a put of a chunk that was present when it began: is it the same chunk? */
    PutResult confirmPresent(ChunkId id, ChunkFooter received) {
        try {
            checkSameContent(id, readFooter(layout.chunkFile(id)), received);
            return new PutResult(id, received.length(), received.declared(), true);
        } catch (NoSuchFileException e) {
            throw new ChunkStoreException.Unavailable("chunk " + id
                    + " was deleted while this put was in flight; retry the put");
        } catch (IOException e) {
            throw new ChunkStoreException.StorageFailure("cannot read chunk " + id + ": " + e, e);
        }
    }

    ChunkStoreException writeFailure(ChunkId id, long written, IOException e) {
        if (DiskErrors.isOutOfSpace(e)) {
            return new ChunkStoreException.InsufficientSpace("chunk " + id + ": disk full after " + written
                    + " bytes (" + e.getMessage() + ")", e);
        }
        return new ChunkStoreException.StorageFailure("chunk " + id + ": write failed after " + written
                + " bytes: " + e, e);
    }

    // ---- internals ----

    private static void checkSameContent(ChunkId id, ChunkFooter existing, ChunkFooter received) {
        if (!existing.sameContentAs(received)) {
            throw new ChunkStoreException.Conflict("chunk " + id + " already exists with different content ("
                    + existing.length() + " bytes, " + existing.declared() + ")");
        }
    }

    private static ChunkFooter readFooter(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ChunkFooter.read(ch, file.getFileName().toString());
        }
    }

    /** The length a chunk file counts for in the stats: its data, or its size when unreadable. */
    private static long countedLength(Path file) throws IOException {
        try {
            return readFooter(file).length();
        } catch (ChunkStoreException.Corrupted e) {
            return Files.size(file);
        }
    }

    private ReentrantLock lockOf(ChunkId id) {
        return stripes[Math.floorMod(id.value().hashCode(), STRIPES)];
    }

    private void removeLeftoverTempFiles() throws IOException {
        int removed = 0;
        try (DirectoryStream<Path> tmp = Files.newDirectoryStream(layout.tmpDir())) {
            for (Path p : tmp) {
                Files.deleteIfExists(p);
                removed++;
            }
        }
        if (removed > 0) {
            fsyncDir(layout.tmpDir());
            LOG.info("removed " + removed + " leftover temp files of interrupted puts from " + layout.tmpDir());
        }
    }

    private void countChunks() throws IOException {
        long count = 0;
        try (ChunkInventory all = list("")) {
            for (ChunkInfo c = all.next(); c != null; c = all.next()) {
                space.added(c.length());
                count++;
                if (c.checksum() == null) {
                    LOG.warning("chunk " + c.id() + " has an unreadable trailer: reads of it will fail (DATA_LOSS)");
                }
            }
        }
        LOG.fine("counted " + count + " chunks in " + layout.root());
    }

    static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Nothing to recover on a read-only or lock channel.
        }
    }
}
