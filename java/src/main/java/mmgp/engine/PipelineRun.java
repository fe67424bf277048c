package mmgp.engine;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.Media;
import mmgp.api.PipelineOptions;
import mmgp.api.PipelineResult;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.api.Task;
import mmgp.api.UnderstandRequest;
import mmgp.api.UnderstandResult;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;

/**
 * caption → image → video for one video file, each stage an ordinary request through the
 * engine's queues (so it batches with other traffic), run by a virtual thread that waits for
 * each stage in turn.
 *
 * <p>Completion rule: once the caption has finished, the future always completes normally; a
 * later stage that fails or is cancelled leaves its name in {@code failedStage}, the reason
 * ("cancelled" or the error's message) in {@code error}, and the earlier results in place. Only
 * when the caption itself fails does the future fail (with the caption's error, or a
 * CancellationException when the pipeline was cancelled).
 */
final class PipelineRun implements Job<PipelineResult> {
    private static final long MAX_BACKOFF_MS = 1000;
    private final String id = UUID.randomUUID().toString();
    private final Engine engine;
    private final Path video;
    private final PipelineOptions options;
    private final ProgressListener caller;
    private final JobFuture<PipelineResult> future = new JobFuture<>();
    private final CountDownLatch cancelSignal = new CountDownLatch(1);
    private final StageTimings timings = new StageTimings();
    private volatile boolean cancelFlag;
    private volatile Task currentTask = Task.UNDERSTAND;
    private volatile Job<?> currentStage;

    PipelineRun(Engine engine, Path video, PipelineOptions options, ProgressListener caller) {
        this.engine = engine;
        this.video = video;
        this.options = options;
        this.caller = caller == null ? ProgressListener.NONE : caller;
        future.attach(this);
    }

    void start() {
        Thread.ofVirtual().name("mmgp-pipeline-" + id).start(this::run);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Task task() {
        return currentTask;
    }

    @Override
    public CompletableFuture<PipelineResult> result() {
        return future;
    }

    /** Stops the running stage and skips the rest; the future then completes as the class comment says. */
    @Override
    public boolean cancel() {
        if (future.isDone()) return false;
        cancelFlag = true;
        cancelSignal.countDown();
        Job<?> stage = currentStage;
        if (stage != null) stage.cancel();
        return true;
    }

    @Override
    public boolean isCancelled() {
        return cancelFlag;
    }

    private void run() {
        try {
            future.complete(runStages());
        } catch (StageFailed failed) {
            future.completeExceptionally(failed.cancelled
                    ? new CancellationException("pipeline " + id + " cancelled during the caption")
                    : failed.getCause());
        } catch (Throwable t) {
            future.completeExceptionally(t);
        }
    }

    private PipelineResult runStages() throws StageFailed {
        UnderstandRequest captionRequest = new UnderstandRequest(Media.video(video), options.captionPrompt(), options.caption());
        UnderstandResult caption = stage("caption", Task.UNDERSTAND, l -> engine.understand(captionRequest, l));
        String prompt = caption.text() == null ? "" : caption.text().strip();
        if (prompt.isEmpty()) return partial(caption, null, "image", "the caption is empty, so there is no prompt to draw or film");
        ImageResult image;
        try {
            image = stage("image", Task.IMAGE, l -> engine.generateImage(new ImageRequest(prompt, options.image()), l));
        } catch (StageFailed failed) {
            return partial(caption, null, "image", failed.reason());
        }
        VideoResult film;
        Path start = null;
        try {
            if (options.videoFromImage()) start = startImage(image);
            VideoRequest request = new VideoRequest(prompt, options.video()).withStartImage(start);
            try {
                film = stage("video", Task.VIDEO, l -> engine.generateVideo(request, l));
            } catch (StageFailed refused) {
                // A video model that cannot start from an image (e.g. an LTX export without the VAE
                // encoder) refuses the image field: film the caption from noise, as before this option.
                if (start == null || refused.cancelled || !(refused.getCause() instanceof mmgp.api.InvalidRequestException bad) || !"image".equals(bad.field())) {
                    throw refused;
                }
                System.getLogger(PipelineRun.class.getName()).log(System.Logger.Level.WARNING,
                        "pipeline " + id + ": the video model cannot start from the image (" + bad.getMessage() + "); filming the caption from noise");
                film = stage("video", Task.VIDEO, l -> engine.generateVideo(new VideoRequest(prompt, options.video()), l));
            }
        } catch (StageFailed failed) {
            return partial(caption, image, "video", failed.reason());
        } finally {
            if (start != null) deleteQuietly(start);
        }
        return new PipelineResult(caption, image, film, timings, null, null);
    }

    /** The image stage's picture as a PNG the video stage reads (and resizes to its size); deleted after the stage. */
    private static Path startImage(ImageResult image) throws StageFailed {
        try {
            Path file = java.nio.file.Files.createTempFile("mmgp-pipeline-start-", ".png");
            image.writePng(file);
            return file;
        } catch (java.io.IOException e) {
            throw new StageFailed(new java.io.IOException("cannot hand the image to the video stage: " + e.getMessage(), e), false);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            java.nio.file.Files.deleteIfExists(file);
        } catch (java.io.IOException ignored) {
            // a temporary file; the OS cleans its temp folder
        }
    }

    private PipelineResult partial(UnderstandResult caption, ImageResult image, String failedStage, String error) {
        return new PipelineResult(caption, image, null, timings, failedStage, error);
    }

    /** Submits one stage, waits for it, records its timings and tells the caller it ended. */
    private <R> R stage(String name, Task task, Function<ProgressListener, Job<R>> submit) throws StageFailed {
        currentTask = task;
        ProgressListener listener = new StageProgress(name, caller, this::cancelRequested);
        long start = System.nanoTime();
        Job<R> job = submitPatiently(() -> submit.apply(listener));
        currentStage = job;
        if (cancelRequested()) job.cancel(); // a cancel that came between submit and the line above
        R result;
        try {
            result = job.result().get();
        } catch (ExecutionException | CompletionException e) {
            throw new StageFailed(e.getCause(), cancelRequested());
        } catch (CancellationException e) {
            throw new StageFailed(e, cancelRequested());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.cancel();
            throw new StageFailed(e, true);
        } finally {
            currentStage = null;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        StageTimings modelTimings = ResultMetrics.timings(result);
        if (modelTimings != null) modelTimings.seconds().forEach((stage, secs) -> timings.add(name + "." + stage, secs));
        timings.add(name, seconds);
        CallerListeners.call(() -> caller.stage(name, seconds));
        return result;
    }

    /** A full queue is a reason to wait, not to fail: retries with growing pauses until it fits or the pipeline is cancelled. */
    private <R> Job<R> submitPatiently(Supplier<Job<R>> submit) throws StageFailed {
        long backoffMs = 10;
        while (true) {
            if (cancelRequested()) throw new StageFailed(new CancellationException("cancelled"), true);
            try {
                return submit.get();
            } catch (QueueFullException full) {
                try {
                    cancelSignal.await(backoffMs, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StageFailed(e, true);
                }
                backoffMs = Math.min(2 * backoffMs, MAX_BACKOFF_MS);
            } catch (RuntimeException refused) {
                throw new StageFailed(refused, false);
            }
        }
    }

    private boolean cancelRequested() {
        return cancelFlag || CallerListeners.cancelled(caller);
    }

    /** Why a stage ended without a result. */
    private static final class StageFailed extends Exception {
        final boolean cancelled;

        StageFailed(Throwable cause, boolean cancelled) {
            super(cause);
            this.cancelled = cancelled;
        }

        String reason() {
            if (cancelled) return "cancelled";
            Throwable cause = getCause();
            String message = cause.getMessage();
            return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
        }
    }
}
