package dev.kos.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HashRingTest {

    @Test
    void emptyRingAnswersNothing() {
        HashRing ring = HashRing.of(3, List.of());
        assertTrue(ring.isEmpty());
        assertEquals(Optional.empty(), ring.owner("x"));
        assertEquals(List.of(), ring.preferenceList("x", 3));
        assertEquals(3, ring.epoch());
        assertEquals(-1, HashRing.empty().epoch());
    }

    @Test
    void oneNodeOwnsEverything() {
        RingNode only = RingNode.of("solo", "h:1");
        HashRing ring = HashRing.of(1, List.of(only));
        for (String k : RingFixtures.keys(1000, 1)) {
            assertEquals(only, ring.owner(k).orElseThrow());
        }
        assertEquals(List.of(only), ring.preferenceList("k", 5));
    }

    @Test
    void preferenceListStartsWithTheOwnerAndHoldsDistinctNodes() {
        HashRing ring = HashRing.of(1, RingFixtures.nodes(6));
        for (String k : RingFixtures.keys(2000, 2)) {
            List<RingNode> three = ring.preferenceList(k, 3);
            assertEquals(3, three.size());
            assertEquals(ring.owner(k).orElseThrow(), three.get(0));
            assertEquals(3, new HashSet<>(three).size());
            List<RingNode> all = ring.preferenceList(k, 100);
            assertEquals(6, all.size(), "capped at the member count");
            assertEquals(three, all.subList(0, 3), "a longer list extends a shorter one");
        }
        assertEquals(List.of(), ring.preferenceList("k", 0));
        assertThrows(IllegalArgumentException.class, () -> ring.preferenceList("k", -1));
    }

    @Test
    void theSecondChoiceIsTheOwnerOnceTheFirstIsGone() {
        // The retry order must agree with the ring after the failed node leaves: otherwise a retried
        // chunk lands where nobody will look for it.
        List<RingNode> nodes = RingFixtures.nodes(6);
        HashRing ring = HashRing.of(1, nodes);
        for (String k : RingFixtures.keys(2000, 3)) {
            List<RingNode> pref = ring.preferenceList(k, 2);
            List<RingNode> without = new ArrayList<>(nodes);
            without.remove(pref.get(0));
            assertEquals(pref.get(1), HashRing.of(2, without).owner(k).orElseThrow());
        }
    }

    @Test
    void memberOrderDoesNotMatter() {
        List<RingNode> nodes = RingFixtures.nodes(5);
        List<RingNode> shuffled = new ArrayList<>(nodes);
        Collections.shuffle(shuffled, new Random(9));
        String[] keys = RingFixtures.keys(5000, 4);
        assertEquals(RingFixtures.ownerDigest(HashRing.of(1, nodes), keys),
                RingFixtures.ownerDigest(HashRing.of(1, shuffled), keys));
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new RingNode("a", "h:1", 0));
        assertThrows(IllegalArgumentException.class, () -> new RingNode(" ", "h:1", 10));
        assertThrows(NullPointerException.class, () -> new RingNode(null, "h:1", 10));
        assertThrows(IllegalArgumentException.class,
                () -> HashRing.of(1, List.of(RingNode.of("a", "h:1"), RingNode.of("a", "h:2"))));
        assertThrows(NullPointerException.class, () -> HashRing.of(1, List.of(RingNode.of("a", "h:1"))).owner(null));
    }

    @Test
    void moreVirtualNodesTakeAProportionalShare() {
        HashRing ring = HashRing.of(1, List.of(new RingNode("big", "h:1", 300), new RingNode("small", "h:2", 150)));
        int big = 0;
        String[] keys = RingFixtures.keys(200_000, 5);
        for (String k : keys) {
            if (ring.owner(k).orElseThrow().nodeId().equals("big")) {
                big++;
            }
        }
        double share = big / (double) keys.length;
        System.out.printf("weighted ring: node with 300 vnodes owns %.3f of keys (ideal 0.667)%n", share);
        assertTrue(share > 0.6 && share < 0.73, "share " + share);
        assertFalse(ring.isEmpty());
    }
}
