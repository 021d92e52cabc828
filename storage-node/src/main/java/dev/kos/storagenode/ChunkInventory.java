package dev.kos.storagenode;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Walks the stored chunks one at a time: the shard names are listed up front (at most a few
 * thousand), the chunks of one shard are streamed from the directory, so memory does not grow
 * with the number of chunks. Chunks put or deleted during the walk may or may not appear.
 */
public final class ChunkInventory implements Closeable {
    private final String prefix;
    private final Iterator<Path> shards;
    private DirectoryStream<Path> current;
    private Iterator<Path> files = Collections.emptyIterator();

    ChunkInventory(Path root, String prefix) {
        this.prefix = prefix;
        List<Path> matching = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path d : dirs) {
                String shard = d.getFileName().toString();
                if (ChunkId.isValid(shard) && shard.length() <= 2 && mayHold(shard) && Files.isDirectory(d)) {
                    matching.add(d);
                }
            }
        } catch (IOException e) {
            throw new ChunkStoreException.StorageFailure("cannot list " + root + ": " + e, e);
        }
        Collections.sort(matching);
        this.shards = matching.iterator();
    }

    /** The next chunk, or null at the end. */
    public ChunkInfo next() {
        while (true) {
            while (files.hasNext()) {
                Path f = files.next();
                String name = f.getFileName().toString();
                if (!ChunkId.isValid(name) || !name.startsWith(prefix)
                        || !new ChunkId(name).shard().equals(f.getParent().getFileName().toString())) {
                    continue;
                }
                ChunkInfo info = describe(new ChunkId(name), f);
                if (info != null) {
                    return info;
                }
            }
            closeCurrent();
            if (!shards.hasNext()) {
                return null;
            }
            Path shard = shards.next();
            try {
                current = Files.newDirectoryStream(shard);
                files = current.iterator();
            } catch (NoSuchFileException e) {
                files = Collections.emptyIterator();
            } catch (IOException e) {
                throw new ChunkStoreException.StorageFailure("cannot list " + shard + ": " + e, e);
            }
        }
    }

    @Override
    public void close() {
        closeCurrent();
    }

    private boolean mayHold(String shard) {
        // A shard holds the ids starting with it; a one-character shard holds only that id.
        return prefix.length() <= shard.length() ? shard.startsWith(prefix)
                : shard.length() == 2 && prefix.startsWith(shard);
    }

    private static ChunkInfo describe(ChunkId id, Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            try {
                ChunkFooter f = ChunkFooter.read(ch, id.value());
                return new ChunkInfo(id, f.length(), f.declared(), f.storedAtMs());
            } catch (ChunkStoreException.Corrupted e) {
                return new ChunkInfo(id, ch.size(), null, Files.getLastModifiedTime(file).toMillis());
            }
        } catch (NoSuchFileException e) {
            return null; // deleted during the walk
        } catch (IOException | UncheckedIOException e) {
            throw new ChunkStoreException.StorageFailure("cannot read " + file + ": " + e, e);
        }
    }

    private void closeCurrent() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // A directory stream holds no data.
            }
            current = null;
        }
        files = Collections.emptyIterator();
    }
}
