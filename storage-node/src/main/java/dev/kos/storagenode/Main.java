package dev.kos.storagenode;

import dev.kos.config.GrpcBuffers;
import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.membership.MembershipConfig;
import dev.kos.membership.NodeHeartbeater;
import dev.kos.membership.NodeIdentity;
import dev.kos.membership.NodeReport;
import dev.kos.membership.NodeRepository;
import dev.kos.metadata.Database;
import dev.kos.metrics.MetricsServer;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Runs one storage node until SIGTERM or Ctrl-C, then drains it. Settings: see
 * {@link StorageNodeConfig}; with {@code db.url} (KOS_DB_URL) set, the node also registers in
 * the metadata database and heartbeats there (membership.* settings, see MembershipConfig), which
 * is how it joins the ring. Without it the node serves alone, outside any ring (tests, tools).
 */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        Logging.configure("storage-node");
        GrpcBuffers.configure();
        Settings settings;
        StorageNodeConfig config;
        MembershipConfig membership;
        int metricsPort;
        try {
            settings = Settings.from(args);
            config = StorageNodeConfig.fromSettings(settings);
            membership = MembershipConfig.fromSettings(settings);
            metricsPort = StorageNodeConfig.metricsPort(settings);
        } catch (IllegalArgumentException e) {
            System.err.println("storage-node: " + e.getMessage());
            System.exit(2);
            return;
        }
        // The metadata database first: a node that cannot reach it must exit (so that whatever
        // runs it starts it again), not serve gRPC beside a ring it never joins. Once running, a
        // lost database only fails heartbeats, which retry.
        Optional<String> dbUrl = settings.optional("db.url");
        Database db = dbUrl.map(url -> Database.connect(url, settings.string("db.user", "postgres"),
                settings.string("db.password", ""), 2, "node-" + config.nodeId())).orElse(null); // a heartbeat and a spare
        StorageNodeServer node = StorageNodeServer.start(config);
        LOG.info("storage node " + node.nodeId() + " serving on port " + node.port() + " (advertised as "
                + node.advertisedAddress() + "), data dir " + node.dataDir());
        MetricsServer metrics = null;
        if (metricsPort >= 0) {
            try {
                metrics = MetricsServer.start(config.bindAddress(), metricsPort, node.metrics());
            } catch (IllegalStateException e) {
                node.close();
                throw e;
            }
            LOG.info("storage node " + node.nodeId() + " metrics on http://" + config.bindAddress() + ":" + metrics.port()
                    + "/metrics");
        }

        NodeHeartbeater heartbeater = null;
        if (db != null) {
            heartbeater = new NodeHeartbeater(new NodeRepository(db),
                    NodeIdentity.of(node.nodeId(), node.advertisedAddress()), () -> report(node.stats()), membership).start();
        } else {
            LOG.warning("no db.url: node " + node.nodeId() + " serves standalone and joins no ring");
        }
        NodeHeartbeater finalHeartbeater = heartbeater;
        MetricsServer finalMetrics = metrics;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            if (finalMetrics != null) {
                finalMetrics.close(); // after the node: a scrape while it drains still answers
            }
            if (finalHeartbeater != null) {
                finalHeartbeater.close();
            }
            if (db != null) {
                db.close();
            }
        }, "storage-node-shutdown"));
        node.awaitTermination();
    }

    static NodeReport report(NodeStats s) {
        return new NodeReport(s.diskTotal(), s.diskFree(), s.chunkCount());
    }
}
