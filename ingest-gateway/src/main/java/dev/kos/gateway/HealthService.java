package dev.kos.gateway;

import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * GET /health: liveness (the process serves HTTP). GET /ready: every dependency with its state;
 * 503 when one is not ready, so a load balancer stops sending uploads here.
 */
public final class HealthService implements HttpService {
    private static final Logger LOG = Logger.getLogger(HealthService.class.getName());
    private final Gateway gateway;

    public HealthService(Gateway gateway) {
        this.gateway = gateway;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health", this::health).get("/ready", this::ready);
    }

    private void health(ServerRequest req, ServerResponse res) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "up");
        body.put("gateway_id", gateway.config().gatewayId());
        FileCache.Stats cache = gateway.catalog().cacheStats();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("serving", cache.serving());
        c.put("files", cache.files());
        c.put("hits", cache.hits());
        c.put("misses", cache.misses());
        c.put("shared_misses", cache.sharedMisses());
        c.put("list_pages", cache.pages());
        c.put("list_hits", cache.pageHits());
        c.put("list_misses", cache.pageMisses());
        c.put("list_shared_misses", cache.sharedPageMisses());
        body.put("metadata_cache", c);
        FilesService.sendJson(res, body);
    }

    private void ready(ServerRequest req, ServerResponse res) {
        boolean ready = true;
        Map<String, Object> checks = new LinkedHashMap<>();
        for (ReadinessCheck check : gateway.readiness()) {
            ReadinessCheck.Result r;
            try {
                r = check.check();
            } catch (RuntimeException e) {
                r = ReadinessCheck.Result.down("error", e.getMessage());
            }
            ready &= r.ready();
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("ready", r.ready());
            one.put("state", r.state());
            one.put("detail", r.detail());
            checks.put(check.name(), one);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ready ? "ready" : "not_ready");
        body.put("checks", checks);
        if (!ready) {
            LOG.fine(() -> "not ready: " + checks);
            res.status(Status.SERVICE_UNAVAILABLE_503);
        }
        FilesService.sendJson(res, body);
    }
}
