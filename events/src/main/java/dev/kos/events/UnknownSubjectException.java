package dev.kos.events;

/**
 * An event names a file or node that has no row in the metadata database, so it cannot take a
 * sequence number. The state change and its event must be written in the same transaction.
 */
public class UnknownSubjectException extends InvalidEventException {
    public UnknownSubjectException(String message) {
        super(message);
    }
}
