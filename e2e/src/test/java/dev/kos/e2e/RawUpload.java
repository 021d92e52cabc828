package dev.kos.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * An upload over a bare socket, for what java.net.http will not do: declare a length and send
 * less, stall mid-body, or hang up without finishing.
 */
final class RawUpload implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;

    private RawUpload(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
    }

    /** Opens a raw-body upload declaring {@code declaredLength} bytes; no body sent yet. */
    static RawUpload start(String gatewayUrl, String name, long declaredLength) throws IOException {
        URI base = URI.create(gatewayUrl);
        RawUpload u = new RawUpload(new Socket(base.getHost(), base.getPort()));
        u.out.write(("POST /files?name=" + name + " HTTP/1.1\r\n"
                + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                + "Content-Type: application/octet-stream\r\n"
                + "Content-Length: " + declaredLength + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return u;
    }

    /** Sends the next {@code count} bytes of the data. */
    void send(InputStream data, long count) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long left = count;
        while (left > 0) {
            int n = data.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("data ended early");
            }
            out.write(buf, 0, n);
            left -= n;
        }
        out.flush();
    }

    /**
     * Waits up to the timeout for the gateway's answer: its status code, or empty when it
     * closed or reset the connection without one.
     */
    Optional<Integer> awaitStatus(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        try {
            StringBuilder line = new StringBuilder();
            InputStream in = socket.getInputStream();
            for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
                line.append((char) c);
            }
            String s = line.toString();
            if (!s.startsWith("HTTP/1.1 ")) {
                return Optional.empty();
            }
            return Optional.of(Integer.parseInt(s.substring(9, 12)));
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer and no close from the gateway within " + timeoutMillis + " ms", e);
        } catch (SocketException reset) {
            return Optional.empty();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
