package dev.kos.membership;

/**
 * The cheap per-poll look at membership: the current ring epoch, and whether some active node
 * has been silent past the timeout (so a sweep is due).
 */
public record EpochCheck(long epoch, boolean silentActiveNodes) {
}
