package dev.kos.storagenode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file-system boundary of the chunk store: creating the file a chunk is written to and the
 * disk figures. It exists so that tests can make a real write fail with ENOSPC half-way
 * through a chunk, which no real disk does on demand; everything else (rename, fsync of
 * directories, reads) goes to the real file system.
 */
public interface ChunkFileSystem {
    ChunkOutput create(Path path) throws IOException;

    long usableSpace(Path dir) throws IOException;

    long totalSpace(Path dir) throws IOException;

    /** The real local file system. */
    static ChunkFileSystem local() {
        return Local.INSTANCE;
    }

    final class Local implements ChunkFileSystem {
        static final Local INSTANCE = new Local();

        private Local() {
        }

        @Override
        public ChunkOutput create(Path path) throws IOException {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return new ChunkOutput() {
                @Override
                public void write(ByteBuffer src) throws IOException {
                    while (src.hasRemaining()) {
                        ch.write(src);
                    }
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
            return Files.getFileStore(dir).getUsableSpace();
        }

        @Override
        public long totalSpace(Path dir) throws IOException {
            return Files.getFileStore(dir).getTotalSpace();
        }
    }
}
