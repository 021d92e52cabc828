package dev.kos.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * What one handoff between two threads costs this machine: two platform threads pass a turn
 * back and forth, each parking until the other unparks it, so every pass is a wake-up and a
 * context switch on each side. A request through the stack makes many such handoffs (a socket
 * read that must wait, a task given to an event loop, a JDBC round trip, a NOTIFY heard), so
 * their price is a property of the machine that every figure of ours carries and nginx, one
 * process answering from the page cache, mostly does not. {@code bench/stack-cpu.sh} counts the
 * context switches per request beside the CPU.
 *
 * <p>Dependency-free so that bench/run.sh starts it as a single source file
 * ({@code java Handoff.java [HANDOFFS]}); prints the CPU microseconds per handoff (the process's
 * user + system time over all passes, so both sides' work), the median of five rounds after one
 * unrecorded; each round's figures go to stderr.
 */
public final class Handoff {
    private static volatile int turn;

    private Handoff() {
    }

    public static void main(String[] args) throws Exception {
        int passes = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        round(passes / 4); // compiles the loop
        double[] cpu = new double[5];
        for (int i = 0; i < cpu.length; i++) {
            double[] r = round(passes);
            cpu[i] = r[0];
            System.err.printf("handoff round %d: %.1f us CPU, %.1f us wall per handoff%n", i + 1, r[0], r[1]);
        }
        Arrays.sort(cpu);
        System.out.printf("%.1f%n", cpu[cpu.length / 2]);
    }

    /** CPU and wall microseconds per handoff over {@code passes} passes. */
    private static double[] round(int passes) throws InterruptedException, IOException {
        Thread[] t = new Thread[2];
        for (int k = 0; k < 2; k++) {
            int me = k;
            t[k] = new Thread(() -> {
                for (int i = 0; i < passes / 2; i++) {
                    while (turn != me) {
                        LockSupport.park(); // may return spuriously: the turn decides
                    }
                    turn = 1 - me;
                    LockSupport.unpark(t[1 - me]);
                }
            }, "handoff-" + k);
        }
        turn = 0;
        long cpu0 = processCpuNanos();
        long wall0 = System.nanoTime();
        t[0].start();
        t[1].start();
        t[0].join();
        t[1].join();
        double wall = (System.nanoTime() - wall0) / 1e3 / passes;
        double cpu = (processCpuNanos() - cpu0) / 1e3 / passes;
        return new double[] {cpu, wall};
    }

    /** User + system time of this process, from /proc (in clock ticks of 10 ms on Linux). */
    private static long processCpuNanos() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }
}
