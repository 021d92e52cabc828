package dev.kos.embeddedkafka;

import dev.kos.config.Logging;
import dev.kos.config.Settings;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/**
 * Runs one embedded Kafka broker as its own process, for the local stack.
 *
 * <table>
 *   <caption>Settings (flag, environment variable, default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>kafka.port</td><td>--kafka-port / KOS_KAFKA_PORT</td><td>9092</td>
 *       <td>client port on 127.0.0.1; 0 picks a free one</td></tr>
 *   <tr><td>kafka.data-dir</td><td>--kafka-data-dir / KOS_KAFKA_DATA_DIR</td><td>./data/kafka</td>
 *       <td>logs and metadata; formatted on first start, reused after</td></tr>
 * </table>
 *
 * <p>Prints {@code KAFKA_BOOTSTRAP_SERVERS=host:port} on stdout once the broker serves clients,
 * so a launcher script can wait for that line. Stops cleanly (logs flushed) on SIGTERM or SIGINT.
 */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        Logging.configure("embedded-kafka");
        Settings settings = Settings.from(args);
        int port = settings.integer("kafka.port", 9092);
        Path dataDir = Path.of(settings.string("kafka.data-dir", "./data/kafka"));
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, port);
        CountDownLatch stopped = new CountDownLatch(1);
        // The JVM runs shutdown hooks on SIGTERM; waiting for the latch keeps the hook from
        // returning before the broker flushed its logs.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping kafka broker");
            broker.close();
            // The JDK resets java.util.logging in its own shutdown hook, racing this one, so the
            // broker's "stopped" log line may be lost: say it on stderr directly.
            System.err.println("kafka broker " + broker.bootstrapServers() + " stopped");
            stopped.countDown();
        }, "kafka-shutdown"));
        System.out.println("KAFKA_BOOTSTRAP_SERVERS=" + broker.bootstrapServers());
        System.out.flush();
        stopped.await();
    }
}
