package dev.kos.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class LiveRingTest {

    @Test
    void newerEpochSwapsAndTellsListenersOlderIsIgnored() {
        LiveRing live = new LiveRing();
        List<String> seen = new ArrayList<>();
        RingListener listener = (prev, next) -> seen.add(prev.epoch() + "->" + next.epoch());
        live.addListener(listener);
        live.addListener((prev, next) -> {
            throw new IllegalStateException("a broken listener must not block others");
        });
        HashRing e2 = HashRing.of(2, RingFixtures.nodes(2));
        assertTrue(live.offer(e2));
        assertFalse(live.offer(HashRing.of(1, RingFixtures.nodes(3))), "older epoch");
        assertFalse(live.offer(HashRing.of(2, RingFixtures.nodes(3))), "same epoch");
        assertSame(e2, live.current());
        assertTrue(live.offer(HashRing.of(5, RingFixtures.nodes(1))));
        live.removeListener(listener);
        assertTrue(live.offer(HashRing.of(6, RingFixtures.nodes(1))));
        assertEquals(List.of("-1->2", "2->5"), seen);
    }

    @Test
    void racingOffersEndOnTheNewestEpoch() throws Exception {
        LiveRing live = new LiveRing();
        List<Long> order = new ArrayList<>();
        live.addListener((prev, next) -> {
            assertTrue(next.epoch() > prev.epoch());
            order.add(next.epoch());
        });
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                fs.add(pool.submit(() -> {
                    for (int e = offset; e < 400; e += 4) {
                        live.offer(HashRing.of(e, List.of()));
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(399, live.current().epoch());
        for (int i = 1; i < order.size(); i++) {
            assertTrue(order.get(i) > order.get(i - 1), "listeners saw epochs out of order: " + order);
        }
    }
}
