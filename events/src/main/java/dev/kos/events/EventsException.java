package dev.kos.events;

/** Kafka could not be reached or refused an operation (create topics, publish). */
public class EventsException extends RuntimeException {
    public EventsException(String message, Throwable cause) {
        super(message, cause);
    }
}
