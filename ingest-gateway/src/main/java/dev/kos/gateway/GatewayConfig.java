package dev.kos.gateway;

import dev.kos.config.HostName;
import dev.kos.config.Settings;
import java.time.Duration;

/** The gateway's settings; {@link Main} documents each key and default. */
public record GatewayConfig(String host, int port, String gatewayId, long maxFileSize, int chunkSize,
                            long bufferMemory, Duration bufferWait, int putAttempts, Duration putTimeout,
                            Duration idleTimeout, Duration completionWait, int readStreams) {
    public static final long MIB = 1L << 20;
    public static final long DEFAULT_MAX_FILE_SIZE = 10L << 30;
    /** Measured (module README): upload speed rises with chunk size, download is flat from 16 MiB. */
    public static final int DEFAULT_CHUNK_SIZE = (int) (16 * MIB);
    public static final long DEFAULT_BUFFER_MEMORY = 256 * MIB;
    /** About 4 MiB each: ~100 MiB of frames at most, whatever the number of downloads. */
    public static final int DEFAULT_READ_STREAMS = 24;

    public GatewayConfig {
        if (chunkSize < 64 * 1024 || chunkSize > 256 * MIB) {
            throw new IllegalArgumentException("gateway.chunk-size must be 64KiB..256MiB, was " + chunkSize);
        }
        if (maxFileSize <= 0) {
            throw new IllegalArgumentException("gateway.max-file-size must be > 0");
        }
        if (putAttempts < 1) {
            throw new IllegalArgumentException("gateway.put-attempts must be >= 1");
        }
        if (readStreams < 1) {
            throw new IllegalArgumentException("gateway.read-streams must be >= 1, was " + readStreams);
        }
        if (bufferMemory < 2L * chunkSize) {
            throw new IllegalArgumentException("gateway.buffer-memory must hold at least two chunks ("
                    + 2L * chunkSize + " bytes)");
        }
    }

    public static GatewayConfig from(Settings s) {
        return new GatewayConfig(
                s.string("gateway.host", "0.0.0.0"),
                s.integer("gateway.port", 8080),
                s.string("gateway.id", defaultGatewayId()),
                s.bytes("gateway.max-file-size", DEFAULT_MAX_FILE_SIZE),
                Math.toIntExact(s.bytes("gateway.chunk-size", DEFAULT_CHUNK_SIZE)),
                s.bytes("gateway.buffer-memory", DEFAULT_BUFFER_MEMORY),
                s.duration("gateway.buffer-wait", Duration.ofSeconds(30)),
                s.integer("gateway.put-attempts", 3),
                s.duration("gateway.put-timeout", Duration.ofSeconds(60)),
                s.duration("gateway.idle-timeout", Duration.ofSeconds(60)),
                s.duration("gateway.completion-wait", Duration.ofSeconds(10)),
                s.integer("gateway.read-streams", DEFAULT_READ_STREAMS));
    }

    /**
     * gateway-&lt;host&gt;-&lt;pid&gt;: the pid alone is 1 in every container, so gateways in
     * containers or pods would all record the same id on their upload sessions; the host name is
     * the container's or the pod's.
     */
    static String defaultGatewayId() {
        return "gateway-" + HostName.forId("unknown") + "-" + ProcessHandle.current().pid();
    }

    /** Defaults with the given overrides, for tests and embedding. */
    public GatewayConfig withPort(int newPort) {
        return new GatewayConfig(host, newPort, gatewayId, maxFileSize, chunkSize, bufferMemory, bufferWait,
                putAttempts, putTimeout, idleTimeout, completionWait, readStreams);
    }
}
