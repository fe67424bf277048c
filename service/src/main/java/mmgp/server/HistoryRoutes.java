package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GET /api/requests: the caller's own jobs (those made with its API key; on a server without keys,
 * every job), newest first, {@code limit} at a time, filtered by {@code task} and {@code status}.
 * The answer's {@code next} is an opaque cursor for {@code before}: the next, older page.
 */
final class HistoryRoutes {
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;
    private static final Set<String> TASKS = Set.of("understand", "image", "video", "pipeline");
    private static final Set<String> PARAMS = Set.of("task", "status", "limit", "before");
    /** The cursor's clear text: "v1:" + the last job's creation time in epoch microseconds + ":" + its id. */
    private static final Pattern CURSOR = Pattern.compile("v1:(-?\\d{1,19}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");

    private final Jobs jobs;
    private final ObjectMapper json;

    HistoryRoutes(Jobs jobs, ObjectMapper json) {
        this.jobs = jobs;
        this.json = json;
    }

    void register(Javalin app) {
        app.get("/api/requests", this::list);
    }

    private void list(Context ctx) {
        for (String p : ctx.queryParamMap().keySet()) {
            if (!PARAMS.contains(p)) throw ApiException.badRequest(p, "unknown query parameter " + p + "; GET /api/requests takes task, status, limit and before");
        }
        String task = single(ctx, "task");
        if (task != null && !TASKS.contains(task)) throw ApiException.badRequest("task", "task must be understand, image, video or pipeline, not " + task);
        String statusText = single(ctx, "status");
        JobStatus status = statusText == null ? null : status(statusText);
        int limit = limit(single(ctx, "limit"));
        String before = single(ctx, "before");
        Instant afterCreated = null;
        String afterId = null;
        if (before != null) {
            Matcher m = CURSOR.matcher(decode(before));
            if (!m.matches()) throw badCursor();
            long micros = Long.parseLong(m.group(1));
            afterCreated = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
            afterId = m.group(2);
        }
        String key = ctx.attribute(AccessControl.KEY_ID);
        String owner = key == null || key.equals(AccessControl.ANONYMOUS) ? null : key; // no keys: one user, every job is theirs
        // one more than asked: whether it exists decides whether there is a next page
        List<Jobs.Listed> rows = jobs.list(new JobQuery(owner, task, status, afterCreated, afterId, limit + 1));
        ArrayNode requests = json.createArrayNode();
        for (Jobs.Listed r : rows.subList(0, Math.min(limit, rows.size()))) requests.add(r.view());
        ObjectNode answer = json.createObjectNode();
        answer.set("requests", requests);
        if (rows.size() > limit) answer.put("next", cursor(rows.get(limit - 1).record()));
        else answer.putNull("next");
        ctx.json(answer);
    }

    private static String single(Context ctx, String name) {
        List<String> values = ctx.queryParams(name);
        if (values.isEmpty()) return null;
        if (values.size() > 1) throw ApiException.badRequest(name, name + " was given " + values.size() + " times; give it once");
        return values.getFirst();
    }

    private static JobStatus status(String text) {
        for (JobStatus s : JobStatus.values()) if (s.label().equals(text)) return s;
        throw ApiException.badRequest("status", "status must be queued, running, done, failed or cancelled, not " + text);
    }

    private static int limit(String text) {
        if (text == null) return DEFAULT_LIMIT;
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("limit", "limit must be a whole number from 1 to " + MAX_LIMIT + ", not " + text);
        }
        if (n < 1 || n > MAX_LIMIT) throw ApiException.badRequest("limit", "limit must be from 1 to " + MAX_LIMIT + ", not " + n);
        return n;
    }

    /** The cursor that continues after {@code last}: its creation time (as stored, in microseconds) and id. */
    static String cursor(JobRecord last) {
        Instant t = last.created();
        long micros = Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
        String clear = "v1:" + micros + ":" + last.id();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(clear.getBytes(StandardCharsets.US_ASCII));
    }

    private static String decode(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw badCursor();
        }
    }

    private static ApiException badCursor() {
        return ApiException.badRequest("before", "before must be the \"next\" cursor of a previous GET /api/requests answer");
    }
}
