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
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 */
public final class ClusterWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterWorker.class);
    private static final ObjectMapper QUOTER = new ObjectMapper();
    private final ClusterConfig config;
    private final String name;
    private final Engine engine;
    private final Metrics metrics;
    private final PostgresJobStore store;
    private final StoredRequests requests;
    private final KafkaProducer<String, String> events;
    private final Admin admin;
    private final ClusterGauges gauges;
    private final EventsFeed cancels;
    private final Map<String, RunningJob> running = new ConcurrentHashMap<>();
    private final List<TaskConsumer> consumers = new ArrayList<>();
    private final ExecutorService writers = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("mmgp-worker-results-", 0).daemon().factory());
    private final Javalin http;
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
        events = new KafkaProducer<>(ClusterKafka.producer(config, name + "-events"));
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
        events.send(new ProducerRecord<>(ClusterKafka.EVENTS, id, new ClusterEvent(id, type, data).value()));
    }

    @Override
    public void close() {
        stopping = true;
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
        events.close();
        admin.close();
        store.close();
    }

    /** A job this worker took from a record: where the record was, and the engine's job once started. */
    private static final class RunningJob {
        final String id;
        final TopicPartition partition;
        final long offset;
        final long startNanos = System.nanoTime();
        volatile Job<?> engineJob;
        volatile boolean cancelRequested;
        /** Its partition moved to another worker: whatever it ends with is not stored. */
        volatile boolean abandoned;

        RunningJob(String id, TopicPartition partition, long offset) {
            this.id = id;
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
        final Map<TopicPartition, TreeMap<Long, Boolean>> pending = new HashMap<>();
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
                            take(r);
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
            RunningJob j = new RunningJob(r.key(), tp, r.offset());
            pending.computeIfAbsent(tp, k -> new TreeMap<>()).put(r.offset(), false);
            inFlight.put(r.offset() * 1_000_003L + r.partition(), j);
            running.put(j.id, j);
            MDC.put("request_id", j.id);
            try {
                PostgresJobStore.Claim claim = store.claim(j.id, name, config.maxAttempts(), Instant.now());
                switch (claim) {
                    case SKIP -> {
                        redelivered.increment();
                        log.info("{} already ended: skipped (offset {} of {})", j.id, r.offset(), tp);
                        ended.add(j);
                    }
                    case CANCELLED -> {
                        log.info("{} was cancelled before it ran", j.id);
                        publishEnd(j.id);
                        ended.add(j);
                    }
                    case GAVE_UP -> {
                        log.warn("{} failed: its runs killed {} workers", j.id, config.maxAttempts());
                        publishEnd(j.id);
                        ended.add(j);
                    }
                    case RUN -> run(j);
                }
            } catch (RuntimeException e) {
                // the database is unreachable: leave the record uncommitted, a later delivery retries it
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
                engineJob = requests.start(engine, record, new Progress(j));
            } catch (IOException | RuntimeException e) {
                writers.execute(() -> complete(j, null, e));
                return;
            }
            j.engineJob = engineJob;
            if (j.cancelRequested || store.cancelRequested(j.id)) {
                j.cancelRequested = true;
                engineJob.cancel();
            }
            engineJob.result().whenCompleteAsync((result, error) -> complete(j, result, error), writers);
        }

        /** On a result writer: stores the end (files first, then the row), publishes it, hands the offset back to the poller. */
        private void complete(RunningJob j, Object result, Throwable error) {
            MDC.put("request_id", j.id);
            try {
                if (j.abandoned) return;
                JobStatus end;
                String message = null;
                String summary = null;
                List<String> files = List.of();
                if (error != null) {
                    boolean cancelled = j.cancelRequested || isCancellation(error);
                    end = cancelled ? JobStatus.CANCELLED : JobStatus.FAILED;
                    message = cancelled ? "cancelled" : rootMessage(error);
                    ObjectNode input = JsonNodeFactory.instance.objectNode();
                    if (!cancelled && JobFailures.note(error, input)) summary = input.toString(); // the request was at fault: the API says so
                } else {
                    end = JobStatus.DONE;
                    try {
                        StoredRequests.Written w = requests.write(j.id, result);
                        summary = w.summaryJson();
                        files = w.files();
                    } catch (IOException | RuntimeException e) {
                        end = JobStatus.FAILED;
                        message = "could not write the result files: " + e.getMessage();
                    }
                }
                if (j.abandoned) return;
                boolean recorded = store.finishOnce(j.id, end, summary, message, files, Instant.now());
                double seconds = (System.nanoTime() - j.startNanos) / 1e9;
                if (recorded) {
                    // The A/B variant as in the single node's mmgp_requests_total: "default" with one model, "none" when the engine never took it.
                    Job<?> ran = j.engineJob;
                    String variant = ran == null ? "none" : ran.variant() == null ? "default" : ran.variant();
                    Counter.builder("mmgp.worker.jobs").description("jobs this worker ended, by outcome and A/B variant")
                            .tags("task", task.label(), "outcome", end.label(), "variant", variant).register(metrics.registry()).increment();
                    publishEnd(j.id);
                    if (end == JobStatus.FAILED) log.warn("{} failed: {}", j.id, message);
                    else log.info("{} {} in {} s", j.id, end.label(), String.format("%.3f", seconds));
                } else {
                    Counter.builder("mmgp.worker.duplicates").description("ends not recorded because the job already had one")
                            .tag("task", task.label()).register(metrics.registry()).increment();
                    log.warn("{} already had an end; this run's {} was not recorded", j.id, end.label());
                }
                ended.add(j);
            } catch (RuntimeException e) {
                // not recorded (the database went away): the offset stays uncommitted, so the job is delivered again
                log.error("could not record the end of {}", j.id, e);
                abandon(j);
            } finally {
                MDC.remove("request_id");
            }
        }

        private void publishEnd(String id) {
            store.find(id).ifPresent(r -> publish(id, ClusterEvent.FINISHED, requests.describe(r)));
        }

        /** Stops tracking {@code j} without committing its offset. */
        private void abandon(RunningJob j) {
            j.abandoned = true;
            ended.add(j);
        }

        /** On the poller: ends what the writers finished and commits, per partition, past every leading ended offset. */
        private void commitEnded() {
            for (RunningJob j; (j = ended.poll()) != null; ) {
                inFlight.remove(j.offset * 1_000_003L + j.partition.partition());
                running.remove(j.id, j);
                TreeMap<Long, Boolean> offsets = pending.get(j.partition);
                if (offsets != null && !j.abandoned) offsets.replace(j.offset, true);
            }
            Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
            pending.forEach((tp, offsets) -> {
                long next = -1;
                while (!offsets.isEmpty() && offsets.firstEntry().getValue()) next = offsets.pollFirstEntry().getKey() + 1;
                if (next >= 0) commits.put(tp, new OffsetAndMetadata(next));
            });
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
                pending.remove(tp);
                for (RunningJob j : List.copyOf(inFlight.values())) {
                    if (!j.partition.equals(tp)) continue;
                    j.abandoned = true;
                    inFlight.remove(j.offset * 1_000_003L + j.partition.partition());
                    running.remove(j.id, j);
                    Job<?> engineJob = j.engineJob;
                    if (engineJob != null) engineJob.cancel();
                    if (release) {
                        try {
                            store.release(j.id, name, Instant.now());
                        } catch (RuntimeException e) {
                            log.warn("could not give back {}: {}", j.id, e.toString());
                        }
                    }
                    log.info("{} handed over with partition {}", j.id, tp);
                }
            }
        }
    }

    /** The engine's progress for one job, published on the events topic; a cancel from the topic stops it. */
    private final class Progress implements ProgressListener {
        private final RunningJob job;
        private boolean announced;

        Progress(RunningJob job) {
            this.job = job;
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
            publish(job.id, "progress", "{\"stage\":" + quote(stage) + ",\"done\":" + done + ",\"total\":" + total + "}");
        }

        @Override
        public void stage(String stage, double seconds) {
            announce();
            publish(job.id, "stage", "{\"stage\":" + quote(stage) + ",\"seconds\":" + seconds + "}");
        }

        @Override
        public void text(String stage, String piece) {
            announce();
            publish(job.id, "text", "{\"stage\":" + quote(stage) + ",\"piece\":" + quote(piece) + "}");
        }

        @Override
        public boolean cancelled() {
            return job.cancelRequested || job.abandoned;
        }

        private static String quote(String s) {
            try {
                return QUOTER.writeValueAsString(s);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
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
