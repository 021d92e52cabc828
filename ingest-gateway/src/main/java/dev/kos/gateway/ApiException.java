package dev.kos.gateway;

import io.helidon.http.Status;

/**
 * The one error the HTTP layer knows: a status, a stable machine-readable code and a message
 * for humans. {@link ErrorResponses} turns it into the JSON error body.
 */
public final class ApiException extends RuntimeException {
    private final Status status;
    private final String code;

    public ApiException(Status status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public ApiException(Status status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    public Status status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(Status.BAD_REQUEST_400, code, message);
    }

    public static ApiException notFound(String code, String message) {
        return new ApiException(Status.NOT_FOUND_404, code, message);
    }
}
