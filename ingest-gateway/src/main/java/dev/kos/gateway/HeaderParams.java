package dev.kos.gateway;

import java.util.Locale;
import java.util.Optional;

/** Parameters of structured header values such as {@code form-data; name="file"; filename="a.txt"}. */
final class HeaderParams {
    private HeaderParams() {
    }

    static Optional<String> param(String headerValue, String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        int i = headerValue.indexOf(';');
        while (i >= 0 && i < headerValue.length()) {
            int start = i + 1;
            while (start < headerValue.length() && headerValue.charAt(start) == ' ') {
                start++;
            }
            int eq = headerValue.indexOf('=', start);
            if (eq < 0) {
                return Optional.empty();
            }
            String key = headerValue.substring(start, eq).trim().toLowerCase(Locale.ROOT);
            String value;
            int next;
            if (eq + 1 < headerValue.length() && headerValue.charAt(eq + 1) == '"') {
                StringBuilder sb = new StringBuilder();
                int j = eq + 2;
                while (j < headerValue.length() && headerValue.charAt(j) != '"') {
                    char c = headerValue.charAt(j);
                    if (c == '\\' && j + 1 < headerValue.length()) {
                        c = headerValue.charAt(++j);
                    }
                    sb.append(c);
                    j++;
                }
                value = sb.toString();
                next = headerValue.indexOf(';', j);
            } else {
                next = headerValue.indexOf(';', eq);
                value = headerValue.substring(eq + 1, next < 0 ? headerValue.length() : next).trim();
            }
            if (key.equals(wanted)) {
                return Optional.of(value);
            }
            i = next;
        }
        return Optional.empty();
    }
}
