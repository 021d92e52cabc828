package dev.kos.metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.regex.Pattern;

/**
 * A process's metrics, written in Prometheus' text exposition format (version 0.0.4) by
 * {@link #scrape()}. Metrics are registered once, at start-up, and written in registration order.
 * Three kinds: counters and histograms this registry keeps ({@link #counter}, {@link #histogram});
 * values read from elsewhere at scrape time ({@link #gauge}, {@link #counterOf}); and labelled
 * samples computed at scrape time ({@link #samples}), for sets that change (nodes, collectors).
 */
public final class MetricRegistry {
    /** The content type of {@link #scrape()}'s text. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** What a metric's {@code # TYPE} line says. */
    public enum Type {
        COUNTER, GAUGE, HISTOGRAM;

        String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Receives the samples of a {@link #samples} metric at scrape time. */
    @FunctionalInterface
    public interface Samples {
        /** One sample; label values in the order of the metric's label names. */
        void add(double value, String... labelValues);
    }

    private record Entry(String name, String help, Type type, List<String> labelNames, Consumer<TextWriter> write) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** A counter without labels. Counter names end in {@code _total} by Prometheus' convention. */
    public Counter counter(String name, String help) {
        return counter(name, help, new String[0]).labels();
    }

    public Family<Counter> counter(String name, String help, String... labelNames) {
        Family<Counter> family = new Family<>(List.of(labelNames), Counter::new);
        register(name, help, Type.COUNTER, family.labelNames(), w -> {
            for (Map.Entry<List<String>, Counter> e : sorted(family)) {
                w.sample(name, family.labelNames(), e.getKey(), null, null, e.getValue().value());
            }
        });
        return family;
    }

    /** A histogram without labels, over {@code bounds} (see {@link Histogram#LATENCY_SECONDS}). */
    public Histogram histogram(String name, String help, double[] bounds) {
        return histogram(name, help, bounds, new String[0]).labels();
    }

    public Family<Histogram> histogram(String name, String help, double[] bounds, String... labelNames) {
        double[] b = Histogram.checkBounds(bounds);
        if (List.of(labelNames).contains("le")) {
            throw new IllegalArgumentException("\"le\" is the bucket label of a histogram: " + name);
        }
        Family<Histogram> family = new Family<>(List.of(labelNames), () -> new Histogram(b));
        register(name, help, Type.HISTOGRAM, family.labelNames(), w -> {
            for (Map.Entry<List<String>, Histogram> e : sorted(family)) {
                Histogram h = e.getValue();
                long[] counts = h.cumulativeCounts();
                for (int i = 0; i < b.length; i++) {
                    w.sample(name + "_bucket", family.labelNames(), e.getKey(), "le", TextWriter.number(b[i]), counts[i]);
                }
                w.sample(name + "_bucket", family.labelNames(), e.getKey(), "le", "+Inf", counts[b.length]);
                w.sample(name + "_sum", family.labelNames(), e.getKey(), null, null, h.sum());
                w.sample(name + "_count", family.labelNames(), e.getKey(), null, null, counts[b.length]);
            }
        });
        return family;
    }

    /** A value read at scrape time (a pool's size, a queue's length). */
    public void gauge(String name, String help, DoubleSupplier value) {
        register(name, help, Type.GAUGE, List.of(), w -> w.sample(name, List.of(), List.of(), null, null, value.getAsDouble()));
    }

    /** A count kept elsewhere (a cache's hits), read at scrape time; it must never go down. */
    public void counterOf(String name, String help, DoubleSupplier value) {
        register(name, help, Type.COUNTER, List.of(), w -> w.sample(name, List.of(), List.of(), null, null, value.getAsDouble()));
    }

    /** Labelled samples computed at scrape time, for a counter or a gauge over a set that changes. */
    public void samples(String name, String help, Type type, List<String> labelNames, Consumer<Samples> collect) {
        if (type == Type.HISTOGRAM) {
            throw new IllegalArgumentException("computed samples are counters or gauges: " + name);
        }
        List<String> names = List.copyOf(labelNames);
        register(name, help, type, names, w -> collect.accept((value, labelValues) -> {
            if (labelValues.length != names.size()) {
                throw new IllegalArgumentException(name + ": expected label values for " + names);
            }
            w.sample(name, names, List.of(labelValues), null, null, value);
        }));
    }

    private synchronized void register(String name, String help, Type type, List<String> labelNames,
                                       Consumer<TextWriter> write) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a metric name: " + name);
        }
        for (String l : labelNames) {
            if (!LABEL.matcher(l).matches() || l.startsWith("__")) {
                throw new IllegalArgumentException("not a label name: " + l + " (" + name + ")");
            }
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("metric registered twice: " + name);
        }
        entries.put(name, new Entry(name, help, type, labelNames, write));
    }

    private static <T> List<Map.Entry<List<String>, T>> sorted(Family<T> family) {
        List<Map.Entry<List<String>, T>> list = new ArrayList<>(family.children().entrySet());
        list.sort(Comparator.comparing(e -> String.join("\u0000", e.getKey())));
        return list;
    }

    /**
     * Every metric as text. A metric whose values cannot be read right now (a closed pool) is
     * left out of this scrape rather than failing all the others.
     */
    public String scrape() {
        List<Entry> snapshot;
        synchronized (this) {
            snapshot = List.copyOf(entries.values());
        }
        TextWriter w = new TextWriter();
        for (Entry e : snapshot) {
            int mark = w.length();
            w.header(e.name(), e.help(), e.type().text());
            try {
                e.write().accept(w);
            } catch (RuntimeException ex) {
                w.truncate(mark);
            }
        }
        return w.toString();
    }
}
