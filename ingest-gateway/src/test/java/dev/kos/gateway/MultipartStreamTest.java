package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pure unit tests of the multipart reader, with reads split at every awkward place. */
class MultipartStreamTest {
    private static final String B = "XyZboundary";

    /** Hands out at most {@code step} bytes per read, so delimiters straddle reads. */
    static InputStream trickle(byte[] data, int step) {
        return new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, step));
            }
        };
    }

    static byte[] body(byte[] file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("preamble\r\n--" + B + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n").getBytes());
        out.writeBytes(("--" + B + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\r\n").getBytes());
        out.writeBytes(file);
        out.writeBytes(("\r\n--" + B + "--\r\n").getBytes());
        return out.toByteArray();
    }

    @Test
    void readsPartsWhateverTheReadSizes() throws IOException {
        byte[] file = new byte[200_000];
        new Random(1).nextBytes(file);
        // Bytes that look like the start of a delimiter inside the file must survive.
        byte[] trap = ("\r\n--" + B.substring(0, 5)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(trap, 0, file, 1000, trap.length);
        for (int step : new int[] {1, 3, 7, 64, 4096, 1 << 20}) {
            MultipartStream m = new MultipartStream(trickle(body(file), step), B);
            MultipartStream.Part a = m.next().orElseThrow();
            assertEquals("a", a.disposition("name").orElseThrow());
            MultipartStream.Part f = m.next().orElseThrow();
            assertEquals("f.bin", f.disposition("filename").orElseThrow());
            assertArrayEquals(file, f.body().readAllBytes(), "step " + step);
            assertTrue(m.next().isEmpty());
        }
    }

    @Test
    void truncatedBodyIsABadRequest() {
        byte[] full = body(new byte[5000]);
        byte[] cut = java.util.Arrays.copyOf(full, full.length - 30);
        ApiException e = assertThrows(ApiException.class, () -> {
            MultipartStream m = new MultipartStream(new ByteArrayInputStream(cut), B);
            m.next();
            m.next().orElseThrow().body().readAllBytes();
        });
        assertEquals(400, e.status().code());
        assertEquals("bad_multipart", e.code());
    }
}
