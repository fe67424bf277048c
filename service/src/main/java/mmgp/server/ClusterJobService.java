package mmgp.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToLongFunction;
import mmgp.api.ImageRequest;
import mmgp.api.Media;
import mmgp.api.PipelineOptions;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import mmgp.api.VideoRequest;
import mmgp.cluster.ClusterConfig;
import mmgp.cluster.ClusterEvent;
import mmgp.cluster.ClusterKafka;
import mmgp.cluster.PostgresJobStore;
import mmgp.engine.Engine;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs of a cluster front end, which keeps none of them: a submission is a row in PostgreSQL
 * and a record on the task's topic (202 only once both are stored), status and downloads come
 * from the table and the shared folder, and event streams from the events topic, whichever
 * worker runs the job. A task whose lag reached {@code lag.bound} is refused with 429.
 */
final class ClusterJobService extends StoredJobs<PostgresJobStore> {
    private static final Logger log = LoggerFactory.getLogger(ClusterJobService.class);
    private final ClusterConfig cluster;
    private final KafkaProducer<String, String> producer;
    /** A task's queue lag (the cluster's gauges, refreshed every second). */
    private final ToLongFunction<Task> lag;
    /** Event streams and waits by job id. */
    private final Watchers watchers = new Watchers();
    /** The last progress event of each running job, for GET /api/requests/{id}. */
    private final Map<String, ObjectNode> progress = new ConcurrentHashMap<>();

    ClusterJobService(ClusterConfig cluster, PostgresJobStore store, KafkaProducer<String, String> producer, ToLongFunction<Task> lag, ResultFiles files,
                      RequestParser parser, Metrics metrics, ObjectMapper json) {
        super(store, files, parser, metrics, json);
        this.cluster = cluster;
        this.producer = producer;
        this.lag = lag;
    }

    @Override
    public boolean hasModel(Task task) {
        return ClusterKafka.TASKS.contains(task); // the workers have them; without workers, jobs wait in Kafka
    }

    // ---- submissions ----

    @Override
    public void submitImage(String id, ImageRequest r, String keyId) {
        submit(id, Task.IMAGE, Task.IMAGE.label(), parser.toJson(r), null, keyId);
    }

    /** The start image was saved into the job's folder of the shared result folder, where the worker reads it. */
    @Override
    public void submitVideo(String id, VideoRequest r, String keyId) {
        submit(id, Task.VIDEO, Task.VIDEO.label(), StoredRequests.video(parser, r), null, keyId);
    }

    @Override
    public void submitUnderstand(String id, UnderstandRequest r, String upload, String keyId) {
        submit(id, Task.UNDERSTAND, Task.UNDERSTAND.label(), StoredRequests.understand(parser, r, upload), null, keyId);
    }

    /**
     * A pipeline is one job row and, at a time, one record: its current stage's, on that stage's
     * task topic (the caption's first). The worker that finishes a stage sends the next one's.
     * Its options are checked here as far as they can be without models (the single node's checks,
     * with the same field names, less the models' own rules), and every stage's queue must have room.
     */
    @Override
    public void submitPipeline(String id, Path video, PipelineOptions o, String keyId) {
        checkPipeline(video, o);
        String first = StoredRequests.STAGES.getFirst();
        List<Task> queues = StoredRequests.STAGES.stream().map(StoredRequests::stageTask).toList();
        submit(id, queues, "pipeline", StoredRequests.pipeline(json, parser, video, o), ClusterKafka.stageRecord(first), keyId);
    }

    /** The stage requests' own rules, refusals named as the single node's pipeline names them ("video.frames", "caption_prompt"). */
    static void checkPipeline(Path video, PipelineOptions o) {
        if (!java.nio.file.Files.isRegularFile(video)) throw new mmgp.api.InvalidRequestException("video", "no such file: " + video.getFileName());
        String standIn = "a stand-in prompt to check the options";
        Engine.inStage("caption", () -> new UnderstandRequest(Media.video(video), o.captionPrompt(), o.caption()));
        Engine.inStage("image", () -> new ImageRequest(standIn, o.image()));
        Engine.inStage("video", () -> new VideoRequest(standIn, o.video()));
    }

    private void submit(String id, Task queue, String task, ObjectNode request, String record, String keyId) {
        submit(id, List.of(queue), task, request, record, keyId);
    }

    /**
     * @param queues the tasks whose topics the job will use (a pipeline's stages'; the record goes on the first's),
     *               any of which refuses it when its lag reached the bound
     * @param record the record's value: the request (informative: workers read the row), or a pipeline stage
     */
    private void submit(String id, List<Task> queues, String task, ObjectNode request, String record, String keyId) {
        for (Task t : new java.util.LinkedHashSet<>(queues)) {
            long behind = lag.applyAsLong(t);
            if (behind >= cluster.lagBound()) {
                metrics.jobRefused(task, "overloaded");
                throw ApiException.tooMany("queue_full", "the " + t.label() + " queue holds " + behind + " jobs (bound " + cluster.lagBound() + ")",
                        retryAfterSeconds(t));
            }
        }
        Task queue = queues.getFirst();
        Instant now = Instant.now();
        // The row first: a worker that receives the record always finds its job.
        store.insert(new JobRecord(id, task, JobStatus.QUEUED, now, now, request.toString(), null, null, keyId, List.of()));
        try {
            producer.send(new ProducerRecord<>(ClusterKafka.topic(queue), id, record == null ? request.toString() : record)).get(15, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            store.delete(id);
            metrics.jobRefused(task, "overloaded");
            throw new ApiException(503, "queue_unavailable", "the job queue (Kafka) did not take the job: " + e.getMessage(), null, 5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            store.delete(id);
            throw new ApiException(503, "queue_unavailable", "interrupted while queueing the job", null, 5);
        }
        log.info("accepted {} request {}", task, id);
    }

    // ---- queries ----

    @Override
    public ObjectNode describe(String id) {
        return describe(record(id));
    }

    private ObjectNode describe(JobRecord r) {
        ObjectNode n = JobService.describe(r, json);
        ObjectNode p = progress.get(r.id());
        if (p != null && !r.status().terminal()) n.set("progress", p);
        return n;
    }

    @Override
    public String requireOwner(String id, String callerKeyId) {
        String canonical = ResultFiles.requireUuid(id);
        if (!java.util.Objects.equals(record(canonical).keyId(), callerKeyId)) throw ApiException.notFound("no request with id " + id);
        return canonical;
    }

    @Override
    public boolean cancel(String id) {
        String canonical = ResultFiles.requireUuid(id);
        Optional<JobStatus> now = store.requestCancel(canonical, Instant.now());
        if (now.isEmpty()) {
            record(canonical); // 404 when unknown
            return false;
        }
        if (now.get() == JobStatus.CANCELLED) publish(canonical, ClusterEvent.FINISHED, describe(canonical).toString());
        else publish(canonical, ClusterEvent.CANCEL, "{}"); // the worker running it stops it and records the end
        log.info("cancel requested for {}", canonical);
        return true;
    }

    private void publish(String id, String type, String data) {
        producer.send(new ProducerRecord<>(ClusterKafka.EVENTS, id, new ClusterEvent(id, type, data).value()));
    }

    /** Uses the slot {@link #requireStreamRoom} reserved and gives it back when the stream ends. */
    @Override
    public void stream(String id, EventChannel channel) {
        streamSlots().stream(ResultFiles.requireUuid(id), channel, JobService.STREAM_KEEP_ALIVE, this::record, this::watch);
    }

    @Override
    public void watch(String id, EventSink sub) {
        String canonical = ResultFiles.requireUuid(id);
        record(canonical);
        List<EventSink> subs = watchers.add(canonical, sub);
        try {
            synchronized (subs) { // no event of the job reaches the sink before its state
                // Read after subscribing: an end is published only once it is stored, so it is either in this row or still to come.
                JobRecord r = record(canonical);
                String state = describe(r).toString();
                sub.offer(new JobEvent("state", state));
                if (r.status().terminal()) {
                    sub.offer(new JobEvent("status", state));
                    sub.end();
                    watchers.remove(canonical, sub); // the entry too, when it was the only sink
                    return;
                }
            }
        } catch (RuntimeException e) {
            watchers.remove(canonical, sub);
            throw e;
        }
        sub.onEnd(() -> watchers.remove(canonical, sub));
    }

    /** How many jobs have event streams or waits now (tests: none once they ended). */
    int watchedJobs() {
        return watchers.jobs();
    }

    /** An event from the events topic: passed to the job's streams; an end closes them. */
    void onEvent(ClusterEvent e) {
        switch (e.type()) {
            case ClusterEvent.CANCEL -> { }
            case ClusterEvent.FINISHED -> {
                progress.remove(e.jobId());
                watchers.finish(e.jobId(), new JobEvent("status", e.data()));
            }
            default -> {
                if ("progress".equals(e.type())) {
                    try {
                        progress.put(e.jobId(), (ObjectNode) json.readTree(e.data()));
                    } catch (JsonProcessingException | ClassCastException ex) {
                        return;
                    }
                }
                watchers.offer(e.jobId(), new JobEvent(e.type(), e.data()));
            }
        }
    }

    @Override
    public List<Listed> list(JobQuery q) {
        return store.list(q).stream().map(r -> new Listed(r, describe(r))).toList();
    }

    @Override
    public long retryAfterSeconds(Task task) {
        return 5;
    }

    /** Deletes finished jobs (rows and shared files) last updated more than {@code retention} ago; any front end may run it. */
    int sweep(Duration retention) {
        return files.deleteFinished(store, Instant.now().minus(retention));
    }
}
