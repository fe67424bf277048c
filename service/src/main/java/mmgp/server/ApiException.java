package mmgp.server;

/**
 * An HTTP error with its JSON body: thrown anywhere in a handler, written by {@link JsonErrors}
 * as {@code {"error": {"code", "message", "field"}}} with the status (and Retry-After when set).
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String field;
    private final long retryAfterSeconds;

    public ApiException(int status, String code, String message, String field, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException badRequest(String field, String message) {
        return new ApiException(400, "invalid_request", message, field, 0);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message, null, 0);
    }

    public static ApiException tooMany(String code, String message, long retryAfterSeconds) {
        return new ApiException(429, code, message, null, Math.max(1, retryAfterSeconds));
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, "payload_too_large", message, null, 0);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** The request field at fault, or null. */
    public String field() {
        return field;
    }

    /** Seconds for the Retry-After header; 0 means none. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
