package dev.kos.placement.rebalance;

/** Rebalancing could not proceed (the metadata database, typically); the next pass retries. */
public final class RebalanceException extends RuntimeException {
    public RebalanceException(String message, Throwable cause) {
        super(message, cause);
    }
}
