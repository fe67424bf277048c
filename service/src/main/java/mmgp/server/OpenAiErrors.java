package mmgp.server;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Errors of the /v1 routes in the shape OpenAI's clients parse: {@code {"error": {"message",
 * "type", "param", "code"}}}, with the same HTTP status and Retry-After as the native routes.
 * The type is the one OpenAI's own API sends: {@code invalid_request_error} for the client's
 * errors (a bad key or an unknown model included), {@code requests} for a key's rate limit,
 * {@code server_error} for 5xx. The code is the native error code ("invalid_request",
 * "queue_full", ...) except where OpenAI's clients know another: {@code invalid_api_key} (401)
 * and {@code rate_limit_exceeded} (429).
 *
 * <p>OpenAI's Python client sends a request again after a 5xx (and 408, 409, 429) unless the
 * answer says {@code x-should-retry: false}. That header goes with every 5xx but those that a
 * retry may get past ({@link #RETRYABLE}): a failed or timed-out job would only run again.
 */
final class OpenAiErrors {
    static final String PREFIX = "/v1/";
    static final String SHOULD_RETRY = "x-should-retry";
    /** 5xx codes a later attempt may get past. */
    private static final Set<String> RETRYABLE = Set.of("too_many_waiters", "queue_unavailable");

    private OpenAiErrors() {}

    static boolean applies(Context ctx) {
        return ctx.path().startsWith(PREFIX);
    }

    static void write(Context ctx, ApiException e) {
        ctx.status(e.status());
        if (e.retryAfterSeconds() > 0) ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
        if (!shouldRetry(e)) ctx.header(SHOULD_RETRY, "false");
        ctx.json(body(e));
    }

    /** {@code {"error": {...}}} for {@code e}, as the routes answer it (and a stream sends it as an event). */
    static Map<String, Object> body(ApiException e) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", e.getMessage());
        error.put("type", type(e.status(), e.code()));
        error.put("param", e.field());
        error.put("code", code(e.code()));
        return Map.of("error", error);
    }

    /** Whether OpenAI's client may send the request again: not after a 5xx that would only fail (or run the job) again. */
    static boolean shouldRetry(ApiException e) {
        return e.status() < 500 || RETRYABLE.contains(e.code());
    }

    static String type(int status, String code) {
        if (status >= 500) return "server_error";
        if (status == 429 && "rate_limited".equals(code)) return "requests"; // OpenAI's type for a requests-per-minute limit
        return "invalid_request_error";
    }

    static String code(String nativeCode) {
        return switch (nativeCode) {
            case "unauthorized" -> "invalid_api_key";
            case "rate_limited" -> "rate_limit_exceeded";
            default -> nativeCode;
        };
    }
}
