package dev.kos.ring;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The ring a process routes with right now. Readers take {@link #current()} once per decision
 * and use that snapshot throughout, so a swap never shows them half a change.
 *
 * <p>Only a newer epoch replaces the current ring: two refreshes racing (a poll and an event,
 * say) can then never put an older ring back. Swaps are serialized so listeners see the
 * changes one at a time and in epoch order; reads never wait.
 */
public final class LiveRing {
    private static final Logger LOG = Logger.getLogger(LiveRing.class.getName());

    private final AtomicReference<HashRing> current;
    private final CopyOnWriteArrayList<RingListener> listeners = new CopyOnWriteArrayList<>();

    public LiveRing() {
        this(HashRing.empty());
    }

    public LiveRing(HashRing initial) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial ring"));
    }

    public HashRing current() {
        return current.get();
    }

    /**
     * Installs {@code next} when its epoch is newer than the current one and tells the listeners.
     *
     * @return true when {@code next} was installed
     */
    public synchronized boolean offer(HashRing next) {
        Objects.requireNonNull(next, "next ring");
        HashRing previous = current.get();
        if (next.epoch() <= previous.epoch()) {
            return false;
        }
        current.set(next);
        for (RingListener l : listeners) {
            try {
                l.ringChanged(previous, next);
            } catch (RuntimeException e) {
                // One failing listener must not stop the others nor the swap that already happened.
                LOG.log(Level.WARNING, "ring listener failed on epoch " + next.epoch() + ": " + e, e);
            }
        }
        return true;
    }

    /** Adds a listener. Listeners run on the swapping thread: keep them short or hand off. */
    public void addListener(RingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(RingListener listener) {
        listeners.remove(listener);
    }
}
