package dev.kos.cleanup;

import dev.kos.storagenode.StorageNodeConfig;
import dev.kos.storagenode.StorageNodeServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** A real storage node on loopback that can be stopped and brought back on the same port and disk. */
final class TestNode implements AutoCloseable {
    final String id;
    final Path dataDir;
    private int port;
    private StorageNodeServer server;

    TestNode(String id, Path dataDir) {
        this.id = id;
        this.dataDir = dataDir;
        this.server = StorageNodeServer.start(StorageNodeConfig.loopback(id, dataDir));
        this.port = server.port();
    }

    String address() {
        return "localhost:" + port;
    }

    void stop() {
        server.close();
        server = null;
    }

    /** Same id, port and data dir: to the cluster it is the same node coming back. */
    void restart() {
        server = StorageNodeServer.start(new StorageNodeConfig(id, dataDir, port, null, 0, Duration.ofSeconds(5), "127.0.0.1",
                StorageNodeConfig.DEFAULT_MAX_CHUNK_BYTES));
    }

    /** Chunk ids on the node's disk, read from the data dir itself (shards are {@code <2 chars>/<id>}). */
    Set<String> chunksOnDisk() {
        try (Stream<Path> files = Files.walk(dataDir, 2)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> !p.getParent().equals(dataDir) && !p.getParent().getFileName().toString().startsWith("."))
                    .map(p -> p.getFileName().toString())
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            stop();
        }
    }
}
