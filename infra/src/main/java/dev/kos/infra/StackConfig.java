package dev.kos.infra;

import dev.kos.config.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where and how the local stack runs: the settings in {@link #USAGE}. */
record StackConfig(Path home, boolean reset, int gatewayPort, int kafkaPort, int nodeBasePort, int nodes,
                   long minFreeDisk, Settings settings) {

    /** What {@code bin/start --help} prints: every setting as flag, environment variable and default. */
    static final String USAGE = """
            Usage: bin/start [--name=value ...]   (each flag also reads from its environment variable)

              --home / KOS_HOME                    .kos    all data and logs: postgres/, kafka/, node-N/, logs/
              --reset / KOS_RESET                  false   wipe the home dir first
              --gateway-port / KOS_GATEWAY_PORT    8080    HTTP API and its /metrics (the placement service's /health
                                                           and /metrics on port + 1, the cleanup worker's /metrics on + 2)
              --kafka-port / KOS_KAFKA_PORT        9092    embedded Kafka broker
              --node-base-port / KOS_NODE_BASE_PORT 17101  storage node i listens on base + i - 1
              --cleanup-metrics-port / KOS_CLEANUP_METRICS_PORT   gateway port + 2   the cleanup worker's /metrics
              --node-metrics-base-port / KOS_NODE_METRICS_BASE_PORT   node base port + 100   node i's /metrics on
                                                           this + i - 1
              --nodes / KOS_NODES                  6       storage nodes to start
              --min-free-disk / KOS_MIN_FREE_DISK  2GiB    refuse to start with less free disk under the home dir
              --db-url / KOS_DB_URL                (embedded) use this PostgreSQL instead of the embedded one
              --kafka-bootstrap / KOS_KAFKA_BOOTSTRAP (embedded) use this Kafka instead of the embedded one

            Services read their own settings from KOS_* variables too (e.g. KOS_GATEWAY_CHUNK_SIZE):
            see each module's Config class and docs/operations.md.
            """;

    static StackConfig from(Settings s) {
        return new StackConfig(
                Path.of(s.string("home", ".kos")).toAbsolutePath(),
                s.bool("reset", false),
                s.integer("gateway.port", 8080),
                s.integer("kafka.port", 9092),
                // Below Linux's ephemeral ports (32768-60999): with gRPC's usual 50051 the six nodes'
                // ports sat among those outgoing connections take, and a start now and then found
                // one taken ("node-2 cannot listen on 0.0.0.0:50052: Address already in use").
                s.integer("node.base-port", 17101),
                s.integer("nodes", 6),
                s.bytes("min-free-disk", 2L << 30),
                s);
    }

    boolean embeddedKafka() {
        return settings.optional("kafka.bootstrap").isEmpty();
    }

    /** Next to the gateway's, so two stacks on one machine (tests, benchmarks) never collide. */
    int placementHealthPort() {
        return gatewayPort + 1;
    }

    /** The cleanup worker's /metrics: next to the placement service's port unless set (tests put their Kafka there). */
    int cleanupMetricsPort() {
        return settings.integer("cleanup.metrics-port", gatewayPort + 2);
    }

    /** Storage node i's (1-based) gRPC port. */
    int nodePort(int i) {
        return nodeBasePort + i - 1;
    }

    /** Storage node i's /metrics: a block of its own, 100 above the nodes' gRPC ports. */
    int nodeMetricsPort(int i) {
        return settings.integer("node.metrics-base-port", nodeBasePort + 100) + i - 1;
    }

    /** Every port the stack listens on from the start, each checked free before anything starts. */
    List<Integer> fixedPorts() {
        List<Integer> ports = new ArrayList<>();
        ports.add(gatewayPort);
        ports.add(placementHealthPort());
        ports.add(cleanupMetricsPort());
        if (embeddedKafka()) {
            ports.add(kafkaPort);
        }
        for (int i = 1; i <= nodes; i++) {
            ports.add(nodePort(i));
            ports.add(nodeMetricsPort(i));
        }
        return ports;
    }
}
