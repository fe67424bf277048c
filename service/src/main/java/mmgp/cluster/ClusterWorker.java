package mmgp.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.engine.Engine;
import mmgp.engine.Job;
import mmgp.server.JobFailures;
import mmgp.server.JobRecord;
import mmgp.server.JobStatus;
import mmgp.server.Metrics;
import mmgp.server.ResultFiles;
import mmgp.server.StoredRequests;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code mmgp worker --cluster}: runs the jobs of its tasks from Kafka on one {@link Engine}.
 * Per task, one consumer in the task's group takes at most {@code capacity} jobs at a time: its
 * partitions are paused while it is full (so it keeps its group membership without fetching
 * more than it can run), and records fetched beyond the room left are sought back to. Its
 * records go to the engine, whose dispatcher batches those that share a batch key exactly as in
 * single-node mode; each result is stored, and only then is its offset committed.
 * A record whose job the database already finished is skipped (a redelivery); a job whose
 * worker died {@code max.attempts} times is failed; a cancel on the events topic stops the job.
 *
 * <p>A pipeline job advances stage by stage: its record on a task's topic names the stage
 * ({@link ClusterKafka#stageRecord}); the worker that ran the stage writes its result to the
 * job's folder, moves the row to the next stage (one conditional UPDATE: of two runs of a
 * redelivered stage only one advances it), sends the next stage's record and only then commits
 * its own. The worker, not a coordinator, advances the job because it holds the stage's result
 * and its uncommitted record: a crash anywhere before the commit redelivers that record, whose
 * claim finds the job moved on and only sends the next record again if it was not sent yet.
 */
public final class ClusterWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterWorker.class);
    private static final ObjectMapper QUOTER = new ObjectMapper();
    /**
     * How long a pipeline job may sit advanced with its next stage's record not known to be sent
     * before a worker's sweep sends it (well above the send's own timeout, so a send in progress
     * is not doubled).
     */
    static final Duration RESEND_AFTER = Duration.ofSeconds(30);
    /** How long a record whose end could not be stored waits before it is delivered again. */
    private static final Duration RETRY_DELAY = Duration.ofSeconds(2);
    private final ClusterConfig config;
    private final String name;
    private final Engine engine;
    private final Metrics metrics;
    private final PostgresJobStore store;
    private final StoredRequests requests;
    /** Events, and the records of pipeline stages this worker's stages lead to. */
    private final KafkaProducer<String, String> producer;
    private final Admin admin;
    private final ClusterGauges gauges;
    private final EventsFeed cancels;
    private final Map<String, RunningJob> running = new ConcurrentHashMap<>();
    private final List<TaskConsumer> consumers = new ArrayList<>();
    private final ExecutorService writers = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("mmgp-worker-results-", 0).daemon().factory());
    private final Javalin http;
    /** Re-sends the next stage's record of pipeline jobs whose advancing worker failed to send it ({@link #resendUnsent}). */
    private final ScheduledExecutorService resender = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("mmgp-worker-resend").daemon().factory());
    private volatile boolean stopping;

    /**
     * @param name     this worker in the job table and in Kafka (unique per process)
     * @param capacity most jobs of one task taken at once (the engine's batch size is a good value)
     * @param port     of /healthz, /readyz and /metrics (0 picks one)
     */
    public ClusterWorker(ClusterConfig config, String name, Engine engine, Metrics metrics, Set<Task> tasks, int capacity, String host, int port)
            throws IOException, InterruptedException {
        this.config = config;
        this.name = name;
        this.engine = engine;
        this.metrics = metrics;
        ObjectMapper json = new ObjectMapper();
        Files.createDirectories(config.sharedDir());
        requests = new StoredRequests(json, new ResultFiles(config.sharedDir(), json));
        store = PostgresJobStore.open(config);
        admin = Admin.create(ClusterKafka.admin(config));
        ClusterKafka.ensureTopics(admin, config);
        gauges = new ClusterGauges(new QueueLag(admin), store, metrics.registry());
        producer = new KafkaProducer<>(ClusterKafka.producer(config, name + "-producer"));
        cancels = new EventsFeed(config, name + "-cancels", this::onEvent);
        for (Task t : tasks) {
            if (!ClusterKafka.TASKS.contains(t)) throw new IllegalArgumentException("a worker runs image, video and understand jobs, not " + t.label());
            if (!engine.hasModel(t)) throw new IllegalArgumentException("no " + t.label() + " model configured for this worker");
            TaskConsumer c = new TaskConsumer(t, capacity);
            consumers.add(c);
            Gauge.builder("mmgp.worker.in.flight", c, TaskConsumer::inFlight).description("jobs this worker took and has not finished")
                    .tag("task", t.label()).register(metrics.registry());
        }
        http = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
        });
        http.get("/healthz", ctx -> ctx.json(Map.of("status", "up")));
        http.get("/readyz", ctx -> {
            boolean ready = ready();
            ctx.status(ready ? 200 : 503).json(Map.of("ready", ready, "store", store.isOpen(), "kafka", gauges.fresh(), "worker", name));
        });
        http.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        http.start(host, port);
        consumers.forEach(TaskConsumer::start);
        resender.scheduleWithFixedDelay(this::resendUnsent, RESEND_AFTER.toSeconds(), RESEND_AFTER.toSeconds() / 3, TimeUnit.SECONDS);
        log.info("worker {} polling {} with capacity {} per task", name, tasks, capacity);
    }

    public int port() {
        return http.port();
    }

    /** Ready when the database answers, Kafka was read a moment ago and every task's consumer runs. */
    public boolean ready() {
        return !stopping && store.isOpen() && gauges.fresh() && cancels.isReady() && consumers.stream().allMatch(c -> c.thread.isAlive());
    }

    private void onEvent(ClusterEvent e) {
        if (!ClusterEvent.CANCEL.equals(e.type())) return;
        RunningJob j = running.get(e.jobId());
        if (j == null) return;
        j.cancelRequested = true;
        Job<?> engineJob = j.engineJob;
        if (engineJob != null) engineJob.cancel();
        log.info("cancel requested for {}", e.jobId());
    }

    private void publish(String id, String type, String data) {
        producer.send(new ProducerRecord<>(ClusterKafka.EVENTS, id, new ClusterEvent(id, type, data).value()));
    }

    /**
     * The sweep: the next stage's record of every pipeline job advanced more than
     * {@link #RESEND_AFTER} ago whose record is not known to be on its topic (the worker that
     * advanced it failed or died before sending, and no redelivery of its previous stage came).
     * Each is taken with a conditional UPDATE first, so of several workers sweeping one sends it;
     * should a duplicate still reach the topic, the stage's claim runs the stage once its record
     * finds the job there and skips records of stages the job has left.
     */
    private void resendUnsent() {
        try {
            Instant cutoff = Instant.now().minus(RESEND_AFTER);
            for (String id : store.unsentBefore(cutoff, 100)) {
                if (stopping) return;
                store.takeUnsentStage(id, cutoff, Instant.now()).ifPresent(stage -> {
                    sendStage(id, stage);
                    log.warn("{}: its {} stage's record was not sent when the job advanced; sent it now", id, stage);
                });
            }
        } catch (RuntimeException e) {
            log.warn("the sweep of unsent pipeline stages failed: {}", e.toString());
        }
    }

    /** Puts the record of the pipeline job's stage {@code stage} on its task's topic and records that it is there. */
    private void sendStage(String id, String stage) {
        try {
            producer.send(new ProducerRecord<>(ClusterKafka.topic(StoredRequests.stageTask(stage)), id, ClusterKafka.stageRecord(stage))).get(15, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new KafkaException("could not send the " + stage + " stage of " + id + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted sending the " + stage + " stage of " + id, e);
        }
        store.stageSent(id, stage);
    }

    @Override
    public void close() {
        stopping = true;
        resender.shutdownNow();
        consumers.forEach(TaskConsumer::stop);
        http.stop();
        cancels.close();
        writers.shutdown();
        try {
            if (!writers.awaitTermination(30, TimeUnit.SECONDS)) writers.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        gauges.close();
        producer.close();
        admin.close();
        store.close();
    }

    /** A job this worker took from a record: where the record was, and the engine's job once started. */
    private static final class RunningJob {
        final String id;
        /** The pipeline stage the record stands for; null for a single-task job. */
        final String stage;
        final TopicPartition partition;
        final long offset;
        final long startNanos = System.nanoTime();
        volatile Job<?> engineJob;
        volatile boolean cancelRequested;
        /** Its partition moved to another worker: whatever it ends with is not stored. */
        volatile boolean abandoned;
        /** Its end could not be stored: its record is to be delivered again (not handed over). */
        volatile boolean redeliver;
        /** The video stage refused the start image as its job ran, and is filming the caption from noise instead. */
        volatile boolean fromNoise;

        RunningJob(String id, String stage, TopicPartition partition, long offset) {
            this.id = id;
            this.stage = stage;
            this.partition = partition;
            this.offset = offset;
        }
    }

    /** One task's consumer and the thread that polls it. */
    private final class TaskConsumer implements ConsumerRebalanceListener {
        final Task task;
        final int capacity;
        final KafkaConsumer<String, String> consumer;
        final Thread thread;
        /** Per partition, the offsets taken and whether each ended; the committed offset follows the leading ended ones. */
        final OffsetTracker offsets = new OffsetTracker(RETRY_DELAY.toNanos());
        final Map<Long, RunningJob> inFlight = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<RunningJob> ended = new ConcurrentLinkedQueue<>();
        final Counter redelivered;
        volatile boolean polling = true;

        TaskConsumer(Task task, int capacity) {
            this.task = task;
            this.capacity = capacity;
            consumer = new KafkaConsumer<>(ClusterKafka.workerConsumer(config, task, name + "-" + task.label(), capacity));
            redelivered = Counter.builder("mmgp.worker.redelivered").description("records skipped because their job had already ended")
                    .tag("task", task.label()).register(metrics.registry());
            thread = Thread.ofPlatform().name("mmgp-worker-" + task.label()).unstarted(this::run);
        }

        void start() {
            thread.start();
        }

        int inFlight() {
            return inFlight.size();
        }

        void stop() {
            polling = false;
            consumer.wakeup();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void run() {
            try {
                consumer.subscribe(List.of(ClusterKafka.topic(task)), this);
                while (polling) {
                    commitEnded();
                    // Demand-driven: fetch only while there is room. Taking while the engine gathers a
                    // batch (its max wait) lets records that arrive meanwhile share that batch.
                    if (inFlight.size() < capacity) consumer.resume(consumer.paused());
                    else consumer.pause(consumer.assignment());
                    Set<TopicPartition> rewound = new HashSet<>();
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(20))) {
                        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                        if (rewound.contains(tp)) continue;
                        if (inFlight.size() < capacity) {
                            // a seek back to a dropped record delivers the records after it again: those taken already are not run twice
                            if (offsets.take(tp, r.offset())) take(r);
                        } else {
                            // no room: fetched again later, from this record on
                            consumer.seek(tp, r.offset());
                            rewound.add(tp);
                        }
                    }
                }
            } catch (WakeupException e) {
                // stopping
            } catch (RuntimeException e) {
                log.error("the {} consumer stopped", task.label(), e);
            } finally {
                try {
                    commitEnded();
                    // stopping: what is still running goes back to the queue without counting as an attempt
                    giveBack(consumer.assignment(), true);
                } catch (RuntimeException e) {
                    log.warn("last commit failed: {}", e.toString());
                }
                consumer.close();
            }
        }

        private void take(ConsumerRecord<String, String> r) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            RunningJob j = new RunningJob(r.key(), ClusterKafka.stageOf(r.value()), tp, r.offset());
            inFlight.put(r.offset() * 1_000_003L + r.partition(), j);
            running.put(j.id, j);
            MDC.put("request_id", j.id);
            try {
                if (j.stage != null && StoredRequests.STAGES.contains(j.stage) && StoredRequests.stageTask(j.stage) != task) {
                    log.error("{}: a {} stage record on the {} topic: skipped", j.id, j.stage, task.label());
                    ended.add(j);
                    return;
                }
                PostgresJobStore.Claim claim = store.claim(j.id, j.stage, tp + "@" + r.offset(), name, config.maxAttempts(), Instant.now());
                switch (claim) {
                    case SKIP -> {
                        redelivered.increment();
                        if (j.stage == null) log.info("{} already ended: skipped (offset {} of {})", j.id, r.offset(), tp);
                        else log.info("{} already left its {} stage, ended or runs it from another record: skipped (offset {} of {})", j.id, j.stage, r.offset(), tp);
                        // the worker that advanced it may have died before sending the next stage's record
                        if (j.stage != null) store.unsentStage(j.id).ifPresent(next -> {
                            sendStage(j.id, next);
                            log.info("{}: sent its {} stage's record again", j.id, next);
                        });
                        ended.add(j);
                    }
                    case CANCELLED -> {
                        log.info("{} was cancelled before it ran", j.id);
                        publishEnd(j.id);
                        ended.add(j);
                    }
                    case GAVE_UP -> {
                        log.warn("{}: its runs killed {} workers; failing it", j.id, config.maxAttempts());
                        record(j, gaveUp(j));
                        ended.add(j);
                    }
                    case RUN -> run(j);
                }
            } catch (RuntimeException e) {
                // the database or Kafka is unreachable: leave the record uncommitted, a later delivery retries it
                log.error("could not claim {}: {}", j.id, e.toString());
                abandon(j);
            } finally {
                MDC.remove("request_id");
            }
        }

        private void run(RunningJob j) {
            JobRecord record = store.find(j.id).orElseThrow(() -> new IllegalStateException("job " + j.id + " vanished"));
            Job<?> engineJob;
            try {
                engineJob = j.stage == null ? requests.start(engine, record, new Progress(j))
                        : requests.startStage(engine, record, j.stage, j.fromNoise, new Progress(j));
            } catch (IOException | RuntimeException e) {
                writers.execute(() -> complete(j, null, e));
                return;
            }
            j.engineJob = engineJob;
            if (j.cancelRequested || store.cancelRequested(j.id)) {
                j.cancelRequested = true;
                engineJob.cancel();
            }
            engineJob.result().whenCompleteAsync((result, error) -> {
                // A video model that refuses the start image as the job runs (not at submission) films the caption from noise, as the single node's pipeline does.
                if (error != null && !j.fromNoise && !j.cancelRequested && !j.abandoned && requests.refusedStartImage(record, j.stage, error)) {
                    log.warn("{}: the video model cannot start from the image ({}); filming the caption from noise", j.id, scrubbed(error));
                    j.fromNoise = true;
                    try {
                        run(j);
                    } catch (RuntimeException e) {
                        complete(j, null, e);
                    }
                    return;
                }
                complete(j, result, error);
            }, writers);
        }

        /** On a result writer: stores the end (files first, then the row), publishes it, hands the offset back to the poller. */
        private void complete(RunningJob j, Object result, Throwable error) {
            MDC.put("request_id", j.id);
            try {
                if (j.abandoned) return;
                Job<?> ran = j.engineJob;
                String variant = ran == null ? null : ran.variant();
                End end = j.stage == null ? endOf(j, result, error) : endOfStage(j, result, error, variant);
                if (end != null && !j.abandoned) record(j, end);
                ended.add(j);
            } catch (RuntimeException e) {
                // not recorded (the database or Kafka went away): the offset stays uncommitted, so the job is delivered again
                log.error("could not record the end of {}", j.id, e);
                abandon(j);
            } finally {
                MDC.remove("request_id");
            }
        }

        /** A single-task job's end: its result's files and summary, or why it has none. */
        private End endOf(RunningJob j, Object result, Throwable error) {
            if (error != null) return failure(j, error);
            try {
                StoredRequests.Written w = requests.write(j.id, result);
                return new End(JobStatus.DONE, w.summaryJson(), null, w.files(), variantOf(j));
            } catch (IOException | RuntimeException e) {
                return new End(JobStatus.FAILED, null, "could not write the result files: " + requests.scrub(String.valueOf(e.getMessage())), List.of(), variantOf(j));
            }
        }

        /** Records {@code end} unless the job already has one, then publishes it. */
        private void record(RunningJob j, End end) {
            String summary = withVariant(end.summaryJson(), end.variant());
            boolean recorded = j.stage == null ? store.finishOnce(j.id, end.status(), summary, end.message(), end.files(), end.variant(), Instant.now())
                    // a pipeline's end only while the job is still at this run's stage: a duplicate run of a stage it left changes nothing
                    : store.finishStage(j.id, j.stage, end.status(), summary, end.message(), end.files(), Instant.now());
            double seconds = (System.nanoTime() - j.startNanos) / 1e9;
            String kind = j.stage == null ? task.label() : "pipeline";
            if (recorded) {
                // The A/B variant as in the single node's mmgp_requests_total: "default" with one model, "none" when the engine never took it.
                Job<?> ran = j.engineJob;
                String variant = ran == null ? "none" : ran.variant() == null ? "default" : ran.variant();
                Counter.builder("mmgp.worker.jobs").description("jobs this worker ended, by outcome and A/B variant")
                        .tags("task", kind, "outcome", end.status().label(), "variant", variant).register(metrics.registry()).increment();
                publishEnd(j.id);
                if (end.status() == JobStatus.FAILED) log.warn("{} failed: {}", j.id, end.message());
                else log.info("{} {} in {} s", j.id, end.status().label(), String.format("%.3f", seconds));
            } else {
                Counter.builder("mmgp.worker.duplicates").description("ends not recorded because the job already had one")
                        .tag("task", kind).register(metrics.registry()).increment();
                log.warn("{} already had an end or left this stage; this run's {} was not recorded", j.id, end.status().label());
            }
        }

        /**
         * A pipeline stage's end. Null when the job moved on: to its next stage (whose record is
         * now on its topic), or past this stage by another run of it. Otherwise the job's end:
         * done after the last stage; failed or cancelled at a stage, with the earlier stages'
         * results kept, as the single node's pipeline ends.
         */
        private End endOfStage(RunningJob j, Object result, Throwable error, String variant) {
            JobRecord r = store.find(j.id).orElse(null);
            if (r == null || !j.stage.equals(store.stageOf(j.id).orElse(null))) {
                log.warn("{}: its {} stage already ended elsewhere; this run is not recorded", j.id, j.stage);
                return null;
            }
            if (error != null) {
                if (j.stage.equals(StoredRequests.STAGES.getFirst())) return failure(j, error); // no caption: the pipeline fails as its caption did
                boolean cancelled = j.cancelRequested || isCancellation(error) || store.cancelRequested(j.id);
                return stageFailed(r, j.stage, cancelled ? "cancelled" : scrubbed(error), cancelled);
            }
            double seconds = (System.nanoTime() - j.startNanos) / 1e9;
            StoredRequests.Written w;
            try {
                w = requests.writeStage(r, j.stage, result, seconds, variant);
            } catch (IOException | RuntimeException e) {
                return stageFailed(r, j.stage, "could not write the result files: " + requests.scrub(String.valueOf(e.getMessage())), false);
            }
            String next = StoredRequests.nextStage(j.stage);
            String stageEnd = "{\"stage\":" + quote(j.stage) + ",\"seconds\":" + seconds + "}";
            if (next == null) {
                publish(j.id, "stage", stageEnd);
                return new End(JobStatus.DONE, w.summaryJson(), null, w.files(), null);
            }
            JobRecord now = new JobRecord(r.id(), r.task(), r.status(), r.created(), r.updated(), r.requestJson(), w.summaryJson(), r.error(), r.keyId(), w.files());
            if (store.advance(j.id, j.stage, next, w.summaryJson(), w.files(), Instant.now())) {
                publish(j.id, "stage", stageEnd);
                sendStage(j.id, next);
                log.info("{}: {} stage done in {} s, {} stage queued", j.id, j.stage, String.format("%.3f", seconds), next);
                return null;
            }
            if (!store.cancelRequested(j.id)) {
                log.warn("{}: another run of its {} stage moved it on; this run is not recorded", j.id, j.stage);
                return null;
            }
            return stageFailed(now, next, "cancelled", true); // asked to stop as this stage ended: the next one never starts
        }

        /**
         * The end of a job whose runs killed their workers {@code max.attempts} times: a pipeline
         * stopped at a later stage keeps its earlier results and says which stage, as any stage's failure.
         */
        private End gaveUp(RunningJob j) {
            String reason = PostgresJobStore.gaveUp(config.maxAttempts());
            if (j.stage == null) return new End(JobStatus.FAILED, null, reason, List.of(), null);
            if (j.stage.equals(StoredRequests.STAGES.getFirst())) return new End(JobStatus.FAILED, null, j.stage + " stage: " + reason, List.of(), null);
            JobRecord r = store.find(j.id).orElseThrow(() -> new IllegalStateException("job " + j.id + " vanished"));
            return stageFailed(r, j.stage, reason, false);
        }

        /** The end of a pipeline stopped at {@code stage}: the earlier stages' results, and the reason. */
        private End stageFailed(JobRecord r, String stage, String reason, boolean cancelled) {
            JobStatus status = cancelled ? JobStatus.CANCELLED : JobStatus.FAILED;
            String message = stage + " stage: " + reason;
            try {
                StoredRequests.Written w = requests.writeStageFailure(r, stage, reason);
                return new End(status, w.summaryJson(), message, w.files(), null);
            } catch (IOException | RuntimeException e) {
                log.warn("{}: could not write the summary of the stopped pipeline: {}", r.id(), e.toString());
                return new End(status, null, message, List.of(), null);
            }
        }

        private void publishEnd(String id) {
            store.find(id).ifPresent(r -> publish(id, ClusterEvent.FINISHED, requests.describe(r)));
        }

        /**
         * Stops running {@code j} without committing its offset: the poller seeks back to it after
         * a pause, so it is delivered again (its claim then finds what is left to do, e.g. the
         * next stage's record to send), and the offsets after it can be committed once it ends.
         */
        private void abandon(RunningJob j) {
            j.redeliver = true;
            j.abandoned = true;
            ended.add(j);
        }

        /** On the poller: ends what the writers finished, seeks back to dropped records that are due, and commits, per partition, past every leading ended offset. */
        private void commitEnded() {
            long now = System.nanoTime();
            for (RunningJob j; (j = ended.poll()) != null; ) {
                inFlight.remove(j.offset * 1_000_003L + j.partition.partition());
                running.remove(j.id, j);
                if (j.redeliver) offsets.dropped(j.partition, j.offset, now);
                else if (!j.abandoned) offsets.ended(j.partition, j.offset);
            }
            Set<TopicPartition> assigned = consumer.assignment();
            offsets.dueSeeks(now).forEach((tp, offset) -> {
                // only backwards: records between here and the position are taken already, or will be
                if (assigned.contains(tp) && offset < consumer.position(tp)) consumer.seek(tp, offset);
            });
            Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
            offsets.commits().forEach((tp, next) -> commits.put(tp, new OffsetAndMetadata(next)));
            if (commits.isEmpty()) return;
            try {
                consumer.commitSync(commits);
            } catch (KafkaException e) {
                // a rebalance took the partition: its next owner finds these jobs ended and skips them
                log.warn("commit of {} failed: {}", commits, e.toString());
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commitEnded();
            giveBack(partitions, true);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            giveBack(partitions, false);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) log.info("{} partitions assigned: {}", task.label(), partitions);
        }

        /** The jobs of partitions that move to another worker stop here; their new owner runs them (this attempt does not count). */
        private void giveBack(Collection<TopicPartition> partitions, boolean release) {
            for (TopicPartition tp : partitions) {
                offsets.forget(tp);
                for (RunningJob j : List.copyOf(inFlight.values())) {
                    if (!j.partition.equals(tp)) continue;
                    j.abandoned = true;
                    inFlight.remove(j.offset * 1_000_003L + j.partition.partition());
                    running.remove(j.id, j);
                    Job<?> engineJob = j.engineJob;
                    if (engineJob != null) engineJob.cancel();
                    if (release) {
                        try {
                            store.release(j.id, j.stage, name, Instant.now());
                        } catch (RuntimeException e) {
                            log.warn("could not give back {}: {}", j.id, e.toString());
                        }
                    }
                    log.info("{} handed over with partition {}", j.id, tp);
                }
            }
        }
    }

    /** How a job ended, as its row records it; {@code variant} is the A/B variant that ran it (null with one model). */
    private record End(JobStatus status, String summaryJson, String message, List<String> files, String variant) {}

    /**
     * A failed or cancelled run: why (without the server's paths, as the single node says it), and
     * when the request itself was at fault, what the API says of it. A pipeline's row keeps no A/B
     * variant (its stages' variants are in its summary), also when its caption fails.
     */
    private End failure(RunningJob j, Throwable error) {
        boolean cancelled = j.cancelRequested || isCancellation(error);
        ObjectNode input = JsonNodeFactory.instance.objectNode();
        String summary = !cancelled && JobFailures.note(error, input) ? input.toString() : null;
        return new End(cancelled ? JobStatus.CANCELLED : JobStatus.FAILED, summary, cancelled ? "cancelled" : scrubbed(error), List.of(), variantOf(j));
    }

    /** The error's message as a client may see it: without this server's paths. */
    private String scrubbed(Throwable error) {
        return requests.scrub(rootMessage(error));
    }

    /** The A/B variant that ran a single-task job; null for a pipeline's stage (see {@link #failure}). */
    private static String variantOf(RunningJob j) {
        Job<?> ran = j.engineJob;
        return ran == null || j.stage != null ? null : ran.variant();
    }

    /** {@code summaryJson} with the A/B variant, where GET /api/requests/{id} reads it as in single-node mode. */
    private static String withVariant(String summaryJson, String variant) {
        if (variant == null) return summaryJson;
        try {
            ObjectNode n = summaryJson == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) QUOTER.readTree(summaryJson);
            return n.put("variant", variant).toString();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a summary that is not JSON: " + summaryJson, e);
        }
    }

    private static String quote(String s) {
        try {
            return QUOTER.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The engine's progress for one job, published on the events topic; a cancel from the topic
     * stops it. A pipeline stage's events carry the stage's name in front ("image.denoise"), as
     * the single node's pipeline sends them.
     */
    private final class Progress implements ProgressListener {
        private final RunningJob job;
        private final String prefix;
        /** A pipeline said "running" with its first stage. */
        private boolean announced;

        Progress(RunningJob job) {
            this.job = job;
            this.prefix = job.stage == null ? "" : job.stage + ".";
            this.announced = job.stage != null && !job.stage.equals(StoredRequests.STAGES.getFirst());
        }

        private synchronized void announce() {
            if (announced) return;
            announced = true;
            publish(job.id, "status", "{\"request_id\":\"" + job.id + "\",\"status\":\"running\"}");
        }

        @Override
        public void started(String stage) {
            announce();
        }

        @Override
        public void step(String stage, int done, int total, double seconds) {
            announce();
            publish(job.id, "progress", "{\"stage\":" + quote(prefix + stage) + ",\"done\":" + done + ",\"total\":" + total + "}");
        }

        @Override
        public void stage(String stage, double seconds) {
            announce();
            publish(job.id, "stage", "{\"stage\":" + quote(prefix + stage) + ",\"seconds\":" + seconds + "}");
        }

        @Override
        public void text(String stage, String piece) {
            announce();
            publish(job.id, "text", "{\"stage\":" + quote(prefix + stage) + ",\"piece\":" + quote(piece) + "}");
        }

        @Override
        public boolean cancelled() {
            return job.cancelRequested || job.abandoned;
        }
    }

    private static boolean isCancellation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof CancellationException) return true;
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
