package dev.kos.ring;

/**
 * Run in a separate JVM by {@link RingDeterminismTest}: prints the owner digest of the shared
 * 10,000 keys on 6 nodes, so the test can compare it with its own.
 */
public final class RingDigestMain {
    private RingDigestMain() {
    }

    public static void main(String[] args) {
        HashRing ring = HashRing.of(1, RingFixtures.nodes(6));
        System.out.println(RingFixtures.ownerDigest(ring, RingFixtures.keys(10_000, 7)));
    }
}
