package dev.kos.cleanup;

import dev.kos.config.GrpcBuffers;
import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.events.OutboxRelay;
import dev.kos.events.Topics;
import dev.kos.metadata.Database;
import dev.kos.metrics.MetricsServer;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/** Starts the cleanup worker (settings: see {@link CleanupConfig}); stops it cleanly on SIGTERM or Ctrl-C. */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        Logging.configure("cleanup-worker");
        GrpcBuffers.configure();
        Settings settings = Settings.from(args);
        CleanupConfig config = CleanupConfig.fromSettings(settings);
        int metricsPort = CleanupConfig.metricsPort(settings);
        Database db = Database.fromSettings(settings, "cleanup");
        // Every writer of the outbox runs a relay; one lock-holder publishes, the others stand by.
        OutboxRelay relay = OutboxRelay.start(db, config.bootstrapServers(), OutboxRelay.Options.fromSettings(settings));
        CleanupWorker worker = CleanupWorker.start(config, db, Topics.fromSettings(settings), Clock.systemUTC());
        MetricsServer metrics = metricsPort < 0 ? null
                : MetricsServer.start("0.0.0.0", metricsPort, CleanupMetrics.of(db, relay, worker));
        LOG.info("cleanup-worker started: kafka=" + config.bootstrapServers()
                + (metrics == null ? ", no metrics endpoint" : ", metrics=http://localhost:" + metrics.port() + "/metrics"));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            relay.close();
            if (metrics != null) {
                metrics.close();
            }
            db.close();
            // JUL may already be reset by the JDK's own shutdown hook; stderr always works.
            System.err.println("cleanup-worker stopped");
            stopped.countDown();
        }, "cleanup-shutdown"));
        stopped.await();
    }
}
