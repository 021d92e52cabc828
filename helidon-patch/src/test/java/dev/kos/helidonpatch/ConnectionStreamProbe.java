package dev.kos.helidonpatch;

import io.helidon.common.buffers.DataReader;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * A kept-alive connection in a forked JVM: a {@link DataReader} over {@code args[0]} MiB of 8 KiB
 * socket reads, consumed as a request body would be, after a full collection has moved the reader's
 * current node into the old generation (as one of the gateway's does, sooner or later, on every
 * connection that outlives it). Prints the full collections that the streaming then ran.
 */
public final class ConnectionStreamProbe {
    private static final int READ = 8192;

    private ConnectionStreamProbe() {
    }

    public static void main(String[] args) {
        long reads = Long.parseLong(args[0]) * (1 << 20) / READ;
        long[] supplied = {0};
        DataReader reader = DataReader.create(() -> supplied[0]++ < reads ? new byte[READ] : null);
        reader.skip(1);
        System.gc();
        long before = fullCollections();
        for (long i = 1; i < reads; i++) {
            reader.skip(READ);
        }
        reader.skip(READ - 1);
        System.out.println("full-collections=" + (fullCollections() - before));
    }

    private static long fullCollections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc.getName().equals("MarkSweepCompact")) { // the serial collector's old generation
                n += gc.getCollectionCount();
            }
        }
        return n;
    }
}
