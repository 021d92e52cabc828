package dev.kos.storageclient;

import java.time.Duration;

/**
 * How the gateway and workers talk to storage nodes.
 *
 * @param frameSize       bytes per data message of a put (the node expects 1 MiB frames)
 * @param readPrefetch    frames a reader asks for ahead of consumption; bounds read memory to
 *                        about {@code readPrefetch * frame size} per open stream
 * @param readIdleTimeout a read that waits this long for the next frame it asked for fails
 *                        with {@link NodeUnavailableException} (a stalled node, not a slow client)
 * @param callDeadline    deadline of unary calls (delete, health)
 * @param keepAliveTime   HTTP/2 ping interval, so a dead node is noticed on an idle channel
 * @param maxInboundMessageSize largest message accepted from a node (frames are 1 MiB)
 */
public record StorageClientConfig(int frameSize, int readPrefetch, Duration readIdleTimeout, Duration callDeadline,
                                  Duration keepAliveTime, int maxInboundMessageSize) {
    public static final int MIB = 1 << 20;

    public StorageClientConfig {
        if (frameSize < 1024 || frameSize > 2 * MIB) {
            throw new IllegalArgumentException("frameSize must be 1 KiB..2 MiB, was " + frameSize);
        }
        if (readPrefetch < 1) {
            throw new IllegalArgumentException("readPrefetch must be >= 1, was " + readPrefetch);
        }
        if (maxInboundMessageSize < frameSize + 1024) {
            throw new IllegalArgumentException("maxInboundMessageSize must exceed a frame");
        }
    }

    public static StorageClientConfig defaults() {
        return new StorageClientConfig(MIB, 3, Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofMinutes(6), 4 * MIB);
    }
}
