package mmgp.engine;

import java.nio.file.Path;
import java.time.Duration;
import mmgp.api.*;
import mmgp.engine.spi.ModelProvider;

/**
 * SKELETON (being implemented this session): the public API the server and CLI code against.
 * Owns the loaded models (lazy, one copy each, closed by {@link #close}), one bounded request
 * queue per task, and a dispatcher per task that batches compatible requests.
 */
public final class Engine implements AutoCloseable {
    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        /** Uses {@code model} (GGUF file or model folder) for {@code task}. */
        public Builder model(Task task, Path model) { throw new UnsupportedOperationException(); }
        /** Adds a provider (tests use fakes); the ServiceLoader's providers are always searched too. */
        public Builder provider(ModelProvider provider) { throw new UnsupportedOperationException(); }
        public Builder threads(int threads) { throw new UnsupportedOperationException(); }
        public Builder maxBatch(int maxBatch) { throw new UnsupportedOperationException(); }
        public Builder maxWait(Duration maxWait) { throw new UnsupportedOperationException(); }
        public Builder queueCapacity(int capacity) { throw new UnsupportedOperationException(); }
        public Builder listener(EngineListener listener) { throw new UnsupportedOperationException(); }
        public Engine build() { throw new UnsupportedOperationException(); }
    }

    /** @throws InvalidRequestException before queuing; @throws QueueFullException when the queue is at its bound */
    public Job<UnderstandResult> understand(UnderstandRequest request, ProgressListener listener) { throw new UnsupportedOperationException(); }
    public Job<ImageResult> generateImage(ImageRequest request, ProgressListener listener) { throw new UnsupportedOperationException(); }
    public Job<VideoResult> generateVideo(VideoRequest request, ProgressListener listener) { throw new UnsupportedOperationException(); }
    /** caption → image → video; per-stage events ("caption.*", "image.*", "video.*"), partial results on failure. */
    public Job<PipelineResult> pipeline(Path video, PipelineOptions options, ProgressListener listener) { throw new UnsupportedOperationException(); }
    /** True when a model is configured for the task (loaded or loadable). */
    public boolean hasModel(Task task) { throw new UnsupportedOperationException(); }
    /** Loads the task's model now (readiness probes, warm-up) instead of on the first request. */
    public void load(Task task) { throw new UnsupportedOperationException(); }
    public boolean isLoaded(Task task) { throw new UnsupportedOperationException(); }
    public int queueDepth(Task task) { throw new UnsupportedOperationException(); }
    /** Stops accepting, cancels queued jobs, waits for running batches, closes the models. */
    @Override public void close() { throw new UnsupportedOperationException(); }
}
