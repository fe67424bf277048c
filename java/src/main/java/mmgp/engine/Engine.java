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
import mmgp.engine.spi.CostEstimate;
import mmgp.engine.spi.ModelProvider;
import mmgp.graph.Numerics;

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
 * {@link InvalidRequestException} (naming the field) from the submitting call; one whose run
 * would not fit the memory budget or compute limit throws {@link OverBudgetException}; a full queue
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
    private final Map<Task, TaskVariants> tasks = new EnumMap<>(Task.class);
    /** Every task's lanes, one per model variant. */
    private final List<TaskLane<?, ?>> lanes = new ArrayList<>();
    private final ComputePermits permits;
    private final Duration closeTimeout;
    private final Object closeLock = new Object();
    private volatile boolean closed;

    private Engine(EngineSettings settings, Map<Task, List<TaskVariants.Spec>> slots, long variantSeed, EngineListener listener) {
        this.permits = new ComputePermits(settings.concurrentBatches());
        this.closeTimeout = settings.closeTimeout();
        slots.forEach((task, specs) -> {
            TaskVariants variants = new TaskVariants(task, specs, variantSeed, settings, permits, listener);
            tasks.put(task, variants);
            lanes.addAll(variants.lanes());
        });
        lanes.forEach(TaskLane::start);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final Map<Task, Path> models = new EnumMap<>(Task.class);
        private final Map<Task, Path> companions = new EnumMap<>(Task.class);
        private final Map<Task, Map<String, Map.Entry<Path, Double>>> variants = new EnumMap<>(Task.class);
        private long variantSeed = System.nanoTime();
        private final List<ModelProvider> providers = new ArrayList<>();
        private int threads;
        private Numerics numerics = Numerics.FAST;
        private int maxBatch = 4;
        private Duration maxWait = Duration.ofMillis(50);
        private int queueCapacity = 16;
        private int concurrentBatches = 1;
        private Duration closeTimeout = Duration.ofSeconds(60);
        private EngineListener listener = EngineListener.NONE;
        private long memoryBudget;
        private double maxRequestSeconds;
        private double flopsPerSecond;
        private CostEstimate.Size maxSize;
        private int maxSteps;

        private Builder() {}

        /** Uses {@code model} (GGUF file or model folder) for {@code task}; the last call for a task wins. */
        public Builder model(Task task, Path model) {
            return model(task, model, null);
        }

        /**
         * Uses {@code model} for {@code task} with {@code companion} (or null) holding what the
         * checkpoint lacks: for LTX-Video, a single file or ComfyUI GGUF transformer with a
         * diffusers LTX-Video folder or mmgp LTX-Video GGUF as the T5 text encoder source.
         */
        public Builder model(Task task, Path model, Path companion) {
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(model, "model");
            if (!Files.exists(model)) throw new IllegalArgumentException("model path does not exist: " + model);
            if (companion != null && !Files.exists(companion)) throw new IllegalArgumentException("companion source does not exist: " + companion);
            models.put(task, model);
            if (companion == null) companions.remove(task);
            else companions.put(task, companion);
            return this;
        }

        /**
         * A/B routing: adds a named variant of {@code task}'s model. Each request of the task goes
         * to one variant, drawn at random in proportion to {@code weight} (90 and 10 send about
         * nine requests in ten to the first); its {@link Job#variant()} names it. Variants replace
         * {@link #model(Task, Path)} for their task. Each variant is its own model (loaded once,
         * as any model) with its own queue; they share the engine's compute permits.
         */
        public Builder variant(Task task, String name, Path model, double weight) {
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(model, "model");
            if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("a variant name is 1 to 64 letters, digits, '.', '_' or '-', got " + name);
            }
            if (!(weight > 0) || Double.isInfinite(weight)) throw new IllegalArgumentException("variant " + name + ": weight must be positive, got " + weight);
            if (!Files.exists(model)) throw new IllegalArgumentException("model path does not exist: " + model);
            Map<String, Map.Entry<Path, Double>> ofTask = variants.computeIfAbsent(task, t -> new java.util.LinkedHashMap<>());
            if (ofTask.containsKey(name)) throw new IllegalArgumentException("variant " + name + " is given twice for the " + task.label() + " task");
            ofTask.put(name, Map.entry(model, weight));
            return this;
        }

        /** Seeds the draws of {@link #variant} routing, so a test (or a replay) gets the same split (default: the clock). */
        public Builder variantSeed(long seed) {
            this.variantSeed = seed;
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

        /**
         * The kernel routes of the models this engine opens (default {@link Numerics#FAST}): FAST takes the
         * fastest measured route per op within the error bounds the README states against the fp32 goldens,
         * EXACT computes in fp32 wherever the reference does (the golden tests' route; slower). The CLI's
         * {@code --numerics exact|fast} sets it.
         */
        public Builder numerics(Numerics numerics) {
            this.numerics = Objects.requireNonNull(numerics, "numerics");
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

        /**
         * Most memory one batch may need beyond the mapped weights (its models'
         * {@link mmgp.engine.spi.BatchModel#estimate}): a request whose run alone needs more is
         * refused with {@link OverBudgetException} before it is queued, and batches are gathered
         * only as large as the budget holds. 0 (the default) means no budget;
         * {@link MemoryBudget#derive} gives the servers' default.
         */
        public Builder memoryBudget(long bytes) {
            if (bytes < 0) throw new IllegalArgumentException("memory budget must be 0 (none) or positive, got " + bytes);
            this.memoryBudget = bytes;
            return this;
        }

        /**
         * Most estimated compute seconds one request may take (its FLOPs at {@link #computeRate}); a
         * request above is refused with {@link OverBudgetException}. 0 (the default) means no limit.
         */
        public Builder maxRequestSeconds(double seconds) {
            if (!(seconds >= 0) || Double.isInfinite(seconds)) throw new IllegalArgumentException("max request seconds must be 0 (none) or positive, got " + seconds);
            this.maxRequestSeconds = seconds;
            return this;
        }

        /** FLOP/s that turn estimated FLOPs into seconds; default 40 GFLOP/s per compute thread (calibrated on the bench machine). */
        public Builder computeRate(double flopsPerSecond) {
            if (!(flopsPerSecond > 0) || Double.isInfinite(flopsPerSecond)) throw new IllegalArgumentException("compute rate must be positive, got " + flopsPerSecond);
            this.flopsPerSecond = flopsPerSecond;
            return this;
        }

        /**
         * The largest image or video a request may ask for; a side of 0 means the model's native
         * one (a 256² aMUSEd then refuses 512²). Without this call any size the model accepts goes.
         */
        public Builder maxSize(int width, int height) {
            if (width < 0 || height < 0) throw new IllegalArgumentException("max size sides must be 0 (native) or positive, got " + width + "×" + height);
            this.maxSize = new CostEstimate.Size(width, height);
            return this;
        }

        /**
         * Most denoising steps a request may run, the model's own default included: a request that
         * leaves its steps to a model whose default is higher is refused ({@link mmgp.api.InvalidRequestException}
         * naming {@code steps}). 0 (the default) means no limit.
         */
        public Builder maxSteps(int steps) {
            if (steps < 0) throw new IllegalArgumentException("max steps must be 0 (none) or positive, got " + steps);
            this.maxSteps = steps;
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
            AdmissionLimits admission = new AdmissionLimits(memoryBudget, maxRequestSeconds,
                    flopsPerSecond > 0 ? flopsPerSecond : AdmissionLimits.FLOPS_PER_THREAD * resolvedThreads, maxSize, maxSteps);
            EngineSettings settings = new EngineSettings(resolvedThreads, maxBatch, maxWait, queueCapacity, concurrentBatches, closeTimeout, admission);
            Map<Task, List<TaskVariants.Spec>> slots = new EnumMap<>(Task.class);
            if (!models.isEmpty() || !variants.isEmpty()) {
                List<ModelProvider> available = ProviderSelection.available(providers);
                models.forEach((task, path) -> slots.put(task, List.of(new TaskVariants.Spec(null, 1,
                        new ModelSlot(task, path, companions.get(task), ProviderSelection.choose(task, path, available), resolvedThreads, numerics, memoryBudget, guarded)))));
                variants.forEach((task, named) -> slots.put(task, named.entrySet().stream().map(v -> new TaskVariants.Spec(v.getKey(),
                        v.getValue().getValue(), new ModelSlot(task, v.getValue().getKey(), null,
                        ProviderSelection.choose(task, v.getValue().getKey(), available), resolvedThreads, numerics, memoryBudget, guarded))).toList()));
            }
            return new Engine(settings, slots, variantSeed, guarded);
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
        return variantsOf(Task.UNDERSTAND).submit(request, listener);
    }

    /** Queues an image; refusals as for {@link #understand}. {@code listener} may be null. */
    public Job<ImageResult> generateImage(ImageRequest request, ProgressListener listener) {
        return variantsOf(Task.IMAGE).submit(request, listener);
    }

    /** Queues a video; refusals as for {@link #understand}. {@code listener} may be null. */
    public Job<VideoResult> generateVideo(VideoRequest request, ProgressListener listener) {
        return variantsOf(Task.VIDEO).submit(request, listener);
    }

    /**
     * caption → image → video; per-stage events ("caption.*", "image.*", "video.*", then
     * {@code stage("caption"|"image"|"video", seconds)} as each stage ends), partial results on
     * failure. The future completes normally once the caption exists, with {@code failedStage}
     * set when a later stage failed or was cancelled; it fails only when the caption does.
     * Options are checked now against the models that are loaded, a stage with A/B variants
     * refusing only what none of them accepts (image and video with a
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
        UnderstandRequest caption = new UnderstandRequest(Media.video(video), options.captionPrompt(), options.caption());
        String standIn = "a stand-in prompt to check the options";
        inStage("caption", () -> variantsOf(Task.UNDERSTAND).check(caption));
        inStage("image", () -> variantsOf(Task.IMAGE).check(new ImageRequest(standIn, options.image())));
        inStage("video", () -> variantsOf(Task.VIDEO).check(new VideoRequest(standIn, options.video())));
        PipelineRun run = new PipelineRun(this, video, options, listener);
        run.start();
        return run;
    }

    /**
     * Runs a stage's check, naming a refused field as the pipeline's options do ("video.width", not
     * "width"); the caption's prompt is "caption_prompt" and its media the pipeline's "video".
     * Public for a cluster front end, which checks what it can of a pipeline without models.
     */
    public static void inStage(String stage, Runnable check) {
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
        return tasks.containsKey(task);
    }

    /** The names of the task's A/B variants in configuration order; empty when it has one model (or none). */
    public List<String> variants(Task task) {
        TaskVariants v = tasks.get(task);
        return v == null ? List.of() : v.names();
    }

    /**
     * Loads the task's model (every variant's) now (readiness probes, warm-up) instead of on the first request.
     *
     * @throws ModelLoadException when loading fails (the next call or request tries again)
     */
    public void load(Task task) {
        ensureOpen();
        lanes(task).forEach(TaskLane::load);
    }

    public boolean isLoaded(Task task) {
        TaskVariants v = tasks.get(task);
        return v != null && v.isLoaded();
    }

    /** Requests waiting in the task's queue (not counting those taken into the next or the running batch); 0 without a model. */
    public int queueDepth(Task task) {
        TaskVariants v = tasks.get(task);
        return v == null ? 0 : v.queueDepth();
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
            lanes.forEach(TaskLane::shutdown);
            permits.wakeAll();
            try {
                List<TaskLane<?, ?>> busy = awaitStop(lanes);
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
    private <Q, R> List<TaskLane<Q, R>> lanes(Task task) {
        return variantsOf(task).lanes().stream().map(l -> (TaskLane<Q, R>) l).toList();
    }

    TaskVariants variantsOf(Task task) {
        ensureOpen();
        TaskVariants v = tasks.get(Objects.requireNonNull(task, "task"));
        if (v == null) throw new IllegalStateException("no " + task.label() + " model is configured");
        return v;
    }
}
