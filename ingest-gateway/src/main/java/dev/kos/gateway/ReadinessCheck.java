package dev.kos.gateway;

/** One dependency the gateway needs to serve uploads (PostgreSQL, Kafka, storage nodes). */
public interface ReadinessCheck {
    String name();

    Result check();

    /** A dependency's state; {@code detail} is shown to operators as is. */
    record Result(boolean ready, String state, Object detail) {
        public static Result up(String state, Object detail) {
            return new Result(true, state, detail);
        }

        public static Result down(String state, Object detail) {
            return new Result(false, state, detail);
        }
    }
}
