package dev.kos.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * This machine's host name as a piece of an id (a node's or a gateway's default id): characters
 * other than letters, digits, '_', '.' and '-' become '-'. In a container it is the container's
 * or the pod's name, which tells apart processes whose pids are all 1.
 */
public final class HostName {
    private HostName() {
    }

    /** The host name, or {@code fallback} when it cannot be resolved. */
    public static String forId(String fallback) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = fallback;
        }
        return host.replaceAll("[^A-Za-z0-9_.-]", "-");
    }
}
