package dev.kos.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A streaming multipart/form-data reader (RFC 7578): parts are visited in order and each part's
 * body is an InputStream read straight off the request, through one 64 KiB buffer. Nothing is
 * held in memory beyond that buffer and a part's headers (capped at 16 KiB).
 */
public final class MultipartStream {
    private static final int BUFFER = 64 * 1024;
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    /** One part: its headers (lowercase names) and its body, valid until the next part is asked for. */
    public record Part(Map<String, String> headers, InputStream body) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        /** A parameter of Content-Disposition, such as {@code name} or {@code filename}. */
        public Optional<String> disposition(String parameter) {
            return header("content-disposition").flatMap(v -> HeaderParams.param(v, parameter));
        }
    }

    private final InputStream in;
    private final byte[] delimiter; // CRLF "--" boundary
    private final byte[] buf;
    private int pos;
    private int lim;
    private boolean eof;
    private boolean finished;
    private boolean started;
    private PartBody current;

    public MultipartStream(InputStream in, String boundary) {
        if (boundary == null || boundary.isEmpty() || boundary.length() > 70) {
            throw ApiException.badRequest("bad_multipart", "multipart boundary missing or longer than 70 characters");
        }
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buf = new byte[BUFFER];
        // The body starts with "--boundary" without the CRLF: pretend it had one.
        buf[0] = '\r';
        buf[1] = '\n';
        lim = 2;
    }

    /** The next part, or empty after the closing delimiter. Skips the rest of the current part. */
    public Optional<Part> next() throws IOException {
        if (current != null) {
            current.skipAll();
            current = null;
        } else if (!started) {
            skipPreamble();
        }
        started = true;
        if (finished) {
            return Optional.empty();
        }
        Map<String, String> headers = readHeaders();
        current = new PartBody();
        return Optional.of(new Part(headers, current));
    }

    private void skipPreamble() throws IOException {
        PartBody preamble = new PartBody();
        preamble.skipAll();
    }

    /** After a delimiter: "--" ends the body, else CRLF then headers follow. */
    private void afterDelimiter() throws IOException {
        ensure(2);
        if (lim - pos >= 2 && buf[pos] == '-' && buf[pos + 1] == '-') {
            finished = true;
            pos += 2;
            return;
        }
        // Transport padding (spaces/tabs) may precede the CRLF.
        while (true) {
            ensure(1);
            if (lim - pos < 1) {
                throw malformed("body ended inside a delimiter line");
            }
            byte b = buf[pos];
            if (b == ' ' || b == '\t') {
                pos++;
            } else {
                break;
            }
        }
        ensure(2);
        if (lim - pos < 2 || buf[pos] != '\r' || buf[pos + 1] != '\n') {
            throw malformed("expected CRLF after a boundary");
        }
        pos += 2;
    }

    private Map<String, String> readHeaders() throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        int total = 0;
        while (true) {
            String line = readLine();
            total += line.length() + 2;
            if (total > MAX_HEADER_BYTES) {
                throw malformed("part headers exceed " + MAX_HEADER_BYTES + " bytes");
            }
            if (line.isEmpty()) {
                return headers;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw malformed("bad part header line");
            }
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            ensure(2);
            if (lim - pos < 2) {
                throw malformed("body ended inside part headers");
            }
            if (buf[pos] == '\r' && buf[pos + 1] == '\n') {
                pos += 2;
                // Headers are UTF-8 in practice (RFC 7578 4.2: file names may be raw UTF-8).
                byte[] raw = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
                return new String(raw, StandardCharsets.UTF_8);
            }
            sb.append((char) (buf[pos++] & 0xff));
            if (sb.length() > MAX_HEADER_BYTES) {
                throw malformed("part header line too long");
            }
        }
    }

    /** Makes at least {@code n} bytes available from pos unless the body ended. */
    private void ensure(int n) throws IOException {
        if (lim - pos >= n) {
            return;
        }
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        while (lim < n && !eof) {
            int r = in.read(buf, lim, buf.length - lim);
            if (r < 0) {
                eof = true;
            } else {
                lim += r;
            }
        }
    }

    private static ApiException malformed(String why) {
        return ApiException.badRequest("bad_multipart", "malformed multipart body: " + why);
    }

    private int indexOfDelimiter() {
        outer:
        for (int i = pos; i <= lim - delimiter.length; i++) {
            for (int j = 0; j < delimiter.length; j++) {
                if (buf[i + j] != delimiter[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The body of the current part: ends where the next delimiter starts. */
    private final class PartBody extends InputStream {
        private boolean done;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (done) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            while (true) {
                ensure(delimiter.length + 2);
                int at = indexOfDelimiter();
                int safeEnd = at >= 0 ? at : eof ? lim : Math.max(pos, lim - delimiter.length + 1);
                if (safeEnd > pos) {
                    int n = Math.min(len, safeEnd - pos);
                    System.arraycopy(buf, pos, b, off, n);
                    pos += n;
                    return n;
                }
                if (at == pos) {
                    pos += delimiter.length;
                    done = true;
                    afterDelimiter();
                    return -1;
                }
                if (eof) {
                    throw malformed("body ended before the closing boundary");
                }
                // Not enough bytes to decide: force a refill by compacting.
                ensureMore();
            }
        }

        private void ensureMore() throws IOException {
            ensure(lim - pos + 1);
        }

        void skipAll() throws IOException {
            byte[] scratch = new byte[8192];
            while (read(scratch, 0, scratch.length) >= 0) {
                // discard
            }
        }
    }
}
