package dev.kos.metadata;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.kos.config.Settings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The metadata database of one process: a HikariCP pool on PostgreSQL, migrated by Flyway.
 *
 * <p>Settings (flag / environment, default):
 * <ul>
 *   <li>{@code db.url} / {@code KOS_DB_URL}: JDBC URL. Unset: an embedded PostgreSQL is started
 *       (in {@code db.embedded-dir} when given, so its data survives restarts; else a temp dir).</li>
 *   <li>{@code db.user} / {@code KOS_DB_USER}, {@code db.password} / {@code KOS_DB_PASSWORD}: credentials
 *       (default postgres / empty).</li>
 *   <li>{@code db.pool-size} / {@code KOS_DB_POOL_SIZE}: maximum connections, default 20.</li>
 * </ul>
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class.getName());
    public static final int DEFAULT_POOL_SIZE = 20;

    private final HikariDataSource pool;
    private final EmbeddedPostgres embedded; // null when the database is external
    private final String jdbcUrl;
    private final String user;
    private final String password;

    private Database(HikariDataSource pool, EmbeddedPostgres embedded, String jdbcUrl, String user, String password) {
        this.pool = pool;
        this.embedded = embedded;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    /** Connects as the settings say (embedded when no URL is given) and applies migrations. */
    public static Database fromSettings(Settings settings, String poolName) {
        int poolSize = settings.integer("db.pool-size", DEFAULT_POOL_SIZE);
        Optional<String> url = settings.optional("db.url");
        Database db = url.isPresent()
                ? connect(url.get(), settings.string("db.user", "postgres"), settings.string("db.password", ""), poolSize, poolName)
                : embedded(settings.optional("db.embedded-dir").map(Path::of).orElse(null), poolSize, poolName);
        db.migrate();
        return db;
    }

    /** A pool on an existing PostgreSQL. Does not migrate: call {@link #migrate()}. */
    public static Database connect(String jdbcUrl, String user, String password, int poolSize, String poolName) {
        return new Database(pool(jdbcUrl, user, password, poolSize, poolName, null), null, jdbcUrl, user, password);
    }

    /**
     * Another pool on the same database, for one kind of work whose sessions are set up
     * differently: each of its connections runs {@code sessionSql} once, when it opens. It
     * neither migrates nor, when closed, stops an embedded database: this one owns that.
     */
    public Database sibling(String poolName, int poolSize, String sessionSql) {
        return new Database(pool(jdbcUrl, user, password, poolSize, poolName, sessionSql), null, jdbcUrl, user, password);
    }

    /**
     * Starts an embedded PostgreSQL (zonky; needs nothing installed) and a pool on it. With a
     * data dir its data survives restarts; with null it lives in a temp dir and dies with it.
     */
    public static Database embedded(Path dataDir, int poolSize, String poolName) {
        return embedded(dataDir, poolSize, poolName, true);
    }

    /**
     * As above; {@code stopWithJvm} false leaves stopping PostgreSQL to {@link #close} alone. The
     * local stack needs that: its own shutdown hook stops the services first, and JVM shutdown
     * hooks run at once, so PostgreSQL's hook would stop it under services still draining.
     */
    public static Database embedded(Path dataDir, int poolSize, String poolName, boolean stopWithJvm) {
        try {
            // zonky's defaults are a test database's: fsync off (-F) and synchronous_commit off. Here
            // the embedded database is the store's metadata: with them a commit is acknowledged before
            // its WAL leaves PostgreSQL's memory, so a crash of PostgreSQL (or of the machine) could
            // lose a completed file's row and its outbox events after the client was answered, or
            // corrupt the database. Durable commits, as any production PostgreSQL makes them.
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setRegisterShutdownHook(stopWithJvm)
                    .setServerConfig("fsync", "on") // passed after -F, so it wins
                    .setServerConfig("synchronous_commit", "on");
            if (dataDir != null) {
                builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
            }
            EmbeddedPostgres pg = builder.start();
            String url = pg.getJdbcUrl("postgres", "postgres");
            LOG.info(() -> "embedded PostgreSQL started at " + url);
            return new Database(pool(url, "postgres", "", poolSize, poolName, null), pg, url, "postgres", "");
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static HikariDataSource pool(String url, String user, String password, int poolSize, String poolName,
                                         String sessionSql) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(user);
        c.setPassword(password);
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(Math.min(2, poolSize));
        c.setPoolName(poolName);
        c.setConnectionTimeout(10_000);
        // Every transaction is explicit (inTransaction); auto-commit stays on for single reads.
        c.setAutoCommit(true);
        // Sent in the startup packet: pg_stat_activity then tells an operator which process and
        // pool each session belongs to, where every one would otherwise read "PostgreSQL JDBC Driver".
        c.addDataSourceProperty("ApplicationName", applicationName(poolName));
        if (sessionSql != null) {
            c.setConnectionInitSql(sessionSql);
        }
        return new HikariDataSource(c);
    }

    /**
     * Applies pending Flyway migrations. Safe when several services start at once: Flyway takes
     * a PostgreSQL advisory lock around the migration, so one applies and the others wait.
     */
    public void migrate() {
        Flyway.configure()
                .dataSource(pool)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    public DataSource dataSource() {
        return pool;
    }

    public HikariDataSource pool() {
        return pool;
    }

    public String poolName() {
        return pool.getPoolName();
    }

    /**
     * A session of its own, outside the pool, for work that holds one for long (a LISTEN, an
     * advisory lock); the caller closes it. pg_stat_activity names it after the pool and {@code role}.
     */
    public Connection openSession(String role) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("ApplicationName", applicationName(poolName() + "-" + role));
        return DriverManager.getConnection(jdbcUrl, p);
    }

    /** What pg_stat_activity shows for a session of this pool (or of one of its roles). */
    private static String applicationName(String name) {
        return "kos-" + name;
    }

    /** The JDBC URL, user and password, to hand to another process (the local stack does). */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    /** Work that runs inside one transaction. */
    @FunctionalInterface
    public interface TransactionWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it
     * throws. SQL failures surface as {@link MetadataException}.
     */
    public <T> T inTransaction(TransactionWork<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new MetadataException("metadata transaction failed: " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} on one auto-commit connection (single statements, reads). */
    public <T> T withConnection(TransactionWork<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new MetadataException("metadata query failed: " + e.getMessage(), e);
        }
    }

    /** True when a connection can be taken and answers a trivial query within the timeout. */
    public boolean isHealthy() {
        try (Connection c = pool.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        pool.close();
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                LOG.warning("embedded PostgreSQL did not stop cleanly: " + e.getMessage());
            }
        }
    }
}
