package dev.kos.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Settings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageTest {
    @TempDir
    Path dir;

    @Test
    void helpPrintsEverySettingAndStartsNothing() throws Exception {
        Path home = dir.resolve("home");
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            LocalStack.main(new String[] {"--home=" + home, "--help"});
        } finally {
            System.setOut(out);
        }
        String usage = printed.toString(StandardCharsets.UTF_8);
        for (String flag : new String[] {"--home", "--reset", "--gateway-port", "--kafka-port", "--node-base-port", "--nodes",
                "--min-free-disk", "--db-url", "--kafka-bootstrap", "--cleanup-metrics-port", "--node-metrics-base-port"}) {
            assertTrue(usage.contains(flag + " / KOS_"), () -> flag + " missing from:\n" + usage);
        }
        assertFalse(Files.exists(home), "--help must not create the home dir or start anything");
    }

    @Test
    void theDefaultsPrintedAreTheDefaultsUsed() {
        StackConfig c = StackConfig.from(Settings.of(new String[0], Map.of()));
        assertEquals(8080, c.gatewayPort());
        assertEquals(9092, c.kafkaPort());
        assertEquals(17101, c.nodeBasePort());
        assertEquals(6, c.nodes());
        assertEquals(2L << 30, c.minFreeDisk());
        assertTrue(StackConfig.USAGE.contains("--nodes / KOS_NODES                  6 "));
        assertTrue(StackConfig.USAGE.contains("KOS_GATEWAY_PORT    8080 "));
        assertTrue(StackConfig.USAGE.contains("KOS_KAFKA_PORT        9092 "));
        assertTrue(StackConfig.USAGE.contains("KOS_NODE_BASE_PORT 17101 "));
        assertTrue(StackConfig.USAGE.contains("KOS_MIN_FREE_DISK  2GiB "));
    }
}
