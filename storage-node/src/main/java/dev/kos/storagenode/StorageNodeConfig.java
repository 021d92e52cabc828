package dev.kos.storagenode;

import dev.kos.config.HostName;
import dev.kos.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A storage node's settings.
 *
 * <table>
 * <caption>Settings (flag {@code --node-port=50051} or environment {@code KOS_NODE_PORT})</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>node.id</td><td>{@code <hostname>-<port>}</td><td>stable identity in the ring and metadata;
 *     1-64 of [A-Za-z0-9_.-]</td></tr>
 * <tr><td>node.data-dir</td><td>./data/node</td><td>where chunks live; one node per dir (locked)</td></tr>
 * <tr><td>node.port</td><td>50051</td><td>gRPC port; 0 picks a free one</td></tr>
 * <tr><td>node.bind-address</td><td>0.0.0.0</td><td>interface the gRPC server listens on</td></tr>
 * <tr><td>node.advertised-address</td><td>localhost:&lt;port&gt;</td><td>host:port others dial</td></tr>
 * <tr><td>node.reserve-bytes</td><td>1GiB</td><td>free space never filled with chunks (room for the OS,
 *     logs and a put's table); puts that would dip into it get RESOURCE_EXHAUSTED</td></tr>
 * <tr><td>node.max-chunk-bytes</td><td>4GiB</td><td>largest chunk accepted (the block table of a put is
 *     held in memory: 4 bytes per 64 KiB)</td></tr>
 * <tr><td>node.shutdown-grace</td><td>10s</td><td>how long in-flight streams may run after a stop request</td></tr>
 * <tr><td>node.direct-io</td><td>true</td><td>write chunks, and read ranges longer than 1 MiB, with
 *     O_DIRECT (no copy into or out of the page cache; shorter reads go through it, so small chunks
 *     read often stay cached; a file system without O_DIRECT, such as tmpfs, falls back to the page
 *     cache); false: everything through the page cache. Either way a chunk is fsynced before it is
 *     acknowledged</td></tr>
 * <tr><td>node.metrics-port</td><td>9464</td><td>GET /metrics (Prometheus' text format) on the bind
 *     address; 0 picks a free port, -1 serves none. Read by {@link Main} ({@link #metricsPort}), not part
 *     of this record: a server started in code has no endpoint of its own</td></tr>
 * </table>
 *
 * @param advertisedAddress null means "localhost:" plus the port actually bound
 */
public record StorageNodeConfig(String nodeId, Path dataDir, int port, String advertisedAddress, long reserveBytes,
        Duration shutdownGrace, String bindAddress, long maxChunkBytes, boolean directIo) {
    public static final int DEFAULT_PORT = 50051;
    public static final long DEFAULT_RESERVE_BYTES = 1L << 30;
    public static final long DEFAULT_MAX_CHUNK_BYTES = 4L << 30;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    public static final int DEFAULT_METRICS_PORT = 9464;
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    public StorageNodeConfig {
        if (nodeId == null || !NODE_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("node id '" + nodeId + "' must be 1-64 characters of [A-Za-z0-9_.-]");
        }
        if (dataDir == null) {
            throw new IllegalArgumentException("node data dir is required");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("node port " + port + " is outside 0-65535");
        }
        if (reserveBytes < 0) {
            throw new IllegalArgumentException("node reserve bytes must be >= 0, got " + reserveBytes);
        }
        if (maxChunkBytes <= 0) {
            throw new IllegalArgumentException("node max chunk bytes must be > 0, got " + maxChunkBytes);
        }
        if (shutdownGrace == null || shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("node shutdown grace must be >= 0");
        }
        if (bindAddress == null || bindAddress.isBlank()) {
            bindAddress = "0.0.0.0";
        }
        if (advertisedAddress != null && advertisedAddress.isBlank()) {
            advertisedAddress = null;
        }
    }

    /** With the default write path (O_DIRECT where supported). */
    public StorageNodeConfig(String nodeId, Path dataDir, int port, String advertisedAddress, long reserveBytes,
            Duration shutdownGrace, String bindAddress, long maxChunkBytes) {
        this(nodeId, dataDir, port, advertisedAddress, reserveBytes, shutdownGrace, bindAddress, maxChunkBytes, true);
    }

    /** A node on loopback, any free port, no reserve: for tests and the local stack. */
    public static StorageNodeConfig loopback(String nodeId, Path dataDir) {
        return new StorageNodeConfig(nodeId, dataDir, 0, null, 0, Duration.ofSeconds(5), "127.0.0.1",
                DEFAULT_MAX_CHUNK_BYTES);
    }

    public StorageNodeConfig withReserveBytes(long bytes) {
        return new StorageNodeConfig(nodeId, dataDir, port, advertisedAddress, bytes, shutdownGrace, bindAddress,
                maxChunkBytes, directIo);
    }

    public StorageNodeConfig withDirectIo(boolean direct) {
        return new StorageNodeConfig(nodeId, dataDir, port, advertisedAddress, reserveBytes, shutdownGrace, bindAddress,
                maxChunkBytes, direct);
    }

    public static StorageNodeConfig fromSettings(Settings s) {
        int port = s.integer("node.port", DEFAULT_PORT);
        return new StorageNodeConfig(
                s.string("node.id", defaultNodeId(port)),
                Path.of(s.string("node.data-dir", "./data/node")),
                port,
                s.string("node.advertised-address", port == 0 ? "" : "localhost:" + port),
                s.bytes("node.reserve-bytes", DEFAULT_RESERVE_BYTES),
                s.duration("node.shutdown-grace", DEFAULT_SHUTDOWN_GRACE),
                s.string("node.bind-address", "0.0.0.0"),
                s.bytes("node.max-chunk-bytes", DEFAULT_MAX_CHUNK_BYTES),
                s.bool("node.direct-io", true));
    }

    /** node.metrics-port: where Main serves /metrics, 0 for any free port, -1 for no endpoint. */
    public static int metricsPort(Settings s) {
        int port = s.integer("node.metrics-port", DEFAULT_METRICS_PORT);
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("node metrics port " + port + " is outside 0-65535 (or -1 for none)");
        }
        return port;
    }

    static String defaultNodeId(int port) {
        String id = HostName.forId("node") + "-" + port;
        return id.length() <= 64 ? id : id.substring(id.length() - 64);
    }
}
