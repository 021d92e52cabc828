package dev.kos.metrics;

import java.util.List;

/** Lines of Prometheus' text format: escaping and number formatting in one place. */
final class TextWriter {
    private final StringBuilder out = new StringBuilder(4096);

    void header(String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ');
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        out.append('\n').append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** One sample line; {@code extraLabel} (a histogram's {@code le}) goes after the others when not null. */
    void sample(String name, List<String> labelNames, List<String> labelValues, String extraLabel, String extraValue,
                double value) {
        out.append(name);
        if (!labelNames.isEmpty() || extraLabel != null) {
            out.append('{');
            for (int i = 0; i < labelNames.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                label(labelNames.get(i), labelValues.get(i));
            }
            if (extraLabel != null) {
                if (!labelNames.isEmpty()) {
                    out.append(',');
                }
                label(extraLabel, extraValue);
            }
            out.append('}');
        }
        out.append(' ').append(number(value)).append('\n');
    }

    private void label(String name, String value) {
        out.append(name).append("=\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        out.append('"');
    }

    /** Whole numbers without a fraction (counts stay readable), the rest as Java writes doubles. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    int length() {
        return out.length();
    }

    void truncate(int length) {
        out.setLength(length);
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
