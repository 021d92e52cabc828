package dev.kos.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings of one kos process, from command-line flags and environment variables.
 *
 * <p>A setting has one dotted key, for example {@code node.data-dir}. It is read from the flag
 * {@code --node-data-dir=value} (or {@code --node-data-dir value}) first, then from the
 * environment variable {@code KOS_NODE_DATA_DIR}, then falls back to the documented default the
 * caller passes. Flags win so that one machine can run several processes from one environment.
 */
public final class Settings {
    private static final Pattern SIZE = Pattern.compile("(?i)^\\s*(\\d+)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\\s*$");
    private static final Pattern DURATION = Pattern.compile("(?i)^\\s*(\\d+)\\s*(ms|s|m|h|d)?\\s*$");

    private final Map<String, String> flags;
    private final Map<String, String> env;

    private Settings(Map<String, String> flags, Map<String, String> env) {
        this.flags = flags;
        this.env = env;
    }

    /** Settings from this process's flags and environment. */
    public static Settings from(String[] args) {
        return of(args, System.getenv());
    }

    /** Settings from the given flags and environment (tests pass their own). */
    public static Settings of(String[] args, Map<String, String> env) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new IllegalArgumentException("unexpected argument '" + a + "': settings are --name=value flags");
            }
            String body = a.substring(2);
            int eq = body.indexOf('=');
            if (eq >= 0) {
                flags.put(body.substring(0, eq), body.substring(eq + 1));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                flags.put(body, args[++i]);
            } else {
                flags.put(body, "true");
            }
        }
        return new Settings(flags, Map.copyOf(env));
    }

    /** The flag name for a key: {@code node.data-dir} is {@code --node-data-dir}. */
    public static String flagName(String key) {
        return key.replace('.', '-');
    }

    /** The environment variable for a key: {@code node.data-dir} is {@code KOS_NODE_DATA_DIR}. */
    public static String envName(String key) {
        return "KOS_" + key.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    public Optional<String> optional(String key) {
        String v = flags.get(flagName(key));
        if (v == null) {
            v = env.get(envName(key));
        }
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    public String string(String key, String defaultValue) {
        return optional(key).orElse(defaultValue);
    }

    public int integer(String key, int defaultValue) {
        return optional(key).map(v -> parse(key, v, Integer::parseInt)).orElse(defaultValue);
    }

    public long longValue(String key, long defaultValue) {
        return optional(key).map(v -> parse(key, v, Long::parseLong)).orElse(defaultValue);
    }

    public boolean bool(String key, boolean defaultValue) {
        return optional(key).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw invalid(key, v, "true or false");
        }).orElse(defaultValue);
    }

    /** A byte size: a plain number of bytes, or with a binary suffix (64MiB, 10g, 512k). */
    public long bytes(String key, long defaultValue) {
        return optional(key).map(v -> parseBytes(key, v)).orElse(defaultValue);
    }

    /** A duration: 250ms, 10s, 5m, 24h, 7d, or a plain number of seconds. */
    public Duration duration(String key, Duration defaultValue) {
        return optional(key).map(v -> parseDuration(key, v)).orElse(defaultValue);
    }

    static long parseBytes(String key, String v) {
        Matcher m = SIZE.matcher(v);
        if (!m.matches()) {
            throw invalid(key, v, "a size such as 1048576, 64MiB or 10g");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
            throw invalid(key, v, "a size that fits in 63 bits");
        }
        return n << shift;
    }

    static Duration parseDuration(String key, String v) {
        Matcher m = DURATION.matcher(v);
        if (!m.matches()) {
            throw invalid(key, v, "a duration such as 250ms, 10s, 5m, 24h or 7d");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }

    private interface Parser<T> {
        T parse(String v);
    }

    private static <T> T parse(String key, String v, Parser<T> parser) {
        try {
            return parser.parse(v);
        } catch (NumberFormatException e) {
            throw invalid(key, v, "a whole number");
        }
    }

    private static IllegalArgumentException invalid(String key, String v, String expected) {
        return new IllegalArgumentException("setting " + key + " (--" + flagName(key) + " or " + envName(key)
                + ") is '" + v + "'; expected " + expected);
    }
}
