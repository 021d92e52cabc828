package dev.kos.gateway;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A tiny JSON writer for the gateway's response bodies: maps (insertion ordered), lists,
 * strings, numbers, booleans and null. Enough for our documents, no reflection, no library.
 */
public final class Json {
    private Json() {
    }

    public static String write(Object value) {
        return write(value, 1024);
    }

    /**
     * @param capacity the expected length: a builder that has to grow copies itself each time
     *     (a list page grew five times, a tenth of its CPU went to growing and copying)
     */
    public static String write(Object value, int capacity) {
        StringBuilder out = new StringBuilder(capacity);
        append(out, value);
        return out.toString();
    }

    private static void append(StringBuilder out, Object v) {
        switch (v) {
            case null -> out.append("null");
            case String s -> string(out, s);
            case Number n -> out.append(n);
            case Boolean b -> out.append(b);
            case Map<?, ?> m -> {
                out.append('{');
                Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
                while (it.hasNext()) {
                    Map.Entry<?, ?> e = it.next();
                    string(out, String.valueOf(e.getKey()));
                    out.append(':');
                    append(out, e.getValue());
                    if (it.hasNext()) {
                        out.append(',');
                    }
                }
                out.append('}');
            }
            case List<?> l -> {
                out.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    append(out, l.get(i));
                }
                out.append(']');
            }
            default -> string(out, v.toString());
        }
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        // Runs of plain characters are appended whole: names, ids and times rarely need escaping,
        // and a char-by-char append was the largest cost of a metadata response (profile in bench/).
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            out.append(s, run, i);
            run = i + 1;
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        out.append(s, run, s.length());
        out.append('"');
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();
}
