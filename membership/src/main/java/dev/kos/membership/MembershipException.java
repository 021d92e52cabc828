package dev.kos.membership;

/** A membership request that cannot be done as asked (the database itself answered fine). */
public class MembershipException extends RuntimeException {
    public MembershipException(String message) {
        super(message);
    }
}
