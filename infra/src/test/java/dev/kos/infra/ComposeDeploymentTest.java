package dev.kos.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The deployment files, run for real: {@code infra/docker/compose-test.sh} builds the kos image
 * from the distribution this build packaged, starts {@code infra/compose/compose.yaml} with
 * podman, uploads a file of three chunks, downloads it byte for byte, checks that every storage
 * node holds chunks (small files follow until each does: where one file's three chunks land is
 * chance), restarts the whole deployment and downloads it again. Runs with
 * {@code -Pcontainers} (CI runs it); the script's output is this test's.
 */
@Tag("containers")
class ComposeDeploymentTest {
    @Test
    void composeDeploymentStoresAndServesAFileAcrossARestart() throws IOException, InterruptedException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path script = root.resolve("infra/docker/compose-test.sh");
        Path log = Path.of("target/compose-test.log").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString())
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // The broker's jars for the Kafka stand-in: this test's class path has them (infra
        // depends on embedded-kafka), so the script builds nothing itself.
        pb.environment().put("KOS_COMPOSE_TEST_KAFKA_LIBS", System.getProperty("java.class.path"));
        Process p = pb.start();
        boolean ended = p.waitFor(15, TimeUnit.MINUTES);
        if (!ended) {
            p.destroy();
            p.waitFor(60, TimeUnit.SECONDS); // the script's trap takes the stack down
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        System.out.println(output);
        assertTrue(ended, "compose-test.sh still ran after 15 minutes:\n" + output);
        assertEquals(0, p.exitValue(), "compose-test.sh failed:\n" + output);
        assertTrue(output.contains("compose-test: passed: upload, download, chunks on all of node-1 node-2 node-3,"),
                output);
    }
}
