package dev.kos.gateway;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Every error, expected or not, leaves as one JSON shape with the request id. */
public final class ErrorResponses {
    private static final Logger LOG = Logger.getLogger(ErrorResponses.class.getName());

    private ErrorResponses() {
    }

    public static void api(ServerRequest req, ServerResponse res, ApiException e) {
        if (e.status().code() >= 500) {
            LOG.warning(() -> "request " + RequestIds.of(res) + " " + req.prologue().method().text() + " "
                    + req.path().path() + " -> " + e.status().code() + " " + e.code() + ": " + e.getMessage());
        }
        send(res, e.status(), e.code(), e.getMessage());
    }

    public static void unexpected(ServerRequest req, ServerResponse res, Throwable e) {
        LOG.log(Level.SEVERE, "request " + RequestIds.of(res) + " " + req.prologue().method().text() + " "
                + req.path().path() + " failed: " + e, e);
        send(res, Status.INTERNAL_SERVER_ERROR_500, "internal_error", "internal error; quote the request id");
    }

    /** 404 for any path no route matched. */
    public static void noRoute(ServerRequest req, ServerResponse res) {
        send(res, Status.NOT_FOUND_404, "not_found", "no such resource: " + req.prologue().method().text()
                + " " + req.path().path());
    }

    static void send(ServerResponse res, Status status, String code, String message) {
        if (res.isSent()) {
            // Headers and part of a body are on the wire (a download failed mid-stream): the only
            // honest signal left is to cut the connection, which Helidon does when we rethrow.
            throw new IllegalStateException("response already committed; aborting: " + message);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status.code());
        body.put("error", code);
        body.put("message", message);
        body.put("request_id", RequestIds.of(res));
        res.status(status);
        res.headers().remove(HeaderNames.CONTENT_LENGTH);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(Json.write(body));
    }
}
