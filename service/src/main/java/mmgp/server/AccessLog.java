package mmgp.server;

import io.javalin.http.Context;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One structured log line per HTTP request (method, path, status, ms, request_id, key_id — the
 * key's id, never the key) and the HTTP metrics. The job's id (or a fresh one for requests
 * that are not about a job) is in the MDC while the request is handled, so the handler's own
 * log lines carry it too.
 */
final class AccessLog {
    static final String REQUEST_ID = "request_id";
    private static final Logger log = LoggerFactory.getLogger("mmgp.server.access");
    private static final Pattern JOB_PATH = Pattern.compile("/api/requests/([^/]{1,64})(/.*)?");
    private static final String START = "mmgp.start";

    private final Metrics metrics;

    AccessLog(Metrics metrics) {
        this.metrics = metrics;
    }

    void before(Context ctx) {
        ctx.attribute(START, System.nanoTime());
        Matcher m = JOB_PATH.matcher(ctx.path());
        String id = m.matches() ? m.group(1) : UUID.randomUUID().toString();
        ctx.attribute(REQUEST_ID, id);
        MDC.put(REQUEST_ID, id);
    }

    private static String route(Context ctx) {
        try {
            return ctx.endpointHandlerPath();
        } catch (RuntimeException e) {
            return null; // no endpoint matched (404, or refused in a before-handler)
        }
    }

    /** Called by handlers that create a job: the job's id replaces the per-request one. */
    static void requestId(Context ctx, String id) {
        ctx.attribute(REQUEST_ID, id);
        MDC.put(REQUEST_ID, id);
    }

    void after(Context ctx) {
        Long start = ctx.attribute(START);
        double ms = start == null ? 0 : (System.nanoTime() - start) / 1e6;
        int status = ctx.statusCode();
        String route = route(ctx);
        metrics.httpRequest(ctx.method().name(), route == null || route.isEmpty() || route.equals("*") ? "unmatched" : route, status, ms / 1e3);
        String keyId = ctx.attribute(AccessControl.KEY_ID);
        log.atInfo().setMessage("{} {} {}").addArgument(ctx.method()).addArgument(ctx.path()).addArgument(status)
                .addKeyValue("method", ctx.method().name()).addKeyValue("path", ctx.path()).addKeyValue("status", status)
                .addKeyValue("ms", Math.round(ms * 10) / 10.0).addKeyValue(REQUEST_ID, (String) ctx.attribute(REQUEST_ID))
                .addKeyValue("key_id", keyId == null ? "-" : keyId).log();
        MDC.remove(REQUEST_ID);
    }
}
