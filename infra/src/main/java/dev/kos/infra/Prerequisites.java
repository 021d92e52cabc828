package dev.kos.infra;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/** What the local stack needs before it starts, each problem said plainly. */
final class Prerequisites {
    private Prerequisites() {
    }

    static List<String> problems(StackConfig config) throws IOException {
        List<String> problems = new ArrayList<>();
        int major = Runtime.version().feature();
        if (major < 21) {
            problems.add("this JVM is Java " + major + "; kos needs Java 21 or newer (bin/start finds one itself)");
        }
        List<Integer> ports = config.fixedPorts();
        if (new HashSet<>(ports).size() != ports.size()) {
            // e.g. --kafka-port = gateway port + 1, where the placement service's health endpoint listens
            problems.add("two services would share a port: " + ports + " (gateway, placement health = gateway + 1, "
                    + "cleanup metrics = gateway + 2, kafka, then per node its port from the node base port and its "
                    + "metrics port 100 above); choose ports that do not overlap");
        }
        for (int port : ports) {
            if (!isFree(port)) {
                problems.add("port " + port + " is in use: stop what holds it (ss -ltnp 'sport = :" + port
                        + "') or choose other ports with the --*-port flags");
            }
        }
        Files.createDirectories(config.home());
        long free = Files.getFileStore(config.home()).getUsableSpace();
        if (free < config.minFreeDisk()) {
            problems.add(String.format("only %.1f GiB free under %s; the stack needs at least %.1f GiB",
                    free / (double) (1L << 30), config.home(), config.minFreeDisk() / (double) (1L << 30)));
        }
        return problems;
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
