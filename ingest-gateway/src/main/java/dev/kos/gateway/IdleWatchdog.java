package dev.kos.gateway;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Ends uploads whose client stopped sending. A handler blocked reading the request body cannot
 * notice a stall by itself; interrupting its virtual thread makes the blocked socket read fail
 * (the JDK closes the socket), so the upload unwinds and is marked failed.
 */
public final class IdleWatchdog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(IdleWatchdog.class.getName());

    private final Duration idleTimeout;
    private final Set<Ticket> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;

    public IdleWatchdog(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "upload-idle-watchdog");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(50, Math.min(1000, idleTimeout.toMillis() / 4));
        timer.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Starts watching the calling thread; close the ticket when the body has been read. */
    public Ticket watch(String what) {
        Ticket t = new Ticket(Thread.currentThread(), what);
        watched.add(t);
        return t;
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Ticket t : watched) {
            t.expireIfIdle(now, idleTimeout.toNanos());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    public final class Ticket implements AutoCloseable {
        private final Thread thread;
        private final String what;
        private volatile long lastProgress = System.nanoTime();
        // While the gateway itself waits (a chunk placement, a buffer), the client is not idle.
        private volatile boolean gatewayWaiting;
        private boolean fired;
        private boolean closed;

        private Ticket(Thread thread, String what) {
            this.thread = thread;
            this.what = what;
        }

        public void touch() {
            lastProgress = System.nanoTime();
        }

        /** The gateway is waiting on storage or memory: stop the client's idle clock. */
        public void pause() {
            gatewayWaiting = true;
        }

        /** The gateway is reading the body again: the idle clock restarts from now. */
        public void resume() {
            lastProgress = System.nanoTime();
            gatewayWaiting = false;
        }

        public synchronized boolean fired() {
            return fired;
        }

        synchronized void expireIfIdle(long now, long limitNanos) {
            if (!closed && !fired && !gatewayWaiting && now - lastProgress > limitNanos) {
                fired = true;
                LOG.warning(() -> what + ": no body bytes for " + idleTimeout + "; ending the upload");
                thread.interrupt();
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
            }
            watched.remove(this);
            if (fired) {
                Thread.interrupted(); // the interrupt was ours; do not leak it into later work
            }
        }
    }
}
