package dev.kos.events;

import dev.kos.config.Settings;
import dev.kos.metadata.Database;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.postgresql.PGConnection;

/**
 * Publishes the outbox to Kafka: one background thread per process, one active relay in the
 * whole system.
 *
 * <p>The relay holds a PostgreSQL session-level advisory lock on a dedicated connection; relays
 * that do not get it stand by and try again every poll, so when the active one dies (its
 * session ends and the lock with it) another takes over within a poll. Only one publisher keeps
 * each key's records in outbox-id order, which {@link OutboxWriter} makes the sequence order.
 *
 * <p>The active relay reads rows in id order in batches, sends them with an idempotent producer
 * (acks=all, at most 5 in flight, so Kafka keeps them in order per partition and drops its own
 * retried duplicates), flushes, and deletes only the rows that are acknowledged, up to the first
 * failure. On a failure it discards the producer (its state is unknown), backs off and resends
 * from the oldest remaining row: nothing is dropped or skipped, at worst re-published
 * (consumers de-duplicate by event id). It wakes on {@code NOTIFY kos_outbox} or every poll;
 * a standby does not listen, it only retries the lock every poll.
 *
 * <p>The relay does not wait for more commits before a round: the commits that land while a
 * round reads, publishes and deletes go out together in the next one, so a round's size grows
 * with the load by itself (at ~200 uploads a second on the local stack, ~10 events a round,
 * 0.4 rounds per upload). An operator may set a linger, a pause after a round that published
 * (Kafka's producer {@code linger.ms}, one level up): it spares rounds (a read and a delete in
 * PostgreSQL, a produce request, a fetch by every consumer) at the price of the events that
 * wait for its end. Its default was 20 ms, which spared ~1 CPU-ms per upload (of 16-19) when the
 * machine was CPU-bound; on two stacks side by side with 1 MiB uploads, 8 clients, it made each
 * upload wait ~15 ms more between its seal and its completion (median 25 against 10 ms) and cost
 * 27 % of the uploads per second (149-156 against 184-218, for 0.3 CPU-ms per upload less).
 *
 * <table>
 *   <caption>Settings (flag, environment variable, default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>events.relay-poll</td><td>--events-relay-poll / KOS_EVENTS_RELAY_POLL</td><td>100ms</td>
 *       <td>longest wait for new rows when no NOTIFY arrives; also the standby's lock retry</td></tr>
 *   <tr><td>events.relay-batch</td><td>--events-relay-batch / KOS_EVENTS_RELAY_BATCH</td><td>500</td>
 *       <td>rows read, sent and deleted per round (bounds memory)</td></tr>
 *   <tr><td>events.relay-linger</td><td>--events-relay-linger / KOS_EVENTS_RELAY_LINGER</td><td>0ms</td>
 *       <td>pause after a round that published, to gather more commits into the next round (fewer rounds,
 *       later events); 0: none, the next round starts at the next commit</td></tr>
 *   <tr><td>events.relay-max-backoff</td><td>--events-relay-max-backoff / KOS_EVENTS_RELAY_MAX_BACKOFF</td><td>5s</td>
 *       <td>longest pause between retries after a publish or database failure</td></tr>
 *   <tr><td>events.files-partitions, ...</td><td colspan="3">the topic settings of {@link Topics}, used when the
 *       relay creates missing topics</td></tr>
 * </table>
 */
public final class OutboxRelay implements AutoCloseable {
    /** The advisory lock key ("kos-outbox" folded into 64 bits); one per database. */
    public static final long LOCK_KEY = 0x6b6f_732d_6f75_7462L;

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class.getName());

    /** Opens the relay's dedicated session: its lock lives and dies with this connection. */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection open() throws SQLException;
    }

    /**
     * How the relay polls, batches and backs off, and the topics it makes sure exist (with
     * their partitions and retention) before its first publish.
     */
    public record Options(Duration poll, int batchSize, Duration maxBackoff, Duration linger, Topics topics) {
        public static final Duration DEFAULT_LINGER = Duration.ZERO;

        public Options {
            if (poll.isNegative() || poll.isZero() || batchSize < 1 || maxBackoff.compareTo(poll) < 0
                    || linger.isNegative() || linger.compareTo(poll) > 0) {
                throw new IllegalArgumentException("relay options need poll > 0, batch >= 1, max backoff >= poll and "
                        + "0 <= linger <= poll; got " + poll + ", " + batchSize + ", " + maxBackoff + ", " + linger);
            }
            Objects.requireNonNull(topics, "topics");
        }

        /** Options without a linger, as by default, and with the default topics. */
        public Options(Duration poll, int batchSize, Duration maxBackoff) {
            this(poll, batchSize, maxBackoff, Duration.ZERO, Topics.defaults());
        }

        public static Options defaults() {
            return new Options(Duration.ofMillis(100), 500, Duration.ofSeconds(5), DEFAULT_LINGER, Topics.defaults());
        }

        public static Options fromSettings(Settings s) {
            Options d = defaults();
            return new Options(s.duration("events.relay-poll", d.poll()), s.integer("events.relay-batch", d.batchSize()),
                    s.duration("events.relay-max-backoff", d.maxBackoff()), s.duration("events.relay-linger", d.linger()),
                    Topics.fromSettings(s));
        }
    }

    private final ConnectionSource sessions;
    private final DataSource reads;
    private final Supplier<Producer<String, byte[]>> producers;
    private final Options options;
    private final Runnable topicSetup; // null: the caller manages topics
    private boolean topicsReady;
    private final Thread thread;
    private final Object wake = new Object();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean active;
    private volatile Producer<String, byte[]> producer;
    private Connection session;

    private OutboxRelay(ConnectionSource sessions, DataSource reads, Supplier<Producer<String, byte[]>> producers, Options options,
                        Runnable topicSetup, String name) {
        this.sessions = sessions;
        this.reads = reads;
        this.producers = producers;
        this.options = options;
        this.topicSetup = topicSetup;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    /**
     * A relay on the given database, publishing to the given Kafka cluster. Before its first
     * publish it creates the kos topics that are missing ({@link Topics#ensureTopics}): a
     * broker that auto-creates topics would otherwise make them with its own partitions and a
     * 7-day retention, which would break replays.
     */
    public static OutboxRelay start(Database db, String bootstrapServers, Options options) {
        Runnable topicSetup = () -> {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
                options.topics().ensureTopics(admin);
            }
        };
        return start(() -> db.openSession("outbox-relay"), db.dataSource(),
                () -> new KafkaProducer<>(producerConfig(bootstrapServers), new StringSerializer(), new ByteArraySerializer()),
                options, topicSetup);
    }

    /**
     * A relay with its own session source and producer factory (called again after each
     * publish failure, so a producer in an unknown state is never reused).
     */
    public static OutboxRelay start(ConnectionSource sessions, DataSource reads, Supplier<Producer<String, byte[]>> producers,
                                    Options options) {
        return start(sessions, reads, producers, options, null);
    }

    private static OutboxRelay start(ConnectionSource sessions, DataSource reads, Supplier<Producer<String, byte[]>> producers,
                                     Options options, Runnable topicSetup) {
        OutboxRelay relay = new OutboxRelay(sessions, reads, producers, options, topicSetup, "kos-outbox-relay");
        relay.thread.start();
        return relay;
    }

    /** The settings every relay producer needs: ordered, idempotent, fully acknowledged. */
    public static Map<String, Object> producerConfig(String bootstrapServers) {
        return Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, "kos-outbox-relay",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                // Fail a stuck batch in 30 s rather than 2 min, so the relay's retry (and its log
                // line) shows an outage promptly; nothing is lost, the rows stay.
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    }

    /** Events this relay published since it started. */
    public long publishedCount() {
        return published.get();
    }

    /** Rounds (read, send, delete) that published at least one event since start: published / rounds is the mean batch. */
    public long roundCount() {
        return rounds.get();
    }

    /** Publish or database failures since start (each one was retried). */
    public long failureCount() {
        return failures.get();
    }

    /** True while this relay holds the lock and publishes; false while it stands by. */
    public boolean isActive() {
        return active;
    }

    /**
     * Age of the oldest unpublished event (zero when the outbox is empty), measured on the
     * database's clock. Whichever relay is active, this is the system's publish lag.
     */
    public Duration lag() {
        try (Connection c = reads.getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(
                     "SELECT (extract(epoch FROM clock_timestamp() - created_at) * 1000)::bigint FROM outbox ORDER BY id LIMIT 1")) {
            return rs.next() ? Duration.ofMillis(Math.max(0, rs.getLong(1))) : Duration.ZERO;
        } catch (SQLException e) {
            throw new EventsException("cannot read outbox lag: " + e.getMessage(), e);
        }
    }

    private void run() {
        Duration backoff = Duration.ZERO;
        while (running) {
            try {
                if (!ensureActive()) {
                    awaitWork();
                    continue;
                }
                if (!topicsReady && topicSetup != null) {
                    topicSetup.run();
                    topicsReady = true;
                }
                // What was notified so far is covered by the read below: a NOTIFY left queued would
                // only wake the relay for rows it has already published.
                drainNotifications();
                int sent = publishBatch();
                backoff = Duration.ZERO;
                if (sent == options.batchSize()) {
                    continue; // a backlog: the next batch at once
                }
                if (sent > 0 && !options.linger().isZero()) {
                    pause(options.linger());
                } else {
                    awaitWork();
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    break;
                }
                failures.incrementAndGet();
                backoff = backoff.isZero() ? options.poll() : min(backoff.multipliedBy(2), options.maxBackoff());
                LOG.warning("outbox relay: " + describe(e) + "; retrying in " + backoff.toMillis() + " ms");
                if (e instanceof SQLException) {
                    dropSession(); // the lock may be gone with it: re-acquire before publishing again
                } else {
                    dropProducer();
                }
                pause(backoff);
            }
        }
        dropProducer();
        dropSession();
    }

    /** Opens the session and tries the lock; true when this relay may publish. */
    private boolean ensureActive() throws SQLException {
        if (session == null) {
            session = sessions.open();
            session.setAutoCommit(true);
            configureSession(session);
        }
        if (!active) {
            boolean locked;
            try (PreparedStatement ps = session.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                ps.setLong(1, LOCK_KEY);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    locked = rs.getBoolean(1);
                }
            }
            if (locked) {
                // Only the publisher listens. A listening standby was woken by every commit that
                // wrote an event, and spent a lock attempt on each (three per upload). Listening
                // before the first read misses nothing: a row committed earlier is read by it.
                try (Statement s = session.createStatement()) {
                    s.execute("LISTEN " + OutboxWriter.CHANNEL);
                }
                active = true;
                LOG.info("outbox relay is active (holds the publish lock)");
            }
        }
        return active;
    }

    /**
     * The session's deletes commit without waiting for their WAL flush ({@code synchronous_commit
     * = off}, this session only). A delete lost to a database crash makes its rows reappear, and
     * they are published again in id order: at least once, as after any failed round, and
     * consumers de-duplicate by event id. No row is lost that way, and visibility is unchanged: an
     * async commit is seen by every session at once, so a standby that takes over reads no row
     * this relay deleted. What it spares is a WAL flush per round (~0.4 per 1 MiB upload on the
     * local stack, of ~2.6) and the round's wait for it, which events committed meanwhile share.
     * The writers' commits stay synchronous: their rows are what must not be lost.
     */
    static void configureSession(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit = off");
        }
    }

    private record Row(long id, String topic, String key, String type, UUID eventId, byte[] payload) {
    }

    /** Sends one batch in id order; deletes the acknowledged prefix; returns the rows read. */
    private int publishBatch() throws SQLException {
        List<Row> rows = new ArrayList<>(Math.min(options.batchSize(), 1024));
        try (PreparedStatement ps = session.prepareStatement(
                "SELECT id, topic, record_key, event_type, event_id, payload FROM outbox ORDER BY id LIMIT ?")) {
            ps.setInt(1, options.batchSize());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getObject(5, UUID.class), rs.getBytes(6)));
                }
            }
        }
        if (rows.isEmpty()) {
            return 0;
        }
        Producer<String, byte[]> p = producer();
        List<Future<RecordMetadata>> acks = new ArrayList<>(rows.size());
        RuntimeException sendFailure = null;
        for (Row r : rows) {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(r.topic(), r.key(), r.payload());
            EventSerde.setHeaders(record.headers(), r.type(), r.eventId(), Events.SCHEMA_VERSION);
            try {
                acks.add(p.send(record));
            } catch (RuntimeException e) {
                // Stop at the first refusal: sending later rows would let them overtake this one.
                sendFailure = e;
                break;
            }
        }
        p.flush();
        List<Long> done = new ArrayList<>(acks.size());
        Throwable ackFailure = null;
        for (int i = 0; i < acks.size(); i++) {
            try {
                acks.get(i).get();
                done.add(rows.get(i).id());
            } catch (ExecutionException e) {
                ackFailure = e.getCause();
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ackFailure = e;
                break;
            }
        }
        delete(done);
        published.addAndGet(done.size());
        if (!done.isEmpty()) {
            rounds.incrementAndGet();
            LOG.fine(() -> "outbox relay published " + done.size() + " events up to outbox id " + done.getLast());
        }
        Throwable failure = ackFailure != null ? ackFailure : sendFailure;
        if (failure != null) {
            throw new EventsException("publish failed after " + done.size() + " of " + rows.size() + " events: "
                    + failure.getMessage(), failure);
        }
        return rows.size();
    }

    private void delete(List<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = session.prepareStatement("DELETE FROM outbox WHERE id = ANY (?)")) {
            ps.setArray(1, session.createArrayOf("bigint", ids.toArray()));
            ps.executeUpdate();
        }
    }

    private Producer<String, byte[]> producer() {
        Producer<String, byte[]> p = producer;
        if (p == null) {
            p = producers.get();
            producer = p;
        }
        return p;
    }

    /** Takes the notifications already received, without waiting. */
    private void drainNotifications() throws SQLException {
        session.unwrap(PGConnection.class).getNotifications();
    }

    /** The publisher waits for a NOTIFY or the poll interval; a standby just for the poll interval. */
    private void awaitWork() throws SQLException {
        if (active && session != null) {
            session.unwrap(PGConnection.class).getNotifications((int) Math.max(1, options.poll().toMillis()));
        } else {
            pause(options.poll());
        }
    }

    private void pause(Duration d) {
        synchronized (wake) {
            if (running) {
                try {
                    wake.wait(Math.max(1, d.toMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
        }
    }

    private void dropProducer() {
        Producer<String, byte[]> p = producer;
        producer = null;
        if (p != null) {
            try {
                p.close(Duration.ZERO);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "closing a failed producer", e);
            }
        }
    }

    private void dropSession() {
        if (active) {
            LOG.info("outbox relay is no longer active");
        }
        active = false;
        Connection c = session;
        session = null;
        if (c != null) {
            try {
                c.close(); // ends the session, which releases the advisory lock
            } catch (SQLException e) {
                LOG.log(Level.FINE, "closing the relay session", e);
            }
        }
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + (e.getMessage() == null ? "" : e.getMessage().replace('\n', ' '));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * Stops the relay; its lock is released with its session, so a standby takes over. Rows
     * not yet acknowledged stay in the outbox for the next relay.
     */
    @Override
    public void close() {
        running = false;
        synchronized (wake) {
            wake.notifyAll();
        }
        long graceMs = options.poll().toMillis() + 2_000;
        try {
            thread.join(graceMs);
            if (thread.isAlive()) {
                // Stuck in a flush against an unreachable Kafka: abort the producer to unblock it.
                Producer<String, byte[]> p = producer;
                if (p != null) {
                    p.close(Duration.ZERO);
                }
                thread.join(graceMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warning("outbox relay thread did not stop within " + 2 * graceMs + " ms");
        }
    }
}
