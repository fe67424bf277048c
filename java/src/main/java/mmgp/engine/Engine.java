package mmgp.engine;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import mmgp.api.*;
import mmgp.engine.spi.ModelProvider;

/**
 * The public face of inference: owns the loaded models (lazy, one copy each, closed by
 * {@link #close}), one bounded request queue per task, and a dispatcher thread per task that
 * batches compatible requests. Thread-safe.
 *
 * <pre>{@code
 * try (Engine engine = Engine.builder()
 *         .model(Task.IMAGE, Path.of("amused-256.gguf"))      // the family is recognised from the file
 *         .model(Task.UNDERSTAND, Path.of("smolvlm2/"))
 *         .maxBatch(4).maxWait(Duration.ofMillis(50)).queueCapacity(16)
 *         .build()) {
 *     engine.load(Task.IMAGE);                                 // optional: else the first request loads it
 *     Job<ImageResult> job = engine.generateImage(
 *             new ImageRequest("a red fox in snow", ImageOptions.defaults().withSeed(7)),
 *             new ProgressListener() {
 *                 public void step(String stage, int done, int total, double seconds) { ... }
 *             });
 *     ImageResult image = job.result().get();                   // or job.cancel()
 * }
 * }</pre>
 *
 * <p>Errors: a request the engine or the loaded model refuses throws
 * {@link InvalidRequestException} (naming the field) from the submitting call; a full queue
 * throws {@link QueueFullException} (retry later); a closed engine or a task without a
 * configured model throws IllegalStateException. Everything after queuing arrives through the
 * job's future: the model's exception, {@link ModelLoadException} when the model cannot be
 * opened, or a CancellationException when the job was cancelled or the engine closed first.
 *
 * <p>Validation: when the task's model is loaded, {@code validate} runs in the submitting
 * thread and a bad request throws {@link InvalidRequestException} there. Before the first load
 * the request is queued without waiting for the model (a load can take minutes and must not
 * block an HTTP handler); the dispatcher validates it after loading and fails only that job's
 * future with the model's InvalidRequestException.
 *
 * <p>Threads: progress listeners, the {@link EngineListener} and callbacks attached to a job's
 * future with the non-async methods ({@code thenApply}, {@code whenComplete}, ...) run on the
 * task's dispatcher thread, while its model waits. Keep them quick; use the {@code *Async}
 * variants for anything that blocks (writing a response to a slow client). A throwing
 * listener is logged and ignored.
 *
 * <p>Results are deterministic per request: a request's seed gives the same result whether it
 * ran alone or batched with others.
 */
public final class Engine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    private final Map<Task, TaskLane<?, ?>> lanes = new EnumMap<>(Task.class);
    private final ComputePermits permits;
    private final Duration closeTimeout;
    private final Object closeLock = new Object();
    private volatile boolean closed;

    private Engine(EngineSettings settings, Map<Task, ModelSlot> slots, EngineListener listener) {
        this.permits = new ComputePermits(settings.concurrentBatches());
        this.closeTimeout = settings.closeTimeout();
        slots.forEach((task, slot) -> lanes.put(task, new TaskLane<>(task, slot, settings, permits, listener)));
        lanes.values().forEach(TaskLane::start);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final Map<Task, Path> models = new EnumMap<>(Task.class);
        private final List<ModelProvider> providers = new ArrayList<>();
        private int threads;
        private int maxBatch = 4;
        private Duration maxWait = Duration.ofMillis(50);
        private int queueCapacity = 16;
        private int concurrentBatches = 1;
        private Duration closeTimeout = Duration.ofSeconds(60);
        private EngineListener listener = EngineListener.NONE;

        private Builder() {}

        /** Uses {@code model} (GGUF file or model folder) for {@code task}; the last call for a task wins. */
        public Builder model(Task task, Path model) {
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(model, "model");
            if (!Files.exists(model)) throw new IllegalArgumentException("model path does not exist: " + model);
            models.put(task, model);
            return this;
        }

        /** Adds a provider (tests use fakes); the ServiceLoader's providers are always searched too, after these. */
        public Builder provider(ModelProvider provider) {
            providers.add(Objects.requireNonNull(provider, "provider"));
            return this;
        }

        /** Compute threads per model; 0 (the default) means one per core. */
        public Builder threads(int threads) {
            if (threads < 0) throw new IllegalArgumentException("threads must be 0 (one per core) or more, got " + threads);
            this.threads = threads;
            return this;
        }

        /** Most requests in one model call (default 4); a model's own maximum may be lower. */
        public Builder maxBatch(int maxBatch) {
            if (maxBatch < 1) throw new IllegalArgumentException("max batch must be at least 1, got " + maxBatch);
            this.maxBatch = maxBatch;
            return this;
        }

        /** How long a request waits for companions to share its batch (default 50 ms). */
        public Builder maxWait(Duration maxWait) {
            Objects.requireNonNull(maxWait, "maxWait");
            if (maxWait.isNegative()) throw new IllegalArgumentException("max wait must not be negative, got " + maxWait);
            this.maxWait = maxWait;
            return this;
        }

        /**
         * Waiting requests per task before submissions throw {@link QueueFullException} (default
         * 16). Requests already taken into the next batch or the running one do not count.
         */
        public Builder queueCapacity(int capacity) {
            if (capacity < 1) throw new IllegalArgumentException("queue capacity must be at least 1, got " + capacity);
            this.queueCapacity = capacity;
            return this;
        }

        /**
         * Batches that may compute at the same time across tasks (default 1: on a small CPU two
         * models computing together only fight for the cores).
         */
        public Builder concurrentBatches(int batches) {
            if (batches < 1) throw new IllegalArgumentException("concurrent batches must be at least 1, got " + batches);
            this.concurrentBatches = batches;
            return this;
        }

        /**
         * How long {@link #close} waits for running batches to finish (default 60 s); after that
         * it cancels them and waits as long again before giving up on their models.
         */
        public Builder closeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) throw new IllegalArgumentException("close timeout must not be negative, got " + timeout);
            this.closeTimeout = timeout;
            return this;
        }

        public Builder listener(EngineListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** @throws IllegalArgumentException when no provider recognises a configured model */
        public Engine build() {
            EngineListener guarded = new GuardedEngineListener(listener);
            int resolvedThreads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
            EngineSettings settings = new EngineSettings(resolvedThreads, maxBatch, maxWait, queueCapacity, concurrentBatches, closeTimeout);
            Map<Task, ModelSlot> slots = new EnumMap<>(Task.class);
            if (!models.isEmpty()) {
                List<ModelProvider> available = ProviderSelection.available(providers);
                models.forEach((task, path) -> slots.put(task,
                        new ModelSlot(task, path, ProviderSelection.choose(task, path, available), resolvedThreads, guarded)));
            }
            return new Engine(settings, slots, guarded);
        }
    }

    /**
     * Queues a question about a video, an image or nothing; the answer streams to
     * {@code listener.text("generate", piece)}. {@code listener} may be null.
     *
     * @throws InvalidRequestException when the loaded model refuses the request
     * @throws QueueFullException      when the task's queue is at its bound
     * @throws IllegalStateException   when the engine is closed or has no understanding model
     */
    public Job<UnderstandResult> understand(UnderstandRequest request, ProgressListener listener) {
        return this.<UnderstandRequest, UnderstandResult>lane(Task.UNDERSTAND).submit(request, listener);
    }

    /** Queues an image; refusals as for {@link #understand}. {@code listener} may be null. */
    public Job<ImageResult> generateImage(ImageRequest request, ProgressListener listener) {
        return this.<ImageRequest, ImageResult>lane(Task.IMAGE).submit(request, listener);
    }

    /** Queues a video; refusals as for {@link #understand}. {@code listener} may be null. */
    public Job<VideoResult> generateVideo(VideoRequest request, ProgressListener listener) {
        return this.<VideoRequest, VideoResult>lane(Task.VIDEO).submit(request, listener);
    }

    /**
     * caption → image → video; per-stage events ("caption.*", "image.*", "video.*", then
     * {@code stage("caption"|"image"|"video", seconds)} as each stage ends), partial results on
     * failure. The future completes normally once the caption exists, with {@code failedStage}
     * set when a later stage failed or was cancelled; it fails only when the caption does.
     * Options are checked now against the models that are loaded (image and video with a
     * stand-in prompt, since the real one is the caption).
     */
    public Job<PipelineResult> pipeline(Path video, PipelineOptions options, ProgressListener listener) {
        Objects.requireNonNull(video, "video");
        Objects.requireNonNull(options, "options");
        ensureOpen();
        for (Task task : Task.values()) {
            if (!hasModel(task)) throw new IllegalStateException("the pipeline needs a model for the " + task.label() + " task; none is configured");
        }
        if (!Files.isRegularFile(video)) throw new InvalidRequestException("video", "no such file: " + video);
        inStage("caption", () -> this.<UnderstandRequest, UnderstandResult>lane(Task.UNDERSTAND)
                .validateIfLoaded(new UnderstandRequest(Media.video(video), options.captionPrompt(), options.caption())));
        String standIn = "a stand-in prompt to check the options";
        inStage("image", () -> this.<ImageRequest, ImageResult>lane(Task.IMAGE).validateIfLoaded(new ImageRequest(standIn, options.image())));
        inStage("video", () -> this.<VideoRequest, VideoResult>lane(Task.VIDEO).validateIfLoaded(new VideoRequest(standIn, options.video())));
        PipelineRun run = new PipelineRun(this, video, options, listener);
        run.start();
        return run;
    }

    /**
     * Runs a stage's check, naming a refused field as the pipeline's options do ("video.width", not
     * "width"); the caption's prompt is "caption_prompt" and its media the pipeline's "video".
     */
    private static void inStage(String stage, Runnable check) {
        try {
            check.run();
        } catch (InvalidRequestException e) {
            String f = e.field();
            String named = f == null ? stage
                    : stage.equals("caption") && f.equals("prompt") ? "caption_prompt"
                    : stage.equals("caption") && (f.equals("video") || f.equals("media")) ? "video"
                    : stage + "." + f;
            String message = f != null && e.getMessage().startsWith(f + ": ") ? e.getMessage().substring(f.length() + 2) : e.getMessage();
            throw new InvalidRequestException(named, message);
        }
    }

    /** True when a model is configured for the task (loaded or loadable). */
    public boolean hasModel(Task task) {
        return lanes.containsKey(task);
    }

    /**
     * Loads the task's model now (readiness probes, warm-up) instead of on the first request.
     *
     * @throws ModelLoadException when loading fails (the next call or request tries again)
     */
    public void load(Task task) {
        ensureOpen();
        lane(task).load();
    }

    public boolean isLoaded(Task task) {
        TaskLane<?, ?> lane = lanes.get(task);
        return lane != null && lane.isLoaded();
    }

    /** Requests waiting in the task's queue (not counting those taken into the next or the running batch); 0 without a model. */
    public int queueDepth(Task task) {
        TaskLane<?, ?> lane = lanes.get(task);
        return lane == null ? 0 : lane.queueDepth();
    }

    /**
     * Stops accepting, cancels queued jobs, waits for running batches (up to the close timeout,
     * then cancels them and waits as long again), stops the dispatchers and closes the models.
     * A batch that still has not stopped keeps its model open until it ends (freeing a model
     * under a running batch could crash the process); its dispatcher closes the model then.
     * Idempotent; a second caller waits for the first to finish.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) return;
            closed = true;
            lanes.values().forEach(TaskLane::shutdown);
            permits.wakeAll();
            try {
                List<TaskLane<?, ?>> busy = awaitStop(new ArrayList<>(lanes.values()));
                if (!busy.isEmpty()) {
                    busy.forEach(TaskLane::cancelRunning);
                    busy = awaitStop(busy);
                }
                busy.forEach(lane -> LOG.log(Level.WARNING, "the " + lane.task().label() + " batch still runs " + closeTimeout
                        + " after it was cancelled; its model stays open until the batch stops"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits (the close timeout in all) for the lanes' dispatchers; returns those still running. */
    private List<TaskLane<?, ?>> awaitStop(List<TaskLane<?, ?>> lanesToWait) throws InterruptedException {
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        List<TaskLane<?, ?>> busy = new ArrayList<>();
        for (TaskLane<?, ?> lane : lanesToWait) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            if (!lane.awaitStop(left)) busy.add(lane);
        }
        return busy;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("engine is closed");
    }

    @SuppressWarnings("unchecked")
    private <Q, R> TaskLane<Q, R> lane(Task task) {
        ensureOpen();
        TaskLane<?, ?> lane = lanes.get(Objects.requireNonNull(task, "task"));
        if (lane == null) throw new IllegalStateException("no " + task.label() + " model is configured");
        return (TaskLane<Q, R>) lane;
    }
}
