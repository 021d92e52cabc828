package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Settings;
import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {
    @Test
    void defaultIdNamesTheHostAndTheProcessSoGatewaysInContainersDiffer() throws Exception {
        String id = GatewayConfig.from(Settings.of(new String[0], Map.of())).gatewayId();
        String host = InetAddress.getLocalHost().getHostName();
        assertEquals("gateway-" + host.replaceAll("[^A-Za-z0-9_.-]", "-") + "-" + ProcessHandle.current().pid(), id);
        assertNotEquals("gateway-" + ProcessHandle.current().pid(), id);
    }

    @Test
    void anOperatorsIdWins() {
        GatewayConfig c = GatewayConfig.from(Settings.of(new String[0], Map.of("KOS_GATEWAY_ID", "gateway-eu-1")));
        assertEquals("gateway-eu-1", c.gatewayId());
        assertTrue(GatewayConfig.from(Settings.of(new String[] {"--gateway-id=g2"}, Map.of("KOS_GATEWAY_ID", "g1")))
                .gatewayId().equals("g2"), "a flag wins over the environment");
    }
}
