package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SmallFirstWriteTest {
    /** Records the length of every write it is given, and the bytes. */
    private static final class Recording extends OutputStream {
        final List<Integer> writes = new ArrayList<>();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
            writes.add(1);
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(len);
            bytes.write(b, off, len);
        }
    }

    @Test
    void aLargeFirstWriteReachesTheResponseAsASmallHeadThenTheRest() throws IOException {
        byte[] frame = new byte[1 << 20];
        new Random(7).nextBytes(frame);
        byte[] next = new byte[300_000];
        new Random(8).nextBytes(next);
        Recording sink = new Recording();
        try (OutputStream out = new SmallFirstWrite(sink)) {
            out.write(frame, 0, frame.length);
            out.write(next, 0, next.length);
        }
        assertEquals(List.of(SmallFirstWrite.HEAD, frame.length - SmallFirstWrite.HEAD, next.length), sink.writes);
        byte[] expected = new byte[frame.length + next.length];
        System.arraycopy(frame, 0, expected, 0, frame.length);
        System.arraycopy(next, 0, expected, frame.length, next.length);
        assertArrayEquals(expected, sink.bytes.toByteArray());
    }

    @Test
    void smallWritesAndOffsetsPassThroughUnchanged() throws IOException {
        byte[] data = new byte[SmallFirstWrite.HEAD * 3];
        new Random(9).nextBytes(data);
        Recording sink = new Recording();
        try (OutputStream out = new SmallFirstWrite(sink)) {
            out.write(data, 0, 0); // an empty write is not the first one
            out.write(data, 5, 100);
            out.write(data, 105, SmallFirstWrite.HEAD * 2); // no longer the first write: whole
        }
        assertEquals(List.of(0, 100, SmallFirstWrite.HEAD * 2), sink.writes);
        byte[] expected = new byte[100 + SmallFirstWrite.HEAD * 2];
        System.arraycopy(data, 5, expected, 0, expected.length);
        assertArrayEquals(expected, sink.bytes.toByteArray());
    }
}
