package dev.kos.gateway;

import dev.kos.metadata.FileRepository;
import dev.kos.metadata.SettledNotice;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The gateway's listening session on PostgreSQL. It wakes uploads waiting for their file to
 * settle (completed or failed by the placement service) as soon as PostgreSQL delivers
 * {@code NOTIFY kos_file_settled}, which the settling transaction sends at its commit (with the
 * completed row's values when it completed: {@link SettledNotice}); and it tells the
 * {@link FileCache} of every change to a completed file ({@code NOTIFY kos_file_changed}) and to
 * what lists show ({@code kos_files_listed}), and when it stops or starts hearing them.
 *
 * <p>One dedicated session per gateway, outside the pool (a LISTEN belongs to its session, and
 * a pooled connection would hand it to random borrowers). The session reconnects when it
 * breaks; after each (re)connect every waiter is woken, since notifications sent while nobody
 * listened are gone. A wake-up without a completion's values is only a hint: waiters re-read
 * the row, and also poll on their own, so a lost notification costs latency, never a wrong
 * answer.
 */
public final class SettledListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SettledListener.class.getName());
    /** How long one blocking read of notifications lasts: bounds how late {@link #close} is noticed. */
    private static final int RECEIVE_MILLIS = 250;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    /** Opens the listening session (a plain JDBC connection to the metadata database). */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection open() throws SQLException;
    }

    private final ConnectionSource source;
    private final FileCache cache;
    private final Map<UUID, Set<Waiter>> waiters = new ConcurrentHashMap<>();
    private final Thread thread;
    private final Object stop = new Object();
    private volatile boolean running = true;
    private volatile boolean listening;

    private SettledListener(ConnectionSource source, FileCache cache) {
        this.source = source;
        this.cache = cache;
        this.thread = new Thread(this::run, "kos-settled-listener");
        this.thread.setDaemon(true);
    }

    /** With a metadata cache of the default size. */
    public static SettledListener start(ConnectionSource source) {
        return start(source, new FileCache(FileCache.DEFAULT_MAX_WEIGHT));
    }

    /** @param cache told of every change to a completed file; serves only while this session listens */
    public static SettledListener start(ConnectionSource source, FileCache cache) {
        SettledListener l = new SettledListener(source, cache);
        l.thread.start();
        return l;
    }

    /** The completed files' metadata this session keeps honest. */
    public FileCache cache() {
        return cache;
    }

    /**
     * Starts watching a file. Register before reading the row, so a notification that arrives
     * between the read and the wait still wakes the waiter; close it when done (it is removed,
     * so a waiter that timed out leaves nothing behind).
     */
    public Waiter watch(UUID fileId) {
        Waiter w = new Waiter(fileId);
        waiters.computeIfAbsent(fileId, k -> ConcurrentHashMap.newKeySet()).add(w);
        return w;
    }

    /** True while the session is connected and listening. */
    public boolean isListening() {
        return listening;
    }

    /** Files with at least one waiter (for tests and health: waiters must not pile up). */
    public int watchedFiles() {
        return waiters.size();
    }

    private void run() {
        Duration backoff = Duration.ofMillis(100);
        while (running) {
            try (Connection c = source.open()) {
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + FileRepository.SETTLED_CHANNEL);
                    s.execute("LISTEN " + FileRepository.CHANGED_CHANNEL);
                    s.execute("LISTEN " + FileRepository.LISTED_CHANNEL);
                }
                listening = true;
                cache.listening();
                backoff = Duration.ofMillis(100);
                LOG.info("listening for settled files on " + FileRepository.SETTLED_CHANNEL);
                wakeAll(); // whatever settled while nobody listened: let every waiter re-read now
                PGConnection pg = c.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] batch = pg.getNotifications(RECEIVE_MILLIS);
                    if (batch != null) {
                        for (PGNotification n : batch) {
                            if (n.getName().equals(FileRepository.CHANGED_CHANNEL)) {
                                changed(n.getParameter());
                            } else if (n.getName().equals(FileRepository.LISTED_CHANNEL)) {
                                cache.listingChanged();
                            } else {
                                wake(n.getParameter());
                            }
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    break;
                }
                LOG.warning("settled listener lost its session (" + e.getMessage() + "); waiters fall back to polling,"
                        + " reconnecting in " + backoff.toMillis() + " ms");
            } finally {
                listening = false;
                cache.deaf();
            }
            pause(backoff);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private void changed(String payload) {
        try {
            cache.changed(UUID.fromString(payload));
        } catch (IllegalArgumentException e) {
            LOG.warning(() -> "a " + FileRepository.CHANGED_CHANNEL + " notification that is not a file id: " + payload
                    + "; dropping the whole metadata cache");
            cache.deaf();
            cache.listening();
        }
    }

    private void wake(String payload) {
        Optional<SettledNotice> notice = SettledNotice.parse(payload);
        if (notice.isEmpty()) {
            LOG.fine(() -> "ignoring a " + FileRepository.SETTLED_CHANNEL + " notification that is not a file's: " + payload);
            return;
        }
        Set<Waiter> set = waiters.get(notice.get().fileId());
        if (set != null) {
            set.forEach(w -> w.signal(notice.get().completion()));
        }
    }

    private void wakeAll() {
        waiters.values().forEach(set -> set.forEach(w -> w.signal(Optional.empty())));
    }

    private void pause(Duration d) {
        synchronized (stop) {
            if (running) {
                try {
                    stop.wait(d.toMillis());
                } catch (InterruptedException e) {
                    running = false;
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        synchronized (stop) {
            stop.notifyAll();
        }
        try {
            thread.join(RECEIVE_MILLIS * 4L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cache.deaf();
        wakeAll();
    }

    /** One upload's wait for its file; signalled by a notification, at most once per wait. */
    public final class Waiter implements AutoCloseable {
        private final UUID fileId;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private boolean signalled;
        private Optional<SettledNotice.Completion> completion = Optional.empty();

        private Waiter(UUID fileId) {
            this.fileId = fileId;
        }

        private void signal(Optional<SettledNotice.Completion> completed) {
            lock.lock();
            try {
                signalled = true;
                if (completed.isPresent()) {
                    completion = completed; // kept: a later wake-up without values (a reconnect) must not hide it
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /**
         * The completed row's values, once the notification of the file's completion came: its
         * statement sent them and they arrive only after its commit, so they are the row's.
         */
        public Optional<SettledNotice.Completion> completion() {
            lock.lock();
            try {
                return completion;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Waits for a notification about the file, at most {@code max}. Returns true when one
         * came (consumed: the next call waits for a new one), false on timeout.
         */
        public boolean await(Duration max) throws InterruptedException {
            long nanos = max.toNanos();
            lock.lock();
            try {
                while (!signalled) {
                    if (nanos <= 0) {
                        return false;
                    }
                    nanos = changed.awaitNanos(nanos);
                }
                signalled = false;
                return true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            waiters.computeIfPresent(fileId, (k, set) -> {
                set.remove(this);
                return set.isEmpty() ? null : set;
            });
        }
    }
}
