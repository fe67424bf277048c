package mmgp.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.Task;

/** One fake model per task, their providers and model files, and an engine builder wired to them. */
final class FakeModels {
    final FakeUnderstandModel understand = new FakeUnderstandModel();
    final FakeImageModel image = new FakeImageModel();
    final FakeVideoModel video = new FakeVideoModel();
    final FakeProvider understandProvider = new FakeProvider(Task.UNDERSTAND, "fakevlm", understand);
    final FakeProvider imageProvider = new FakeProvider(Task.IMAGE, "fakeimage", image);
    final FakeProvider videoProvider = new FakeProvider(Task.VIDEO, "fakevideo", video);
    final RecordingEngineListener listener = new RecordingEngineListener();
    private final Path dir;

    FakeModels(Path dir) {
        this.dir = dir;
    }

    /** All three tasks, a short maxWait, engine-wide batches of 4. */
    Engine.Builder builder() {
        return Engine.builder()
                .provider(understandProvider).provider(imageProvider).provider(videoProvider)
                .model(Task.UNDERSTAND, file("fakevlm-tiny.gguf"))
                .model(Task.IMAGE, file("fakeimage-tiny.gguf"))
                .model(Task.VIDEO, file("fakevideo-tiny.gguf"))
                .maxWait(Duration.ofMillis(20))
                .closeTimeout(Duration.ofSeconds(10))
                .listener(listener);
    }

    Path file(String name) {
        try {
            Path path = dir.resolve(name);
            if (!Files.exists(path)) Files.writeString(path, "fake");
            return path;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ImageRequest drawing(String prompt, long seed) {
        return new ImageRequest(prompt, ImageOptions.defaults().withSteps(3).withSize(16, 16).withSeed(seed));
    }

    /** The exception the future completed with, as the engine made it (get() would wrap a CancellationException). */
    static Throwable failure(CompletableFuture<?> future) throws ExecutionException, InterruptedException, TimeoutException {
        Throwable error = future.handle((result, e) -> e).get(10, TimeUnit.SECONDS);
        if (error == null) throw new AssertionError("the future completed normally");
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    static <T> T await(Future<T> future) throws ExecutionException, InterruptedException, TimeoutException {
        return future.get(10, TimeUnit.SECONDS);
    }
}
