package dev.kos.placement;

import dev.kos.config.GrpcBuffers;
import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.events.OutboxRelay;
import dev.kos.events.Topics;
import dev.kos.membership.MembershipConfig;
import dev.kos.membership.NodeRegistry;
import dev.kos.membership.NodeRepository;
import dev.kos.metadata.Database;
import dev.kos.placement.rebalance.RebalanceConfig;
import dev.kos.placement.rebalance.Rebalancer;
import dev.kos.storageclient.StorageNodeClients;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/** Starts the placement service; stops it cleanly on SIGTERM or Ctrl-C. */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        Logging.configure("placement-service");
        GrpcBuffers.configure();
        Settings settings = Settings.from(args);
        PlacementConfig config = PlacementConfig.fromSettings(settings);
        Database db = Database.fromSettings(settings, "placement");
        // Every writer of the outbox runs a relay; one lock-holder publishes, the others stand by.
        OutboxRelay relay = OutboxRelay.start(db, config.bootstrapServers(), OutboxRelay.Options.fromSettings(settings));
        PlacementService service = PlacementService.start(config, db, Topics.fromSettings(settings));
        // Rebalancing: moves chunks to their ring owners after membership changes (see Rebalancer).
        RebalanceConfig rebalance = RebalanceConfig.fromSettings(settings);
        NodeRepository nodes = new NodeRepository(db);
        NodeRegistry registry = new NodeRegistry(nodes, MembershipConfig.fromSettings(settings)).start();
        StorageNodeClients clients = new StorageNodeClients();
        Rebalancer rebalancer = rebalance.enabled() ? Rebalancer.start(rebalance, db, registry, nodes, clients) : null;
        HealthEndpoint health = HealthEndpoint.start(config.healthPort(), service, relay, rebalancer,
                PlacementMetrics.of(db, service, relay, rebalancer));
        LOG.info("placement-service started: kafka=" + config.bootstrapServers() + " state-dir=" + config.stateDir()
                + " health=http://localhost:" + health.port() + "/health metrics=http://localhost:" + health.port() + "/metrics");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            health.close();
            if (rebalancer != null) {
                rebalancer.close();
            }
            registry.close();
            clients.close();
            service.close();
            relay.close();
            db.close();
            stopped.countDown();
        }, "placement-shutdown"));
        stopped.await();
    }
}
