package dev.kos.gateway;

import dev.kos.config.GrpcBuffers;
import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.events.Events;
import dev.kos.events.OutboxRelay;
import dev.kos.events.RelayMetrics;
import dev.kos.helidonpatch.HelidonPatch;
import dev.kos.membership.MembershipConfig;
import dev.kos.membership.NodeRegistry;
import dev.kos.membership.NodeRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.PoolMetrics;
import dev.kos.metrics.JvmMetrics;
import dev.kos.ring.HashRing;
import dev.kos.storageclient.StorageNodeClients;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;

/**
 * The ingest gateway process: the HTTP API on Helidon SE (virtual threads), storage nodes over
 * gRPC, metadata in PostgreSQL, events through the transactional outbox to Kafka.
 *
 * <table>
 * <caption>Settings (flag {@code --gateway-port=8080} or environment {@code KOS_GATEWAY_PORT})</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>gateway.host</td><td>0.0.0.0</td><td>interface the HTTP server listens on</td></tr>
 * <tr><td>gateway.port</td><td>8080</td><td>HTTP port; 0 picks a free one</td></tr>
 * <tr><td>gateway.id</td><td>gateway-&lt;host&gt;-&lt;pid&gt;</td><td>recorded on upload sessions</td></tr>
 * <tr><td>gateway.max-file-size</td><td>10GiB</td><td>larger uploads get 413 (from Content-Length
 *     before reading, else when the limit is crossed)</td></tr>
 * <tr><td>gateway.chunk-size</td><td>16MiB</td><td>bytes per chunk (measured: see the module README); an upload
 *     holds at most two chunk buffers</td></tr>
 * <tr><td>gateway.buffer-memory</td><td>256MiB</td><td>all chunk buffers of all uploads together; an
 *     upload waits for a free buffer, so memory is bounded under any concurrency</td></tr>
 * <tr><td>gateway.buffer-wait</td><td>30s</td><td>how long an upload waits for a buffer before 503, and a
 *     download for a read permit before it is cut</td></tr>
 * <tr><td>gateway.read-streams</td><td>24</td><td>chunk reads all downloads together keep open (each holds up to
 *     about 4 MiB of frames): a download streams with one and reads its next chunk ahead with a second when
 *     one is spare; downloads beyond this wait, so memory is bounded under any number of clients</td></tr>
 * <tr><td>gateway.put-attempts</td><td>3</td><td>ring nodes tried per chunk (owner first)</td></tr>
 * <tr><td>gateway.put-timeout</td><td>60s</td><td>deadline of one chunk put</td></tr>
 * <tr><td>gateway.idle-timeout</td><td>60s</td><td>an upload whose client sends nothing this long fails</td></tr>
 * <tr><td>gateway.completion-wait</td><td>10s</td><td>how long POST waits for the file to complete
 *     (201) before answering 202 with the metadata URL</td></tr>
 * <tr><td>gateway.completion-poll</td><td>250ms</td><td>while POST waits, how often it re-reads the file
 *     anyway; the placement service's commit notifies the gateway ({@code NOTIFY kos_file_settled}) at once,
 *     a completion with the row's own values, so this only bounds the extra wait when a notification is
 *     lost or the listening session is down</td></tr>
 * <tr><td>gateway.metadata-cache</td><td>100000</td><td>metadata of completed files kept in memory, in
 *     units of one file or one chunk copy (~150 bytes each); PostgreSQL notifies every change to them
 *     ({@code NOTIFY kos_file_changed}), and nothing is served from memory while that session is down;
 *     0 turns it off</td></tr>
 * <tr><td>gateway.session-ttl</td><td>24h</td><td>an upload session without progress expires after this</td></tr>
 * <tr><td>kafka.bootstrap</td><td>localhost:9092</td><td>Kafka brokers for the outbox relay and readiness</td></tr>
 * <tr><td>db.*</td><td>see {@link Database}</td><td>PostgreSQL</td></tr>
 * <tr><td>membership.*</td><td>see {@link MembershipConfig}</td><td>ring polling and node inactivity</td></tr>
 * </table>
 */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    /** The gateway's routes and error model; tests mount the same routing on their own server. */
    public static void routing(HttpRouting.Builder routing, Gateway gateway) {
        routing.addFilter(gateway.metrics()::filter)
                .addFilter(RequestIds::filter)
                .error(ApiException.class, ErrorResponses::api)
                .error(Throwable.class, ErrorResponses::unexpected) // Errors too: a 500 is JSON whatever broke
                .register("/files", new FilesService(gateway))
                .register("/admin", new AdminService(gateway.nodeRepository()))
                .register(new HealthService(gateway), new MetricsService(gateway.metrics().registry()), new OpenApiService())
                .any(ErrorResponses::noRoute);
    }

    /**
     * The HTTP server, on blocking sockets rather than Helidon's default NIO channels. Why: its
     * NIO socket pushes every response write through an 8 KiB heap buffer, one copy and one
     * syscall per 8 KiB (JFR: {@code NioSocket.write}, a third of a download's samples); the
     * blocking socket hands each write to the JDK whole. Reads copy as often either way.
     *
     * <p>TCP_NODELAY: Helidon already gathers each response into whole writes (a JSON answer is
     * one write with its headers), so Nagle's algorithm has nothing left to merge and would only
     * hold the last partial segment of a multi-write body (a download) until the client's ACK.
     */
    public static WebServerConfig.Builder server(String host, int port) {
        return WebServer.builder().host(host).port(port).useNio(false)
                .connectionOptions(o -> o.tcpNoDelay(true));
    }

    /** Wires the upload and download path from its parts. */
    public static Gateway gateway(GatewayConfig config, FileCatalog catalog, NodeRepository nodes, StorageNodeClients clients,
                                  Supplier<HashRing> ring, List<ReadinessCheck> readiness) {
        GatewayMetrics metrics = new GatewayMetrics();
        ChunkBufferPool pool = new ChunkBufferPool(config.chunkSize(), config.bufferMemory());
        ChunkPlacer placer = new ChunkPlacer(ring, clients, config.putAttempts(), config.putTimeout(), metrics);
        UploadPipeline pipeline = new UploadPipeline(pool, placer, config.maxFileSize(), config.bufferWait());
        ReadPermits reads = new ReadPermits(config.readStreams(), config.bufferWait());
        metrics.watch(catalog, pool, reads, ring);
        return new Gateway(config, catalog, nodes, new NodeDirectory(ring, nodes), clients, pipeline,
                new ChunkStreamer(clients, reads, metrics), new IdleWatchdog(config.idleTimeout()), readiness, metrics);
    }

    /**
     * Adds the process-wide figures to the gateway's metrics: the JVM, the metadata pool (whose
     * checkout timer can be set once per pool) and the outbox relay. Once per process.
     */
    public static void observe(Gateway gateway, Database db, OutboxRelay relay) {
        JvmMetrics.register(gateway.metrics().registry());
        PoolMetrics.register(gateway.metrics().registry(), db);
        RelayMetrics.register(gateway.metrics().registry(), relay);
    }

    public static void main(String[] args) throws InterruptedException {
        Logging.configure("ingest-gateway");
        GrpcBuffers.configure();
        Settings settings = Settings.from(args);
        GatewayConfig config = GatewayConfig.from(settings);
        HeapRoom.check(config.bufferMemory()).ifPresent(LOG::warning);
        HelidonPatch.check().ifPresent(LOG::warning);
        String bootstrap = settings.string("kafka.bootstrap", "localhost:9092");
        Duration sessionTtl = settings.duration("gateway.session-ttl", Duration.ofHours(24));
        Duration completionPoll = settings.duration("gateway.completion-poll", Duration.ofMillis(250));

        Database db = Database.fromSettings(settings, "gateway");
        NodeRepository nodeRepository = new NodeRepository(db);
        NodeRegistry registry = new NodeRegistry(nodeRepository, MembershipConfig.fromSettings(settings)).start();
        OutboxRelay relay = OutboxRelay.start(db, bootstrap, OutboxRelay.Options.fromSettings(settings));
        Admin admin = Readiness.kafkaAdmin(bootstrap);
        StorageNodeClients clients = new StorageNodeClients();
        FileCache cache = new FileCache(settings.longValue("gateway.metadata-cache", FileCache.DEFAULT_MAX_WEIGHT));
        SettledListener settled = SettledListener.start(
                () -> db.openSession("settled-listener"), cache);
        FileCatalog catalog = new FileCatalog(db, new Events("ingest-gateway"), config.gatewayId(), sessionTtl, settled,
                completionPoll);
        Gateway gateway = gateway(config, catalog, nodeRepository, clients, registry::ring, List.of(
                Readiness.postgres(db), Readiness.kafka(admin, Duration.ofSeconds(2)),
                Readiness.outbox(relay, config.completionWait()), Readiness.storageNodes(registry::ring)));

        observe(gateway, db, relay);

        WebServer server = server(config.host(), config.port())
                .shutdownGracePeriod(Duration.ofSeconds(10))
                .routing(r -> routing(r, gateway))
                .build()
                .start();
        if (!server.isRunning()) {
            // Helidon logs and carries on when the port is taken; a gateway that does not listen must not look alive.
            System.err.println("ingest-gateway: cannot listen on " + config.host() + ":" + config.port());
            System.exit(1);
        }
        LOG.info(() -> "ingest-gateway " + config.gatewayId() + " listening on " + config.host() + ":" + server.port()
                + " chunk-size=" + config.chunkSize() + " buffer-memory=" + config.bufferMemory());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            gateway.watchdog().close();
            settled.close();
            relay.close();
            admin.close();
            registry.close();
            clients.close();
            db.close();
            stopped.countDown();
        }, "gateway-shutdown"));
        stopped.await();
    }
}
