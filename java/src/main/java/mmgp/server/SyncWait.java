package mmgp.server;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.time.Duration;

/**
 * {@code ?wait=SECONDS} on a job submission: the handler holds the answer until the job ends, at
 * most that long (and at most {@link JobWaiter#MAX_WAIT}), and then answers 200 with the job as
 * GET /api/requests/{id} shows it; a job still running then gets the usual 202.
 */
final class SyncWait {
    static final String PARAM = "wait";

    private SyncWait() {}

    /** {@code submit} with the ?wait option: checked before anything is submitted, honoured after a 202. */
    static Handler around(Jobs jobs, Handler submit) {
        return ctx -> {
            Duration wait = parse(ctx);
            submit.handle(ctx);
            if (wait == null || ctx.statusCode() != 202) return;
            String id = ctx.attribute(AccessLog.REQUEST_ID);
            if (JobWaiter.await(jobs, id, wait)) ctx.status(200).json(jobs.describe(id));
        };
    }

    /** The requested wait, or null when there is none; a 400 naming "wait" for anything but 0..300 whole seconds. */
    static Duration parse(Context ctx) {
        String v = ctx.queryParam(PARAM);
        if (v == null) return null;
        long max = JobWaiter.MAX_WAIT.toSeconds();
        long seconds;
        try {
            seconds = Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (seconds < 0 || seconds > max) {
            throw ApiException.badRequest(PARAM, "wait must be a whole number of seconds from 0 to " + max + ", got \"" + abbreviate(v) + "\"");
        }
        return Duration.ofSeconds(seconds);
    }

    private static String abbreviate(String s) {
        return s.length() > 32 ? s.substring(0, 32) + "…" : s;
    }
}
