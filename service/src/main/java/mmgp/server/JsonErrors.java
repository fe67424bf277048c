package mmgp.server;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.LinkedHashMap;
import java.util.Map;
import mmgp.api.InvalidRequestException;
import mmgp.engine.OverBudgetException;
import mmgp.engine.QueueFullException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps every failure a handler can raise to one JSON error shape, so clients parse one format. */
final class JsonErrors {
    private static final Logger log = LoggerFactory.getLogger(JsonErrors.class);

    private JsonErrors() {}

    static void install(Javalin app, RetryAdvisor retry) {
        app.exception(ApiException.class, (e, ctx) -> write(ctx, e));
        app.exception(InvalidRequestException.class, (e, ctx) -> write(ctx, ApiException.badRequest(e.field(), e.getMessage())));
        app.exception(OverBudgetException.class, (e, ctx) -> write(ctx, new ApiException(413, "over_budget", e.getMessage(), null, 0)));
        app.exception(QueueFullException.class, (e, ctx) -> write(ctx, ApiException.tooMany("queue_full", e.getMessage(), retry.retryAfterSeconds(e.task()))));
        app.exception(HttpResponseException.class, (e, ctx) -> write(ctx, fromJavalin(e)));
        app.exception(Exception.class, (e, ctx) -> {
            log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
            write(ctx, new ApiException(500, "internal_error", "internal error: " + e.getClass().getSimpleName(), null, 0));
        });
        // Javalin's own 404/405 (no handler ran) get the same JSON shape.
        app.error(404, ctx -> {
            if (ctx.result() == null || !isJsonError(ctx)) write(ctx, ApiException.notFound("no such resource: " + ctx.method() + " " + ctx.path()));
        });
        app.error(405, ctx -> {
            if (!isJsonError(ctx)) write(ctx, new ApiException(405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path(), null, 0));
        });
    }

    static void write(Context ctx, ApiException e) {
        if (OpenAiErrors.applies(ctx)) { // the OpenAI-compatible routes answer in OpenAI's shape
            OpenAiErrors.write(ctx, e);
            return;
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code());
        error.put("message", e.getMessage());
        if (e.field() != null) error.put("field", e.field());
        ctx.status(e.status());
        if (e.retryAfterSeconds() > 0) ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
        ctx.json(Map.of("error", error));
    }

    private static boolean isJsonError(Context ctx) {
        String ct = ctx.res().getContentType();
        return ct != null && ct.startsWith("application/json");
    }

    private static ApiException fromJavalin(HttpResponseException e) {
        return switch (e.getStatus()) {
            case 413 -> ApiException.tooLarge("request body is larger than this server accepts");
            case 404 -> ApiException.notFound(e.getMessage());
            case 405 -> new ApiException(405, "method_not_allowed", e.getMessage(), null, 0);
            default -> new ApiException(e.getStatus(), e.getStatus() < 500 ? "bad_request" : "internal_error", e.getMessage(), null, 0);
        };
    }
}
