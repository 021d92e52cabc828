package dev.kos.infra;

import dev.kos.config.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where and how the local stack runs.
 *
 * <table>
 *   <caption>Settings (flag / environment / default)</caption>
 *   <tr><td>--home / KOS_HOME</td><td>.kos</td><td>all data and logs: postgres/, kafka/, node-N/, logs/</td></tr>
 *   <tr><td>--reset / KOS_RESET</td><td>false</td><td>wipe the home dir first</td></tr>
 *   <tr><td>--gateway-port / KOS_GATEWAY_PORT</td><td>8080</td><td>HTTP API</td></tr>
 *   <tr><td>(gateway port + 1)</td><td>8081</td><td>the placement service's GET /health</td></tr>
 *   <tr><td>--kafka-port / KOS_KAFKA_PORT</td><td>9092</td><td>embedded Kafka broker</td></tr>
 *   <tr><td>--node-base-port / KOS_NODE_BASE_PORT</td><td>50051</td><td>storage node i listens on base + i</td></tr>
 *   <tr><td>--nodes / KOS_NODES</td><td>6</td><td>storage nodes to start</td></tr>
 *   <tr><td>--db-url / KOS_DB_URL</td><td>(embedded)</td><td>use this PostgreSQL instead of the embedded one</td></tr>
 *   <tr><td>--kafka-bootstrap / KOS_KAFKA_BOOTSTRAP</td><td>(embedded)</td><td>use this Kafka instead of the embedded one</td></tr>
 * </table>
 */
record StackConfig(Path home, boolean reset, int gatewayPort, int kafkaPort, int nodeBasePort, int nodes,
                   long minFreeDisk, Settings settings) {

    static StackConfig from(Settings s) {
        return new StackConfig(
                Path.of(s.string("home", ".kos")).toAbsolutePath(),
                s.bool("reset", false),
                s.integer("gateway.port", 8080),
                s.integer("kafka.port", 9092),
                s.integer("node.base-port", 50051),
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

    List<Integer> fixedPorts() {
        List<Integer> ports = new ArrayList<>();
        ports.add(gatewayPort);
        ports.add(placementHealthPort());
        if (embeddedKafka()) {
            ports.add(kafkaPort);
        }
        for (int i = 0; i < nodes; i++) {
            ports.add(nodeBasePort + i);
        }
        return ports;
    }
}
