package dev.kos.events;

/** An event is malformed: no payload, a missing or malformed subject id, unparseable bytes. */
public class InvalidEventException extends IllegalArgumentException {
    public InvalidEventException(String message) {
        super(message);
    }

    public InvalidEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
