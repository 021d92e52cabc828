package dev.kos.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A strict reader of the text format for tests: every line well formed, every sample of a declared metric. */
final class PromText {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*\\})? "
                    + "(NaN|[+-]Inf|-?[0-9]+(?:\\.[0-9]+)?(?:E-?[0-9]+)?)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)");

    private PromText() {
    }

    /** Sample lines by their name and labels as written ({@code name{a="b"}}), values as doubles. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        Map<String, String> types = new HashMap<>();
        assertTrue(text.isEmpty() || text.endsWith("\n"), "the text ends with a newline");
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
                fail("not a sample line: " + line);
            }
            String name = m.group(1);
            String base = name.replaceFirst("_(bucket|sum|count)$", "");
            assertTrue(types.containsKey(name) || "histogram".equals(types.get(base)), "sample of an undeclared metric: " + line);
            String key = name + (m.group(2) == null ? "" : m.group(2));
            if (samples.put(key, Double.parseDouble(m.group(3).replace("+Inf", "Infinity").replace("-Inf", "-Infinity"))) != null) {
                fail("sample written twice: " + key);
            }
        }
        return samples;
    }
}
