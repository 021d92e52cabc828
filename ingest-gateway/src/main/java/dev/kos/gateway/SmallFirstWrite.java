package dev.kos.gateway;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A response body stream whose first write passes at most {@link #HEAD} bytes on, and the rest of
 * that write after it. Why: Helidon sends a response with a Content-Length by copying its first
 * write, whatever its size, into one fresh buffer behind the headers (one segment for both); a
 * download's first write is a whole frame from the node (up to 1 MiB), so every download copied
 * that much into a newly allocated array before the socket saw it, the largest share of a 1 MiB
 * GET's gateway CPU after the socket itself (JFR: {@code BufferData.read} and
 * {@code BlockingOutputStream.write(BufferData)}, ~22 % of samples). Writes after the first go to
 * the socket as they are.
 *
 * <p>Public for bench's {@code HttpFloor}, which writes its floor's downloads the same way.
 */
public final class SmallFirstWrite extends FilterOutputStream {
    /** Enough for the headers' segment to carry some body; small enough that the copy is noise. */
    static final int HEAD = 16 * 1024;

    private boolean first = true;

    public SmallFirstWrite(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        first = false;
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (first && len > HEAD) {
            first = false;
            out.write(b, off, HEAD);
            out.write(b, off + HEAD, len - HEAD);
            return;
        }
        if (len > 0) {
            first = false;
        }
        out.write(b, off, len);
    }
}
