package dev.kos.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every process must place a key on the same node, today and after an upgrade: a separate JVM
 * computes the same placements, and golden values pin the hash and the ring layout.
 */
class RingDeterminismTest {
    // Computed once with this implementation. If one of these changes, every stored chunk would
    // suddenly be looked for on the wrong node: do not "fix" the test, fix the change.
    static final String GOLDEN_DIGEST_10K_KEYS_6_NODES = "dd738acf94a4e62afcbf78b36beb31f9abdb98ae4e608ece891cef9445e5de41";

    @Test
    void hashIsPinned() {
        assertEquals(GOLDEN_HASH_A, KeyHash.hash("a"));
        assertEquals(GOLDEN_HASH_CHUNK, KeyHash.hash("chunk-0"));
    }

    static final long GOLDEN_HASH_A = -3848465438864589366L; // SHA-256("a") = ca978112ca1bbdca...
    static final long GOLDEN_HASH_CHUNK = -5652305035322048604L;

    @Test
    void placementsArePinned() {
        HashRing ring = HashRing.of(1, RingFixtures.nodes(6));
        assertEquals(GOLDEN_DIGEST_10K_KEYS_6_NODES, RingFixtures.ownerDigest(ring, RingFixtures.keys(10_000, 7)));
        assertEquals(GOLDEN_OWNERS, List.of(ring.owner("a").orElseThrow().nodeId(), ring.owner("b").orElseThrow().nodeId(),
                ring.owner("chunk-0").orElseThrow().nodeId(), ring.owner("chunk-1").orElseThrow().nodeId()));
    }

    static final List<String> GOLDEN_OWNERS = List.of("node-5", "node-6", "node-5", "node-5");

    @Test
    void aSeparateJvmPlacesKeysTheSameWay() throws IOException, InterruptedException {
        String mine = RingFixtures.ownerDigest(HashRing.of(1, RingFixtures.nodes(6)), RingFixtures.keys(10_000, 7));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                RingDigestMain.class.getName())
                .redirectErrorStream(true)
                .start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("digest process did not finish");
            }
            assertEquals(0, p.exitValue(), out);
            System.out.println("separate JVM owner digest " + out + " (this JVM " + mine + ")");
            assertEquals(mine, out);
        } finally {
            p.destroyForcibly();
        }
    }
}
