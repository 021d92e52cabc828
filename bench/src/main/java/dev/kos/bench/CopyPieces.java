package dev.kos.bench;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What the node's two user-space copies of a read frame cost, by the size of the array between
 * them. A storage node checks a frame's blocks in a direct buffer, copies the frame into a 1 MiB
 * heap array, and gRPC's framer then copies that array into Netty's direct buffer (its API takes
 * arrays, and protobuf turns a wrapped direct buffer into a fresh array). Passing the same bytes
 * through a small array, piece by piece, keeps the middle copy in the core's cache; this measures
 * how much that would save before anyone writes the marshaller it needs.
 *
 * <p>Dependency-free: {@code java bench/src/main/java/dev/kos/bench/CopyPieces.java [PIECE_BYTES...]}
 * prints, per piece size, the median of five rounds (after one unrecorded) of microseconds to copy
 * 1 MiB direct → array → direct, cycling over eight buffer pairs so that neither end stays cached.
 */
public final class CopyPieces {
    private static final int MIB = 1 << 20;
    private static final int FRAMES = 4000;

    private CopyPieces() {
    }

    public static void main(String[] args) {
        int[] pieces = args.length > 0 ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
                : new int[] {MIB, 64 << 10, 16 << 10, 4 << 10};
        ByteBuffer[] from = new ByteBuffer[8];
        ByteBuffer[] to = new ByteBuffer[8];
        for (int i = 0; i < 8; i++) {
            from[i] = ByteBuffer.allocateDirect(MIB);
            to[i] = ByteBuffer.allocateDirect(MIB);
        }
        for (int piece : pieces) {
            if (piece < 1 || MIB % piece != 0) {
                throw new IllegalArgumentException("a piece must divide 1 MiB: " + piece);
            }
            byte[] middle = new byte[piece];
            double[] rounds = new double[5];
            for (int round = -1; round < rounds.length; round++) {
                long t0 = System.nanoTime();
                for (int k = 0; k < FRAMES; k++) {
                    ByteBuffer src = from[k & 7].clear();
                    ByteBuffer dst = to[k & 7].clear();
                    for (int off = 0; off < MIB; off += piece) {
                        src.get(middle, 0, piece);
                        dst.put(middle, 0, piece);
                    }
                }
                if (round >= 0) {
                    rounds[round] = (System.nanoTime() - t0) / 1e3 / FRAMES;
                    System.err.printf("piece %d round %d: %.1f us per MiB%n", piece, round, rounds[round]);
                }
            }
            Arrays.sort(rounds);
            System.out.printf("piece %7d bytes: %6.1f us per MiB (median of %d)%n", piece, rounds[rounds.length / 2],
                    rounds.length);
        }
    }
}
