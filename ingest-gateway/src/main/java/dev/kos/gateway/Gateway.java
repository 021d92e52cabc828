package dev.kos.gateway;

import dev.kos.membership.NodeRepository;
import dev.kos.storageclient.StorageNodeClients;
import java.util.List;

/**
 * Everything the HTTP layer needs, wired once by {@link Main} (or by a test): no DI container,
 * just this record.
 */
public record Gateway(GatewayConfig config, FileCatalog catalog, NodeRepository nodeRepository, NodeDirectory nodes,
                      StorageNodeClients clients,
                      UploadPipeline pipeline,
                      ChunkStreamer streamer, IdleWatchdog watchdog, List<ReadinessCheck> readiness,
                      GatewayMetrics metrics) {
    public Gateway {
        readiness = List.copyOf(readiness);
    }
}
