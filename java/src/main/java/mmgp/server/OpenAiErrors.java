package mmgp.server;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Errors of the /v1 routes in the shape OpenAI's clients parse: {@code {"error": {"message",
 * "type", "param", "code"}}}, with the same HTTP status and Retry-After as the native routes.
 * The type is the class of error OpenAI's own API names for that status; the code is the native
 * error code ("invalid_request", "queue_full", ...), so both APIs report a failure alike.
 */
final class OpenAiErrors {
    static final String PREFIX = "/v1/";

    private OpenAiErrors() {}

    static boolean applies(Context ctx) {
        return ctx.path().startsWith(PREFIX);
    }

    static void write(Context ctx, ApiException e) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", e.getMessage());
        error.put("type", type(e.status()));
        error.put("param", e.field());
        error.put("code", e.code());
        ctx.status(e.status());
        if (e.retryAfterSeconds() > 0) ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
        ctx.json(Map.of("error", error));
    }

    static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }
}
