package mmgp.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import mmgp.api.ImageRequest;
import mmgp.api.PipelineOptions;
import mmgp.api.PipelineResult;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import mmgp.api.VideoRequest;
import mmgp.engine.Engine;
import mmgp.engine.Job;
import mmgp.engine.QueueFullException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The jobs of the API: submits them to the engine, records them in the {@link JobStore}, writes
 * their results with {@link ResultFiles}, answers status, cancel and event-stream requests, and
 * recovers and expires them. Results are encoded on the service's own threads, never on the
 * engine's.
 */
final class JobService extends StoredJobs<JobStore> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    /** A comment line this often keeps proxies from timing a quiet stream out, and finds clients that left. */
    static final Duration STREAM_KEEP_ALIVE = Duration.ofSeconds(15);

    private final Engine engine;
    private final Clock clock;
    private final Map<String, LiveJob> live = new ConcurrentHashMap<>();
    private final Map<String, Double> recentSeconds = new ConcurrentHashMap<>();
    private volatile Duration streamKeepAlive = STREAM_KEEP_ALIVE;
    private volatile RecoveryFeeder recovery;
    /** Set by {@link #beginShutdown}: no new jobs, and jobs the closing engine drops stay unfinished in the store. */
    private volatile boolean shuttingDown;
    private final ExecutorService resultWriters = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("mmgp-results-", 0).daemon().factory());

    JobService(Engine engine, JobStore store, ResultFiles files, Metrics metrics, RequestParser parser, ObjectMapper json, Clock clock) {
        super(store, files, parser, metrics, json);
        this.engine = engine;
        this.clock = clock;
    }

    @Override
    public boolean hasModel(Task task) {
        return engine.hasModel(task);
    }

    // ---- submissions ----

    @Override
    public void submitImage(String id, ImageRequest r, String keyId) {
        submit(id, "image", parser.toJson(r), keyId, false, l -> engine.generateImage(r, l));
    }

    @Override
    public void submitVideo(String id, VideoRequest r, String keyId) {
        submit(id, "video", StoredRequests.video(parser, r), keyId, false, l -> engine.generateVideo(r, l));
    }

    @Override
    public void submitUnderstand(String id, UnderstandRequest r, String upload, String keyId) {
        submit(id, "understand", StoredRequests.understand(parser, r, upload), keyId, false, l -> engine.understand(r, l));
    }

    @Override
    public void submitPipeline(String id, Path video, PipelineOptions o, String keyId) {
        submit(id, "pipeline", StoredRequests.pipeline(json, parser, video, o), keyId, false, l -> engine.pipeline(video, o, l));
    }

    private void submit(String id, String task, ObjectNode requestJson, String keyId, boolean existing, Function<ProgressListener, Job<?>> start) {
        if (shuttingDown) throw new ApiException(503, "shutting_down", "the server is shutting down; retry shortly", null, 5);
        Instant now = clock.instant();
        LiveJob job = new LiveJob(id, task, now, keyId, json, () -> markRunning(id));
        // Recorded before it is live or queued: a job the engine knows is always in the database.
        if (existing) store.updateStatus(id, JobStatus.QUEUED, now);
        else store.insert(new JobRecord(id, task, JobStatus.QUEUED, now, now, requestJson.toString(), null, null, keyId, List.of()));
        live.put(id, job);
        Job<?> engineJob;
        try {
            engineJob = start.apply(job);
        } catch (RuntimeException e) {
            live.remove(id);
            if (!existing) forget(id);
            metrics.jobRefused(task, e instanceof QueueFullException ? "overloaded" : "rejected");
            throw e;
        }
        job.attach(engineJob);
        if (job.cancelRequested()) engineJob.cancel(); // a DELETE that arrived between put and attach
        engineJob.result().whenCompleteAsync((result, error) -> complete(job, result, error), resultWriters);
        log.info("accepted {} request {}", task, id);
    }

    private void markRunning(String id) {
        try {
            store.updateStatus(id, JobStatus.RUNNING, clock.instant());
        } catch (RuntimeException e) {
            log.warn("could not record that {} is running: {}", id, e.toString()); // the live state still says so
        }
    }

    private void forget(String id) {
        store.delete(id);
        try {
            files.delete(id);
        } catch (IOException e) {
            log.warn("could not remove the files of refused request {}: {}", id, e.toString());
        }
    }

    private void complete(LiveJob job, Object result, Throwable error) {
        MDC.put("request_id", job.id);
        try {
            if (droppedByShutdown(job, result, error)) {
                // Not the job's end: it stays queued (or running) in the store, and the next start takes it up again.
                JobRecord stored = record(job.id);
                log.info("{} request {} left {} for the next start: the server is shutting down", job.task, job.id, stored.status().label());
                job.finish(stored.status(), describe(stored).toString());
                return;
            }
            JobStatus end;
            String message = null;
            ObjectNode summary;
            List<String> names = List.of();
            if (error != null) {
                boolean cancelled = isCancellation(error) || job.cancelRequested();
                end = cancelled ? JobStatus.CANCELLED : JobStatus.FAILED;
                message = cancelled ? "cancelled" : files.scrubPaths(rootMessage(error));
                summary = json.createObjectNode();
                ObjectNode live = json.createObjectNode();
                job.describe(live);
                summary.set("timings", live.get("timings"));
                if (!cancelled) JobFailures.note(error, summary);
            } else {
                summary = files.summarize(result);
                end = JobStatus.DONE;
                try {
                    names = files.write(job.id, result, summary);
                } catch (IOException | RuntimeException e) {
                    end = JobStatus.FAILED;
                    message = "could not write the result files: " + files.scrubPaths(String.valueOf(e.getMessage()));
                }
                if (result instanceof PipelineResult p && !p.complete() && end == JobStatus.DONE) {
                    end = job.cancelRequested() ? JobStatus.CANCELLED : JobStatus.FAILED;
                    message = p.failedStage() + " stage: " + files.scrubPaths(p.error());
                }
            }
            double seconds = job.secondsSinceSubmit();
            String variant = job.variant();
            if (variant != null) summary.put("variant", variant);
            store.finish(job.id, end, summary.toString(), message, names, clock.instant());
            metrics.jobEnded(job.task, variant, end.label(), seconds);
            if (end == JobStatus.DONE) recentSeconds.merge(job.task, seconds, (old, now) -> 0.8 * old + 0.2 * now);
            if (end == JobStatus.FAILED) log.warn("{} request {} failed: {}", job.task, job.id, message, error);
            else log.info("{} request {} {} in {} s", job.task, job.id, end.label(), String.format("%.3f", seconds));
            job.finish(end, describe(record(job.id)).toString());
        } catch (RuntimeException e) {
            log.error("could not record the end of request {}", job.id, e);
            job.finish(JobStatus.FAILED, json.createObjectNode().put("request_id", job.id).put("status", "failed")
                    .put("error", "internal error recording the result").toString());
        } finally {
            live.remove(job.id);
            MDC.remove("request_id");
        }
    }

    /** A job the closing engine aborted (queued) or cancelled after the drain (running), not one a client cancelled. */
    private boolean droppedByShutdown(LiveJob job, Object result, Throwable error) {
        if (!shuttingDown || job.cancelRequested()) return false;
        if (error != null) return isCancellation(error);
        return result instanceof PipelineResult p && !p.complete() && p.error() != null && isCancellationText(p.error());
    }

    private static boolean isCancellationText(String error) {
        return error.toLowerCase(java.util.Locale.ROOT).contains("cancel") || error.contains("engine is closed");
    }

    /** Whether {@code e} (or what it wraps) is a cancellation. */
    private static boolean isCancellation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof java.util.concurrent.CancellationException) return true;
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) t = t.getCause();
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    // ---- queries ----

    /** GET /api/requests/{id}: the live state while it runs, the stored record afterwards. */
    @Override
    public ObjectNode describe(String id) {
        LiveJob job = live.get(id);
        if (job != null) {
            ObjectNode n = json.createObjectNode().put("request_id", id).put("task", job.task).put("created_at", job.created.toString());
            job.describe(n);
            if (!JobStatus.of(n.get("status").asText()).terminal()) return n;
        }
        return describe(record(id));
    }

    private ObjectNode describe(JobRecord r) {
        return describe(r, json);
    }

    /** A stored job as GET /api/requests/{id} shows it (the cluster's front end answers the same way). */
    static ObjectNode describe(JobRecord r, ObjectMapper json) {
        ObjectNode n = json.createObjectNode().put("request_id", r.id()).put("task", r.task()).put("status", r.status().label())
                .put("created_at", r.created().toString()).put("updated_at", r.updated().toString());
        JsonNode result = parse(r.resultJson(), json);
        if (result != null && result.has("variant")) n.put("variant", result.get("variant").asText());
        if (result != null) {
            n.set("timings", result.has("timings") ? result.get("timings") : json.createObjectNode());
            String caption = result.has("text") ? result.get("text").asText()
                    : result.path("caption").has("text") ? result.path("caption").get("text").asText() : null;
            if (caption != null) n.put("caption", caption);
            if (!r.resultFiles().isEmpty()) n.set("result", result);
            if (r.status() == JobStatus.FAILED) JobFailures.describe(result, n);
        }
        ObjectNode links = json.createObjectNode();
        for (String f : r.resultFiles()) links.put(f, "/api/requests/" + r.id() + "/result/" + f);
        n.set("results", links);
        if (r.error() != null) n.put("error", r.error());
        return n;
    }

    private JsonNode parse(String text) {
        return parse(text, json);
    }

    private static JsonNode parse(String text, ObjectMapper json) {
        if (text == null) return null;
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored result of a job is not JSON", e);
        }
    }

    /**
     * The canonical id when {@code id} names a request made with the caller's key; otherwise a
     * 404, the same answer as for an unknown id, so one key holder cannot see another's requests.
     */
    @Override
    public String requireOwner(String id, String callerKeyId) {
        String canonical = ResultFiles.requireUuid(id);
        LiveJob job = live.get(canonical);
        String owner = job != null ? job.keyId : record(canonical).keyId();
        if (!java.util.Objects.equals(owner, callerKeyId)) throw ApiException.notFound("no request with id " + id);
        return canonical;
    }

    /** DELETE /api/requests/{id}: true when the cancel was accepted, false when the job had already finished. */
    @Override
    public boolean cancel(String id) {
        LiveJob job = live.get(ResultFiles.requireUuid(id));
        if (job == null) {
            JobRecord r = record(id); // 404 when unknown
            RecoveryFeeder waiting = recovery;
            return waiting != null && waiting.cancel(r.id(), p -> store.finish(p.id(), JobStatus.CANCELLED, null, "cancelled", List.of(), clock.instant()));
        }
        boolean accepted = job.cancel();
        if (accepted) log.info("cancel requested for {}", id);
        return accepted;
    }

    /** Shorter keep-alives, so a test sees a departed client noticed in milliseconds. */
    void streamKeepAlive(Duration every) {
        streamKeepAlive = every;
    }

    /** How many event streams watch {@code id} now (0 once it ended). */
    int streams(String id) {
        LiveJob job = live.get(ResultFiles.requireUuid(id));
        return job == null ? 0 : job.streams();
    }

    /** GET /api/requests/{id}/events: replays the state, then streams until the job ends. Uses the slot {@link #requireStreamRoom} reserved. */
    @Override
    public void stream(String id, EventChannel channel) {
        streamSlots().stream(ResultFiles.requireUuid(id), channel, streamKeepAlive, this::record, this::watch);
    }

    @Override
    public void watch(String id, EventSink sink) {
        String canonical = ResultFiles.requireUuid(id);
        record(canonical);
        LiveJob job = live.get(canonical);
        if (job != null && job.subscribe(sink, j -> describe(canonical).toString())) return;
        String state = describe(record(canonical)).toString(); // read again: the job may have ended since
        sink.offer(new JobEvent("state", state));
        sink.offer(new JobEvent("status", state));
        sink.end();
    }

    @Override
    public List<Listed> list(JobQuery q) {
        return store.list(q).stream().map(r -> new Listed(r, live.containsKey(r.id()) ? describe(r.id()) : describe(r))).toList();
    }

    // ---- restart and retention ----

    /**
     * Jobs a previous run left unfinished. Those that never started (queued, or left queued by a
     * graceful shutdown) are queued again; those that had started are queued again with
     * {@code requeue} and otherwise marked failed ("interrupted by a restart"). Re-queued jobs are
     * handed to the engine in their order as its queues have room, however many there are.
     */
    void recover(boolean requeue) {
        List<JobRecord> again = new java.util.ArrayList<>();
        for (JobRecord r : store.unfinished()) {
            if (requeue || r.status() == JobStatus.QUEUED) {
                again.add(r);
                continue;
            }
            store.finish(r.id(), JobStatus.FAILED, null, "interrupted by a restart", List.of(), clock.instant());
            log.info("marked {} request {} failed: interrupted by a restart", r.task(), r.id());
        }
        if (again.isEmpty()) return;
        recovery = new RecoveryFeeder(again, this::resubmit, (r, e) -> {
            store.finish(r.id(), JobStatus.FAILED, null, "interrupted by a restart; re-queueing failed: " + files.scrubPaths(String.valueOf(e.getMessage())),
                    List.of(), clock.instant());
            log.warn("could not re-queue {} request {}: {}", r.task(), r.id(), e.toString());
        });
    }

    /** Waits until every recovered job is back in the engine (tests). */
    boolean awaitRecovery(Duration timeout) throws InterruptedException {
        RecoveryFeeder r = recovery;
        return r == null || r.awaitDone(timeout);
    }

    private void resubmit(JobRecord r) {
        ObjectNode req = (ObjectNode) parse(r.requestJson());
        Path dir = files.jobDir(r.id());
        switch (r.task()) {
            case "image" -> {
                ImageRequest q = parser.image(req);
                submit(r.id(), "image", req, r.keyId(), true, l -> engine.generateImage(q, l));
            }
            case "video" -> {
                ObjectNode fields = req.deepCopy();
                String upload = fields.has("upload") ? fields.remove("upload").asText() : null;
                VideoRequest q = parser.video(fields, upload == null ? null : dir.resolve(upload), false);
                submit(r.id(), "video", req, r.keyId(), true, l -> engine.generateVideo(q, l));
            }
            case "understand" -> {
                String upload = req.has("upload") ? req.remove("upload").asText() : null; // none: a text-only question
                UnderstandRequest q = parser.understand(req, upload == null ? null : dir.resolve(upload), false);
                submit(r.id(), "understand", req, r.keyId(), true, l -> engine.understand(q, l));
            }
            case "pipeline" -> {
                Path video = dir.resolve(req.get("upload").asText());
                PipelineOptions o = parser.pipeline(req.get("options"));
                submit(r.id(), "pipeline", req, r.keyId(), true, l -> engine.pipeline(video, o, l));
            }
            default -> throw new IllegalStateException("unknown task " + r.task());
        }
    }

    /** Deletes finished jobs (rows and files) last updated more than {@code retention} ago; returns how many. */
    int sweep(Duration retention) {
        int removed = files.deleteFinished(store, clock.instant().minus(retention));
        removeOrphanFolders(clock.instant().minus(retention));
        return removed;
    }

    /**
     * Deletes job folders that no job owns: an upload whose request was never recorded because the
     * server died while receiving it. Only folders older than the retention, so a submission in
     * progress (folder made, row not yet written) is never touched.
     */
    private void removeOrphanFolders(Instant cutoff) {
        try {
            for (String id : files.foldersModifiedBefore(cutoff)) {
                if (live.containsKey(id) || store.find(id).isPresent()) continue;
                files.delete(id);
                log.info("retention sweep removed the folder of {}, which no request owns", id);
            }
        } catch (IOException e) {
            log.warn("retention sweep could not remove orphaned job folders: {}", e.toString());
        }
    }

    @Override
    public long retryAfterSeconds(Task task) {
        Double s = recentSeconds.get(task.label());
        return s == null ? 1 : Math.clamp((long) Math.ceil(s), 1, 60);
    }

    /**
     * The first step of a graceful stop, before the engine closes: refuses new jobs (503), stops
     * re-queueing recovered ones, and from now on leaves the jobs the closing engine drops
     * (queued ones, and running ones cancelled after the drain) unfinished in the store.
     */
    void beginShutdown() {
        shuttingDown = true;
        RecoveryFeeder r = recovery;
        if (r != null) r.stop();
    }

    boolean shuttingDown() {
        return shuttingDown;
    }

    /** Stops writing results (after those under way); jobs still unfinished are taken up by the next start's recovery. */
    @Override
    public void close() {
        resultWriters.shutdown();
        try {
            if (!resultWriters.awaitTermination(30, TimeUnit.SECONDS)) resultWriters.shutdownNow();
        } catch (InterruptedException e) {
            resultWriters.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
