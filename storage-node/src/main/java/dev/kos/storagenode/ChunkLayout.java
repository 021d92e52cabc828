package dev.kos.storagenode;

import java.nio.file.Path;
import java.util.UUID;

/**
 * Where things live under the data dir: chunks at {@code <data>/<first two chars>/<id>},
 * puts in progress at {@code <data>/.tmp/<id>.<random>}, the owner's lock at
 * {@code <data>/.lock}. Names starting with '.' cannot collide with chunk ids or shards
 * (ids have no '.').
 */
final class ChunkLayout {
    static final String TMP = ".tmp";
    static final String LOCK = ".lock";

    private final Path root;

    ChunkLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    Path tmpDir() {
        return root.resolve(TMP);
    }

    Path lockFile() {
        return root.resolve(LOCK);
    }

    Path shardDir(ChunkId id) {
        return root.resolve(id.shard());
    }

    Path chunkFile(ChunkId id) {
        return shardDir(id).resolve(id.value());
    }

    Path newTempFile(ChunkId id) {
        return tmpDir().resolve(id.value() + "." + UUID.randomUUID());
    }
}
