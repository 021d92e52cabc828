package dev.kos.membership;

import dev.kos.config.Settings;
import java.time.Duration;

/**
 * Membership timing, shared by the heartbeater (storage nodes) and the registry (every service).
 *
 * <table>
 *   <caption>Settings (flag / environment variable, default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>membership.heartbeat-interval</td><td>--membership-heartbeat-interval / KOS_MEMBERSHIP_HEARTBEAT_INTERVAL</td>
 *       <td>10s</td><td>how often a storage node heartbeats</td></tr>
 *   <tr><td>membership.inactive-after</td><td>--membership-inactive-after / KOS_MEMBERSHIP_INACTIVE_AFTER</td>
 *       <td>30s</td><td>silence after which a node is marked inactive and leaves the ring</td></tr>
 *   <tr><td>membership.poll-interval</td><td>--membership-poll-interval / KOS_MEMBERSHIP_POLL_INTERVAL</td>
 *       <td>1s</td><td>how often every service checks the ring epoch</td></tr>
 * </table>
 */
public record MembershipConfig(Duration heartbeatInterval, Duration inactiveAfter, Duration pollInterval) {
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_INACTIVE_AFTER = Duration.ofSeconds(30);
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

    public MembershipConfig {
        requirePositive("membership.heartbeat-interval", heartbeatInterval);
        requirePositive("membership.inactive-after", inactiveAfter);
        requirePositive("membership.poll-interval", pollInterval);
        // A timeout within one interval would mark healthy nodes inactive between two beats, and
        // the ring would flap on every hiccup.
        if (inactiveAfter.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("membership.inactive-after (" + inactiveAfter
                    + ") must be at least twice membership.heartbeat-interval (" + heartbeatInterval + ")");
        }
    }

    public static MembershipConfig defaults() {
        return new MembershipConfig(DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_INACTIVE_AFTER, DEFAULT_POLL_INTERVAL);
    }

    public static MembershipConfig fromSettings(Settings settings) {
        return new MembershipConfig(
                settings.duration("membership.heartbeat-interval", DEFAULT_HEARTBEAT_INTERVAL),
                settings.duration("membership.inactive-after", DEFAULT_INACTIVE_AFTER),
                settings.duration("membership.poll-interval", DEFAULT_POLL_INTERVAL));
    }

    private static void requirePositive(String key, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("setting " + key + " must be a positive duration, was " + d);
        }
    }
}
