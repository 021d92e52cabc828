package dev.kos.storagenode;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A real storage node on loopback plus a client channel to it. */
final class TestNode implements AutoCloseable {
    final StorageNodeServer server;
    final ManagedChannel channel;
    final ChunkClient client;

    TestNode(StorageNodeServer server) {
        this.server = server;
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                .maxInboundMessageSize(4 * 1024 * 1024).build();
        this.client = new ChunkClient(channel);
    }

    static TestNode start(Path dir) {
        return new TestNode(StorageNodeServer.start(StorageNodeConfig.loopback("test-node", dir)));
    }

    static TestNode start(StorageNodeConfig config, ChunkFileSystem fs) {
        return new TestNode(StorageNodeServer.start(config, fs));
    }

    Path dataDir() {
        return server.dataDir();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }
}
