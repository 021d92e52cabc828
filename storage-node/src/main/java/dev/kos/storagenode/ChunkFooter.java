package dev.kos.storagenode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * What a chunk file says about itself. On-disk layout of {@code <data>/<shard>/<id>}:
 *
 * <pre>
 * [ data: length bytes ][ block table: CRC32C per block, 4 bytes BE each ][ trailer: 80 bytes ]
 *
 * trailer  0  magic "KOSCHNK1"        8 bytes
 *          8  format version (1)      int
 *         12  block size              int
 *         16  data length             long
 *         24  stored at, ms epoch     long
 *         32  whole-chunk CRC32C      int
 *         36  declared algorithm code byte (1 CRC32C, 2 SHA-256)
 *         37  declared value length   byte
 *         38  zero                    2 bytes
 *         40  declared value          32 bytes, zero padded
 *         72  zero                    4 bytes
 *         76  CRC32C of bytes 0-75    int
 * </pre>
 *
 * <p>Why one file (a footer) and not a sidecar: the chunk and its checksums become visible in
 * one rename, so no crash can leave a chunk without its table or a table without its chunk,
 * and deleting a chunk is one unlink. The data stays at offset 0 ({@code head -c <length>} is
 * the chunk) and the write stays sequential. The file size must equal
 * {@code length + 4 * blocks + 80}; anything else is a truncated or corrupted chunk.
 */
record ChunkFooter(long length, int blockSize, long storedAtMs, int wholeCrc32c, ChunkChecksum declared) {
    static final int TRAILER_BYTES = 80;
    static final int VERSION = 1;
    private static final byte[] MAGIC = "KOSCHNK1".getBytes(StandardCharsets.US_ASCII);

    static int blockCount(long length, int blockSize) {
        long n = (length + blockSize - 1) / blockSize;
        if (n > Integer.MAX_VALUE / 4) {
            throw new ChunkStoreException.InvalidRequest("chunk of " + length + " bytes is too large");
        }
        return (int) n;
    }

    /** Bytes on disk besides the data: the block table and the trailer. */
    static long overhead(long length, int blockSize) {
        return 4L * blockCount(length, blockSize) + TRAILER_BYTES;
    }

    int blockCount() {
        return blockCount(length, blockSize);
    }

    long tableOffset() {
        return length;
    }

    long fileSize() {
        return length + overhead(length, blockSize);
    }

    /**
     * Whether a newly received chunk is the one already stored: same length and whole CRC32C,
     * and the same declared checksum when both puts declared the same algorithm. (Two
     * different chunks of one length colliding on CRC32C, under one id, is a 2^-32 event on
     * top of a client bug; SHA-256 puts compare SHA-256 too.)
     */
    boolean sameContentAs(ChunkFooter other) {
        return length == other.length && wholeCrc32c == other.wholeCrc32c
                && (declared.algorithm() != other.declared.algorithm() || declared.equals(other.declared));
    }

    /** The block table and trailer, to append after the data. */
    ByteBuffer encodeTableAndTrailer(int[] blockCrcs) {
        ByteBuffer b = ByteBuffer.allocate(4 * blockCrcs.length + TRAILER_BYTES);
        for (int crc : blockCrcs) {
            b.putInt(crc);
        }
        int t = b.position();
        byte[] value = declared.value();
        b.put(MAGIC).putInt(VERSION).putInt(blockSize).putLong(length).putLong(storedAtMs).putInt(wholeCrc32c)
                .put((byte) declared.algorithm().code).put((byte) value.length).putShort((short) 0)
                .put(Arrays.copyOf(value, 32)).putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), t, TRAILER_BYTES - 4);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** Reads and checks the trailer of an open chunk file; any inconsistency is {@link ChunkStoreException.Corrupted}. */
    static ChunkFooter read(FileChannel ch, String name) throws IOException {
        long size = ch.size();
        if (size < TRAILER_BYTES) {
            throw corrupted(name, "file of " + size + " bytes is shorter than its trailer");
        }
        ByteBuffer b = ByteBuffer.allocate(TRAILER_BYTES);
        readFully(ch, b, size - TRAILER_BYTES);
        b.flip();
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, TRAILER_BYTES - 4);
        if ((int) crc.getValue() != b.getInt(TRAILER_BYTES - 4)) {
            throw corrupted(name, "trailer checksum mismatch");
        }
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        int version = b.getInt();
        if (!Arrays.equals(magic, MAGIC) || version != VERSION) {
            throw corrupted(name, "not a kos chunk file (format " + version + ")");
        }
        int blockSize = b.getInt();
        long length = b.getLong();
        long storedAt = b.getLong();
        int whole = b.getInt();
        ChunkChecksum.Algorithm algorithm = ChunkChecksum.Algorithm.ofCode(b.get());
        int valueLength = b.get();
        b.getShort();
        byte[] value = new byte[32];
        b.get(value);
        if (algorithm == null || valueLength != algorithm.length || blockSize <= 0 || length < 0) {
            throw corrupted(name, "trailer fields are invalid");
        }
        ChunkFooter f = new ChunkFooter(length, blockSize, storedAt, whole,
                new ChunkChecksum(algorithm, Arrays.copyOf(value, valueLength)));
        if (f.fileSize() != size) {
            throw corrupted(name, "file is " + size + " bytes, its trailer implies " + f.fileSize());
        }
        return f;
    }

    /** The CRCs of blocks [first, first + count). */
    int[] readBlockCrcs(FileChannel ch, int first, int count) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * count);
        readFully(ch, b, tableOffset() + 4L * first);
        b.flip();
        int[] crcs = new int[count];
        for (int i = 0; i < count; i++) {
            crcs[i] = b.getInt();
        }
        return crcs;
    }

    static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                throw new ChunkStoreException.Corrupted("chunk file ended early at byte " + p);
            }
            p += n;
        }
    }

    private static ChunkStoreException.Corrupted corrupted(String name, String why) {
        return new ChunkStoreException.Corrupted("chunk " + name + " is corrupted: " + why);
    }
}
