package dev.kos.storagenode;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The file-system boundary of the chunk store: creating the file a chunk is written to and the
 * disk figures. It exists so that tests can make a real write fail with ENOSPC half-way
 * through a chunk, which no real disk does on demand; everything else (rename, fsync of
 * directories, reads) goes to the real file system.
 */
public interface ChunkFileSystem {
    ChunkOutput create(Path path) throws IOException;

    /**
     * A channel that reads a chunk file's data with O_DIRECT, at offsets and lengths that are
     * multiples of {@link StagingBuffers#ALIGNED}'s alignment, into its buffers; or null, and the
     * data is read through the page cache like the rest of the file (the default, and where the
     * file system refuses O_DIRECT).
     */
    default FileChannel openDirectRead(Path path) throws IOException {
        return null;
    }

    long usableSpace(Path dir) throws IOException;

    long totalSpace(Path dir) throws IOException;

    /** The real local file system, chunks written (and long ranges read) with O_DIRECT where it supports that. */
    static ChunkFileSystem local() {
        return Local.DIRECT;
    }

    /** The real local file system, chunks written and read through the page cache only. */
    static ChunkFileSystem localBuffered() {
        return Local.BUFFERED;
    }

    final class Local implements ChunkFileSystem {
        static final Local DIRECT = new Local(true, FileChannel::open);
        static final Local BUFFERED = new Local(false, FileChannel::open);
        private static final Logger LOG = Logger.getLogger(ChunkFileSystem.class.getName());
        private static final AtomicBoolean WARNED = new AtomicBoolean();

        private final boolean direct;
        private final Opener opener;
        /**
         * Each directory's file store, found once: {@code Files.getFileStore} reads and parses
         * /proc/mounts on every call (~0.2 ms, and a put made two or three such calls), while the
         * store's figures are read afresh from the file system (statvfs) each time they are asked.
         */
        private final ConcurrentHashMap<Path, FileStore> stores = new ConcurrentHashMap<>();
        /** File stores that refused O_DIRECT (a write's or a read's), so no put or read there tries (and fails) again. */
        private final Set<FileStore> refuseDirect = ConcurrentHashMap.newKeySet();

        /** How files are opened: {@code FileChannel::open}, or a test's refusal of O_DIRECT. */
        interface Opener {
            FileChannel open(Path path, OpenOption... options) throws IOException;
        }

        Local(boolean direct, Opener opener) {
            this.direct = direct;
            this.opener = opener;
        }

        @Override
        public ChunkOutput create(Path path) throws IOException {
            if (direct) {
                ChunkOutput out = tryDirect(path);
                if (out != null) {
                    return out;
                }
            }
            return buffered(opener.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        }

        /** An O_DIRECT output, or null where the file system refuses O_DIRECT (tmpfs) or its blocks do not fit. */
        private ChunkOutput tryDirect(Path path) throws IOException {
            if (!directFits(path.getParent())) {
                return null;
            }
            try {
                return new DirectChunkOutput(opener.open(path, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT),
                        () -> opener.open(path, StandardOpenOption.WRITE), StagingBuffers.ALIGNED);
            } catch (FileAlreadyExistsException e) {
                throw e;
            } catch (IOException | UnsupportedOperationException e) {
                // Linux creates the file before it refuses O_DIRECT; the name is a fresh temp name, ours to remove.
                Files.deleteIfExists(path);
                return refused(path, e);
            }
        }

        @Override
        public FileChannel openDirectRead(Path path) throws IOException {
            if (!direct || !directFits(path.getParent())) {
                return null;
            }
            try {
                return opener.open(path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException | UnsupportedOperationException e) {
                return refused(path, e);
            }
        }

        /** Whether O_DIRECT may be tried in {@code dir}: its file store has not refused it and its blocks fit the alignment. */
        private boolean directFits(Path dir) throws IOException {
            if (refuseDirect.contains(store(dir))) {
                return false;
            }
            long block = store(dir).getBlockSize();
            if (block <= 0 || block > StagingBuffers.ALIGNED.alignment() || StagingBuffers.ALIGNED.alignment() % block != 0) {
                warnOnce("block size of " + dir + " does not divide " + StagingBuffers.ALIGNED.alignment());
                return false;
            }
            return true;
        }

        /**
         * An O_DIRECT open of {@code path} failed: this one goes through the page cache (null). A
         * file system without O_DIRECT (EINVAL, as tmpfs answers) is remembered; anything else (too
         * many open files, say) may pass, so the next put or read tries again.
         */
        private <T> T refused(Path path, Exception e) throws IOException {
            if (e instanceof UnsupportedOperationException
                    || e instanceof FileSystemException f && "Invalid argument".equals(f.getReason())) {
                refuseDirect.add(store(path.getParent()));
            }
            warnOnce(path.getParent() + " refuses O_DIRECT (" + e + ")");
            return null;
        }

        private static void warnOnce(String why) {
            if (WARNED.compareAndSet(false, true)) {
                LOG.warning("chunks are written or read through the page cache: " + why);
            }
        }

        private static ChunkOutput buffered(FileChannel ch) {
            return new ChunkOutput() {
                @Override
                public void write(ByteBuffer src) throws IOException {
                    while (src.hasRemaining()) {
                        ch.write(src);
                    }
                }

                @Override
                public void finish(ByteBuffer last) throws IOException {
                    write(last); // nothing else is held back
                }

                @Override
                public void sync() throws IOException {
                    // force(true): the size is metadata a reader needs (the trailer sits at the end).
                    ch.force(true);
                }

                @Override
                public void close() throws IOException {
                    ch.close();
                }
            };
        }

        @Override
        public long usableSpace(Path dir) throws IOException {
            return store(dir).getUsableSpace();
        }

        @Override
        public long totalSpace(Path dir) throws IOException {
            return store(dir).getTotalSpace();
        }

        private FileStore store(Path dir) throws IOException {
            FileStore store = stores.get(dir);
            if (store == null) {
                store = Files.getFileStore(dir);
                stores.putIfAbsent(dir, store);
            }
            return store;
        }
    }
}
