package dev.kos.storagenode;

import dev.kos.config.Logging;
import dev.kos.config.Settings;
import java.util.logging.Logger;

/**
 * Runs one storage node until SIGTERM or Ctrl-C, then drains it. Settings: see
 * {@link StorageNodeConfig}.
 */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        Logging.configure("storage-node");
        StorageNodeConfig config;
        try {
            config = StorageNodeConfig.fromSettings(Settings.from(args));
        } catch (IllegalArgumentException e) {
            System.err.println("storage-node: " + e.getMessage());
            System.exit(2);
            return;
        }
        StorageNodeServer node = StorageNodeServer.start(config);
        LOG.info("storage node " + node.nodeId() + " serving on port " + node.port() + " (advertised as "
                + node.advertisedAddress() + "), data dir " + node.dataDir());
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "storage-node-shutdown"));
        node.awaitTermination();
    }
}
