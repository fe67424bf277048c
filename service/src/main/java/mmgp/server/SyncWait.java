package mmgp.server;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.time.Duration;

/**
 * {@code ?wait=SECONDS} on a job submission: the answer is held until the job ends, at most that
 * long (and at most {@link JobWaiter#MAX_WAIT}), and is then 200 with the job as
 * GET /api/requests/{id} shows it; a job still running then gets the usual 202 (and goes on).
 * The wait holds no HTTP thread ({@link JobWaiter#awaitAsync}); when too many requests already
 * wait, the submission is refused with 503 before anything is submitted (the wait's slot is
 * reserved after the submission, once its body has arrived).
 */
final class SyncWait {
    static final String PARAM = "wait";

    private SyncWait() {}

    /**
     * {@code submit} with the ?wait option: a 503 before anything is submitted when no wait slot is
     * free; the slot itself is reserved only once the job was submitted (202), so an upload that
     * arrives slowly holds none. Should the slots have filled meanwhile, the answer is the 202.
     */
    static Handler around(Jobs jobs, Handler submit) {
        return ctx -> {
            Duration wait = parse(ctx);
            if (wait == null) {
                submit.handle(ctx);
                return;
            }
            JobWaiter.requireFreeSlot();
            submit.handle(ctx);
            if (ctx.statusCode() != 202) return;
            JobWaiter.Slot slot = JobWaiter.tryReserve();
            if (slot == null) return; // taken while the body arrived: the job goes on, answered as one still running
            String id = ctx.attribute(AccessLog.REQUEST_ID);
            ctx.future(() -> JobWaiter.awaitAsync(jobs, id, wait, slot).thenAccept(ended -> {
                if (ended) ctx.status(200).json(jobs.describe(id));
            }));
        };
    }

    /** The requested wait, or null when there is none; a 400 naming "wait" for anything but whole seconds up to the maximum. */
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
            throw ApiException.badRequest(PARAM, "wait must be a whole number of seconds from 0 to " + max + ", got \"" + Bodies.abbreviate(v, 32) + "\"");
        }
        return Duration.ofSeconds(seconds);
    }
}
