package mmgp.server;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may call what. The web page, /healthz, /readyz and /openapi.json are open (and /metrics
 * unless the server is told otherwise, but not /readyz?load=true); everything else needs an API key as
 * {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}. Only the event stream and its
 * WebSocket twin also take {@code ?api_key=}, because a browser's EventSource and WebSocket cannot send headers; a key in a URL
 * ends up in histories and proxy logs, so no other endpoint accepts one there. Job submissions
 * (POST on /api and on the OpenAI-compatible /v1) then take a token from the key's rate-limit bucket.
 */
final class AccessControl {
    static final String KEY_ID = "key_id";
    static final String ANONYMOUS = "anonymous";
    /** The context attribute holding the rate limiter, for a request that counts as more than one ({@link #takeMore}). */
    private static final String LIMITER = "mmgp.rate_limiter";
    private static final Set<String> OPEN = Set.of("/", "/index.html", "/app.js", "/app.css", "/healthz", "/readyz", "/openapi.json");
    private static final Pattern EVENTS = Pattern.compile("/api/requests/[^/]+/(events|ws)");

    private final ApiKeys keys;
    private final boolean noAuth;
    private final boolean metricsNeedAuth;
    private final RateLimiter limiter;

    AccessControl(ApiKeys keys, boolean noAuth, boolean metricsNeedAuth, RateLimiter limiter) {
        this.keys = keys;
        this.noAuth = noAuth;
        this.metricsNeedAuth = metricsNeedAuth;
        this.limiter = limiter;
    }

    /** A before-handler: throws 401 or 429, or records the caller's key id in the context. */
    void check(Context ctx) {
        if (ctx.method() == HandlerType.OPTIONS) return; // CORS preflight carries no credentials
        String path = ctx.path();
        if ((OPEN.contains(path) && !loadsModels(ctx)) || (path.equals("/metrics") && !metricsNeedAuth)) return;
        String keyId = noAuth ? ANONYMOUS : authenticate(ctx, path).orElseThrow(() -> new ApiException(401, "unauthorized",
                "missing or unknown API key: send Authorization: Bearer <key> or X-API-Key: <key>", null, 0));
        ctx.attribute(KEY_ID, keyId);
        if (ctx.method() == HandlerType.POST && (path.startsWith("/api/") || path.startsWith(OpenAiErrors.PREFIX))) {
            long wait = limiter.acquire(keyId);
            if (wait > 0) throw rateLimited(wait);
            ctx.attribute(LIMITER, limiter);
        }
    }

    /**
     * Takes {@code tokens} more from the caller's bucket, for a submission that makes that many
     * more jobs (/v1/images/generations with n); 429 when the bucket does not hold them all.
     */
    static void takeMore(Context ctx, int tokens) {
        RateLimiter limiter = ctx.attribute(LIMITER);
        if (tokens <= 0 || limiter == null) return;
        String keyId = ctx.attribute(KEY_ID);
        long wait = limiter.acquire(keyId == null ? ANONYMOUS : keyId, tokens);
        if (wait > 0) throw rateLimited(wait);
    }

    private static ApiException rateLimited(long wait) {
        return ApiException.tooMany("rate_limited", "rate limit of this API key reached; retry in " + wait + " s", wait);
    }

    /** /readyz?load=true loads every model (GBs of memory, and its errors name files): an operator's action, not a probe's. */
    private static boolean loadsModels(Context ctx) {
        return ctx.path().equals("/readyz") && "true".equalsIgnoreCase(ctx.queryParam("load"));
    }

    private Optional<String> authenticate(Context ctx, String path) {
        String presented = null;
        String auth = ctx.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) presented = auth.substring(7).strip();
        if (presented == null) presented = ctx.header("X-API-Key");
        if (presented == null && ctx.method() == HandlerType.GET && EVENTS.matcher(path).matches()) presented = ctx.queryParam("api_key");
        return keys.authenticate(presented);
    }
}
