package mmgp.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import mmgp.api.Task;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing the model family for a path, and the builder's refusals. */
class EngineBuilderTest {
    @TempDir
    Path dir;

    @Test
    void aPathThatDoesNotExistIsRefusedAtOnce() {
        Path missing = dir.resolve("nowhere.gguf");
        assertThatThrownBy(() -> Engine.builder().model(Task.IMAGE, missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("model path does not exist: " + missing);
    }

    @Test
    void aPathNoFamilyRecognisesNamesTheKnownFamilies() {
        FakeModels fakes = new FakeModels(dir);
        Path odd = fakes.file("mystery.gguf");
        Engine.Builder builder = Engine.builder().provider(fakes.imageProvider).provider(fakes.videoProvider).model(Task.IMAGE, odd);
        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no model family recognises " + odd + " for task image; known families: fakeimage (image), fakevideo (video)");
    }

    @Test
    void aFamilyOfAnotherTaskDoesNotOpenTheModel() {
        FakeModels fakes = new FakeModels(dir);
        Engine.Builder builder = Engine.builder().provider(fakes.videoProvider).model(Task.IMAGE, fakes.file("fakevideo-x.gguf"));
        assertThatThrownBy(builder::build).hasMessageContaining("for task image");
    }

    @Test
    void theMatchingProviderOpensTheModelOnlyWhenFirstUsed() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            assertThat(engine.hasModel(Task.IMAGE)).isTrue();
            assertThat(engine.isLoaded(Task.IMAGE)).isFalse();
            assertThat(fakes.imageProvider.opens).hasValue(0);
            FakeModels.await(engine.generateImage(FakeModels.drawing("a cat", 1), null).result());
            assertThat(engine.isLoaded(Task.IMAGE)).isTrue();
            assertThat(engine.isLoaded(Task.VIDEO)).isFalse();
            assertThat(fakes.imageProvider.opens).hasValue(1);
            assertThat(fakes.videoProvider.opens).hasValue(0);
        }
    }

    @Test
    void aTaskWithoutAModelIsReportedAndRefused() {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = Engine.builder().provider(fakes.imageProvider).model(Task.IMAGE, fakes.file("fakeimage.gguf")).build()) {
            assertThat(engine.hasModel(Task.VIDEO)).isFalse();
            assertThat(engine.isLoaded(Task.VIDEO)).isFalse();
            assertThat(engine.queueDepth(Task.VIDEO)).isZero();
            assertThatThrownBy(() -> engine.generateVideo(new VideoRequest("a dog", VideoOptions.defaults()), null))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("no video model is configured");
            assertThatThrownBy(() -> engine.pipeline(fakes.file("clip.mp4"), mmgp.api.PipelineOptions.defaults(), null))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("the pipeline needs a model for the understand task; none is configured");
        }
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> Engine.builder().maxBatch(0)).hasMessageContaining("max batch must be at least 1");
        assertThatThrownBy(() -> Engine.builder().queueCapacity(0)).hasMessageContaining("queue capacity must be at least 1");
        assertThatThrownBy(() -> Engine.builder().threads(-1)).hasMessageContaining("threads must be 0");
        assertThatThrownBy(() -> Engine.builder().concurrentBatches(0)).hasMessageContaining("concurrent batches must be at least 1");
        assertThatThrownBy(() -> Engine.builder().maxWait(java.time.Duration.ofMillis(-1))).hasMessageContaining("max wait must not be negative");
    }
}
