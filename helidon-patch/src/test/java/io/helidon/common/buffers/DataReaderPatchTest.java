package io.helidon.common.buffers;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The patched reader still reads what Helidon's does when requests straddle socket reads: the
 * unlinking must not cut a list that a read, a search or a look-ahead is still walking.
 */
class DataReaderPatchTest {

    private static DataReader over(String... reads) {
        Queue<byte[]> left = new ArrayDeque<>();
        for (String r : reads) {
            left.add(r.getBytes(StandardCharsets.US_ASCII));
        }
        Supplier<byte[]> socket = left::poll;
        return DataReader.create(socket);
    }

    @Test
    void aRequestSplitAcrossReadsParsesLikeOneRead() {
        DataReader reader = over("PO", "ST /files?na", "me=a HTTP/1.1\r", "\nContent-Length: 5\r\n\r\nhe", "llo");
        assertTrue(reader.startsWith("POST ".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("POST /files?name=a HTTP/1.1", reader.readLine());
        int colon = reader.findOrNewLine((byte) ':', 100);
        assertEquals("Content-Length", reader.readAsciiString(colon));
        reader.skip(2);
        assertEquals("5", reader.readLine());
        assertTrue(reader.startsWithNewLine());
        reader.skip(2);
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), reader.readBytes(5));
        assertThrows(DataReader.InsufficientDataAvailableException.class, reader::ensureAvailable);
    }

    @Test
    void buffersReadAcrossManyNodesKeepTheirBytesAfterTheNodesAreConsumed() {
        String[] reads = new String[64];
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < reads.length; i++) {
            reads[i] = ("read-" + i + ";").repeat(i % 5 + 1);
            all.append(reads[i]);
        }
        DataReader reader = over(reads);
        StringBuilder seen = new StringBuilder();
        for (int len : List.of(3, 40, 1, 250, 7)) {
            BufferData part = reader.readBuffer(len);
            seen.append(part.readString(len, StandardCharsets.US_ASCII));
        }
        reader.ensureAvailable();
        seen.append(reader.readAsciiString(all.length() - seen.length()));
        assertEquals(all.toString(), seen.toString());
    }

    @Test
    void findNewLineLooksAheadAcrossUnreadNodesWithoutConsumingThem() {
        DataReader reader = over("abc", "def", "\r", "\nrest");
        assertEquals(6, reader.findNewLine(100));
        assertEquals("abcdef", reader.readAsciiString(6));
        reader.skip(2);
        assertEquals("rest", reader.readAsciiString(4));
    }
}
