package dev.kos.ring;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/** Shared test data: node sets and chunk-id-like keys that every JVM generates identically. */
final class RingFixtures {
    private RingFixtures() {
    }

    static List<RingNode> nodes(int count) {
        List<RingNode> nodes = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            nodes.add(RingNode.of("node-" + i, "10.0.0." + i + ":7070"));
        }
        return nodes;
    }

    /** Keys shaped like real chunk ids (UUIDs); java.util.Random's sequence is fixed by its spec. */
    static String[] keys(int count, long seed) {
        Random rnd = new Random(seed);
        String[] keys = new String[count];
        for (int i = 0; i < count; i++) {
            keys[i] = new UUID(rnd.nextLong(), rnd.nextLong()).toString();
        }
        return keys;
    }

    /** SHA-256 over the owner id of each key, in order: one value that pins every placement. */
    static String ownerDigest(HashRing ring, String[] keys) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String k : keys) {
                md.update(ring.owner(k).orElseThrow().nodeId().getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
