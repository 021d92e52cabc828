package dev.kos.gateway;

import dev.kos.events.OutboxRelay;
import dev.kos.metadata.Database;
import dev.kos.ring.HashRing;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/** The gateway's readiness checks: PostgreSQL, Kafka and the active storage nodes. */
public final class Readiness {
    private Readiness() {
    }

    public static ReadinessCheck postgres(Database db) {
        return check("postgresql", () -> db.isHealthy()
                ? ReadinessCheck.Result.up("up", null)
                : ReadinessCheck.Result.down("down", "no connection within 2 s"));
    }

    /** Ready when at least one node is in the ring; the detail is the active node count. */
    public static ReadinessCheck storageNodes(Supplier<HashRing> ring) {
        return check("storage_nodes", () -> {
            int active = ring.get().members().size();
            return active > 0
                    ? ReadinessCheck.Result.up("up", Map.of("active", active, "ring_epoch", ring.get().epoch()))
                    : ReadinessCheck.Result.down("no_active_nodes", Map.of("active", 0, "ring_epoch", ring.get().epoch()));
        });
    }

    /**
     * The outbox relay: whether this process publishes (or stands by for another gateway) and
     * the age of the oldest unpublished event. Not ready when that age passes {@code maxLag}:
     * nothing is lost, but uploads would wait out the completion bound and answer 202.
     */
    public static ReadinessCheck outbox(OutboxRelay relay, Duration maxLag) {
        return check("outbox_relay", () -> {
            Duration lag = relay.lag();
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("role", relay.isActive() ? "publishing" : "standby");
            detail.put("lag_ms", lag.toMillis());
            detail.put("published", relay.publishedCount());
            detail.put("rounds", relay.roundCount());
            detail.put("failures", relay.failureCount());
            return lag.compareTo(maxLag) <= 0
                    ? ReadinessCheck.Result.up("up", detail)
                    : ReadinessCheck.Result.down("lagging", detail);
        });
    }

    /** Asks the cluster for its nodes; an Admin client is cheap to keep and reconnects itself. */
    public static ReadinessCheck kafka(Admin admin, Duration timeout) {
        return check("kafka", () -> {
            try {
                int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                        .nodes().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS).size();
                return brokers > 0
                        ? ReadinessCheck.Result.up("up", Map.of("brokers", brokers))
                        : ReadinessCheck.Result.down("no_brokers", Map.of("brokers", 0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ReadinessCheck.Result.down("down", "interrupted");
            } catch (Exception e) {
                return ReadinessCheck.Result.down("down", String.valueOf(e.getMessage()));
            }
        });
    }

    public static Admin kafkaAdmin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        return Admin.create(p);
    }

    private static ReadinessCheck check(String name, Supplier<ReadinessCheck.Result> body) {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Result check() {
                return body.get();
            }
        };
    }
}
