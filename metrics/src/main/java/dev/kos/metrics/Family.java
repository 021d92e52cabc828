package dev.kos.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One metric with labels: a child per combination of label values, made on first use. Callers on
 * a hot path keep the child they need rather than looking it up per event. Label values must
 * come from small fixed sets (a route pattern, a status code, a node id), never from request
 * data: every combination is a time series kept forever.
 */
public final class Family<T> {
    private final List<String> labelNames;
    private final Supplier<T> maker;
    private final Map<List<String>, T> children = new ConcurrentHashMap<>();

    Family(List<String> labelNames, Supplier<T> maker) {
        this.labelNames = List.copyOf(labelNames);
        this.maker = maker;
    }

    /** The child for these label values, in the order of the family's label names. */
    public T labels(String... values) {
        if (values.length != labelNames.size()) {
            throw new IllegalArgumentException("expected " + labelNames.size() + " label values " + labelNames + ", got "
                    + Arrays.toString(values));
        }
        for (String v : values) {
            if (v == null) {
                throw new IllegalArgumentException("a label value is null: " + Arrays.toString(values));
            }
        }
        return children.computeIfAbsent(List.of(values), k -> maker.get());
    }

    List<String> labelNames() {
        return labelNames;
    }

    Map<List<String>, T> children() {
        return children;
    }
}
