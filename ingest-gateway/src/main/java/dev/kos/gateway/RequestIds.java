package dev.kos.gateway;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerResponse;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Gives every request an id: the client's X-Request-Id when it is a sane token (so a caller can
 * follow its request through our logs), else a fresh one. It is set on the response before any
 * handler runs, so every answer, errors included, carries it.
 */
public final class RequestIds {
    public static final HeaderName X_REQUEST_ID = HeaderNames.create("X-Request-Id");
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestIds() {
    }

    public static void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String id = req.headers().first(X_REQUEST_ID).filter(v -> SAFE.matcher(v).matches())
                .orElseGet(RequestIds::fresh);
        res.header(X_REQUEST_ID, id);
        chain.proceed();
    }

    /**
     * A random version-4 UUID from the thread's own generator. A request id only has to be
     * unique, not unguessable, and UUID.randomUUID() serializes every request on one
     * SecureRandom lock (visible in the profile of 100 concurrent metadata requests).
     */
    static String fresh() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = (r.nextLong() & ~0xF000L) | 0x4000L;            // version 4
        long lo = (r.nextLong() & ~(0xC0L << 56)) | (0x80L << 56); // IETF variant
        return new UUID(hi, lo).toString();
    }

    /** The id set on this response by {@link #filter}. */
    public static String of(ServerResponse res) {
        return res.headers().first(X_REQUEST_ID).orElse("");
    }
}
