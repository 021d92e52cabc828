package dev.kos.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Prometheus' text format (what {@code MetricRegistry.scrape()} writes and every service
 * serves on GET /metrics) into samples keyed by their name and labels as written, e.g.
 * {@code kos_http_requests_total{method="GET",route="/files",code="200"}}.
 *
 * <p>One strict reader for every module's tests, rather than a lenient loop copied into each: a
 * test that reads a figure also checks that the whole text is what Prometheus would accept. Every
 * line is {@code # HELP}, {@code # TYPE name counter|gauge|histogram}, or a well-formed sample of
 * a declared metric ({@code _bucket}, {@code _sum} and {@code _count} of a declared histogram); no
 * sample is written twice and the text ends with a newline. A text that breaks any of that fails
 * the test with an {@link AssertionError} naming the line.
 */
public final class Metrics {
    /** The Content-Type of Prometheus' text format 0.0.4, as every kos /metrics serves it. */
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*\\})? "
                    + "(NaN|[+-]Inf|-?[0-9]+(?:\\.[0-9]+)?(?:E-?[0-9]+)?)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private Metrics() {
    }

    /**
     * Sample lines by their name and labels as written ({@code name{a="b"}}), values as doubles
     * ({@code +Inf} and {@code -Inf} as infinities), in the order written.
     *
     * @throws AssertionError naming the first line that is not well formed, or the sample written twice
     */
    public static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        if (text.isEmpty()) {
            return samples;
        }
        if (!text.endsWith("\n")) {
            throw new AssertionError("the text does not end with a newline: " + text.substring(text.lastIndexOf('\n') + 1));
        }
        Map<String, String> types = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP ")) {
                continue;
            }
            Matcher t = TYPE.matcher(line);
            if (t.matches()) {
                types.put(t.group(1), t.group(2));
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a sample line: " + line);
            }
            String name = m.group(1);
            String base = name.replaceFirst("_(bucket|sum|count)$", "");
            if (!types.containsKey(name) && !"histogram".equals(types.get(base))) {
                throw new AssertionError("sample of an undeclared metric: " + line);
            }
            String key = name + (m.group(2) == null ? "" : m.group(2));
            double value = Double.parseDouble(m.group(3).replace("+Inf", "Infinity").replace("-Inf", "-Infinity"));
            if (samples.put(key, value) != null) {
                throw new AssertionError("sample written twice: " + line);
            }
        }
        return samples;
    }

    /**
     * GET {@code uri} as Prometheus scrapes it: status 200 with the text format's Content-Type,
     * the body {@linkplain #parse(String) parsed}.
     *
     * @throws AssertionError on another status or Content-Type, or a malformed body
     * @throws UncheckedIOException when the request fails
     */
    public static Map<String, Double> scrape(URI uri) {
        HttpResponse<String> r;
        try {
            r = HTTP.send(HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(uri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted scraping " + uri, e);
        }
        if (r.statusCode() != 200) {
            throw new AssertionError(uri + ": status " + r.statusCode() + ", expected 200: " + r.body());
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (!CONTENT_TYPE.equals(type)) {
            throw new AssertionError(uri + ": Content-Type '" + type + "', expected '" + CONTENT_TYPE + "'");
        }
        try {
            return parse(r.body());
        } catch (AssertionError e) {
            throw new AssertionError(uri + ": " + e.getMessage(), e);
        }
    }

    /** The sample's value, 0 when it is absent (a labelled counter writes no sample for labels it has not counted yet). */
    public static double value(Map<String, Double> samples, String sample) {
        return samples.getOrDefault(sample, 0.0);
    }
}
