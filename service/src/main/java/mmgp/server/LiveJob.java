package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import mmgp.api.ProgressListener;
import mmgp.engine.Job;

/**
 * A job that has not finished yet, as the engine reports it: status, progress, per-stage
 * timings, the caption streamed so far, and the event streams watching it. It is the engine's
 * {@link ProgressListener} for the job. Every change and its broadcast happen under the object's
 * lock, so a stream that subscribes gets a snapshot and then every later event, none twice.
 */
final class LiveJob implements ProgressListener {
    final String id;
    final String task;
    final Instant created;
    final String keyId;
    private final ObjectMapper json;
    private final long startNanos = System.nanoTime();

    private JobStatus status = JobStatus.QUEUED;
    private String stage;
    private int done;
    private int total;
    private final Map<String, Double> timings = new LinkedHashMap<>();
    private final StringBuilder caption = new StringBuilder();
    private final List<EventSink> subscribers = new ArrayList<>();
    private volatile boolean cancelRequested;
    private volatile Job<?> engineJob;
    private final Runnable onRunning;

    /** @param onRunning called once, when the engine first reports progress (records "running") */
    LiveJob(String id, String task, Instant created, String keyId, ObjectMapper json, Runnable onRunning) {
        this.onRunning = onRunning;
        this.id = id;
        this.task = task;
        this.created = created;
        this.keyId = keyId;
        this.json = json;
    }

    void attach(Job<?> job) {
        engineJob = job;
    }

    /** Asks the engine to stop the job; false when it already finished. */
    boolean cancel() {
        synchronized (this) {
            if (status.terminal()) return false;
        }
        Job<?> j = engineJob;
        // Ended in the engine, its result not yet recorded: too late, and flagging it now would
        // turn a failure (whose message the record should keep) into "cancelled".
        if (j != null && j.result().isDone()) return false;
        cancelRequested = true;
        return j == null || j.cancel() || !j.result().isDone();
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    double secondsSinceSubmit() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    // ---- ProgressListener: called from engine threads ----

    @Override
    public synchronized void step(String stage, int done, int total, double seconds) {
        markRunning();
        this.stage = stage;
        this.done = done;
        this.total = total;
        broadcast(new JobEvent("progress", progressJson().toString()));
    }

    @Override
    public synchronized void stage(String stage, double seconds) {
        markRunning();
        timings.merge(stage, seconds, Double::sum);
        broadcast(new JobEvent("stage", json.createObjectNode().put("stage", stage).put("seconds", seconds).toString()));
    }

    @Override
    public synchronized void started(String stage) {
        markRunning();
    }

    @Override
    public synchronized void text(String stage, String piece) {
        markRunning();
        caption.append(piece);
        broadcast(new JobEvent("text", json.createObjectNode().put("stage", stage).put("piece", piece).toString()));
    }

    @Override
    public boolean cancelled() {
        return cancelRequested;
    }

    private void markRunning() {
        if (status == JobStatus.QUEUED) {
            status = JobStatus.RUNNING;
            onRunning.run();
            broadcast(new JobEvent("status", json.createObjectNode().put("request_id", id).put("status", status.label()).toString()));
        }
    }

    // ---- views ----

    /** The live part of GET /api/requests/{id}: status, progress, timings, caption so far. */
    /** The A/B variant the engine chose for it; null when its task has one model. */
    String variant() {
        Job<?> j = engineJob;
        return j == null ? null : j.variant();
    }

    synchronized void describe(ObjectNode into) {
        into.put("status", status.label());
        String variant = variant();
        if (variant != null) into.put("variant", variant);
        into.set("progress", progressJson());
        ObjectNode t = json.createObjectNode();
        timings.forEach(t::put);
        into.set("timings", t);
        if (!caption.isEmpty()) into.put("caption", caption.toString());
    }

    private ObjectNode progressJson() {
        ObjectNode p = json.createObjectNode();
        if (stage == null) p.putNull("stage");
        else p.put("stage", stage);
        return p.put("done", done).put("total", total);
    }

    /**
     * Subscribes {@code s} after sending it {@code snapshot} of the current state; returns false
     * (and subscribes nothing) when the job already ended, so the caller replays the stored record.
     * The subscriber leaves the list as soon as its stream ends (a client that went away).
     */
    synchronized boolean subscribe(EventSink s, Function<LiveJob, String> snapshot) {
        if (status.terminal()) return false;
        subscribers.add(s); // before the snapshot goes out, so a client holding it is surely counted
        s.offer(new JobEvent("state", snapshot.apply(this)));
        s.onEnd(() -> unsubscribe(s));
        return true;
    }

    private synchronized void unsubscribe(EventSink s) {
        subscribers.remove(s);
    }

    /** Event streams watching this job now (an ended stream has already left the list). */
    synchronized int streams() {
        return subscribers.size();
    }

    /** The final status: tells every stream, then ends them. */
    synchronized void finish(JobStatus end, String finalJson) {
        status = end;
        broadcast(new JobEvent("status", finalJson));
        for (EventSink s : subscribers) s.end();
        subscribers.clear();
    }

    private void broadcast(JobEvent e) {
        subscribers.removeIf(s -> !s.offer(e) || s.isClosed());
    }
}
