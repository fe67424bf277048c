package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.bindings.NativeLibraries;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The aMUSEd provider on the tiny random-weight fixture. */
class AmusedProviderTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/fixtures/amused/checkpoint");
    static final ImageOptions FAST = ImageOptions.defaults().withSteps(3).withGuidance(4f);

    static BatchModel<ImageRequest, ImageResult> model;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void open() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        AmusedProvider provider = new AmusedProvider();
        assertThat(provider.task()).isEqualTo(Task.IMAGE);
        assertThat(provider.family()).isEqualTo("amused");
        assertThat(provider.canOpen(CHECKPOINT)).isTrue();
        model = (BatchModel<ImageRequest, ImageResult>) provider.open(CHECKPOINT, 2, mmgp.graph.Numerics.FAST);
    }

    @AfterAll
    static void close() throws Exception {
        if (model != null) model.close();
    }

    @Test
    void describesTheModelAndItsWeights() {
        assertThat(model.description()).contains("aMUSEd", "checkpoint", "F32 ×");
        assertThat(model.maxBatch()).isEqualTo(4);
    }

    @Test
    void refusesSizesThatAreNotMultiplesOfTheVqScaleFactor() {
        model.validate(new ImageRequest("a cat", FAST)); // 0 × 0: the default size
        model.validate(new ImageRequest("a cat", FAST.withSize(16, 24)));
        assertThatThrownBy(() -> model.validate(new ImageRequest("a cat", FAST.withSize(30, 16))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("width"))
                .hasMessageContaining("multiple of");
        assertThatThrownBy(() -> model.validate(new ImageRequest("a cat", FAST.withSize(16, 17))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("height"));
    }

    @Test
    void batchKeyIgnoresPromptAndSeedAndResolvesTheDefaultSize() throws Exception {
        Object key = model.batchKey(new ImageRequest("a cat", FAST.withSeed(1)));
        assertThat(model.batchKey(new ImageRequest("a dog", FAST.withSeed(2)))).isEqualTo(key);
        int side = model.run(List.of(new BatchItem<>(new ImageRequest("a cat", FAST.withSteps(1)), null)), ProgressListener.NONE).getFirst().width();
        assertThat(model.batchKey(new ImageRequest("a dog", FAST.withSize(side, side)))).isEqualTo(key);
        assertThat(model.batchKey(new ImageRequest("a dog", FAST.withSize(side, 2 * side)))).isNotEqualTo(key);
        assertThat(model.batchKey(new ImageRequest("a cat", FAST.withSteps(4)))).isNotEqualTo(key);
        assertThat(model.batchKey(new ImageRequest("a cat", FAST.withNegativePrompt("blurry")))).isNotEqualTo(key);
        assertThat(model.batchKey(new ImageRequest("a cat", FAST.withGuidance(2f)))).isNotEqualTo(key);
        assertThat(model.batchKey(new ImageRequest("a cat", FAST.toBuilder().temperature(1f).build()))).isNotEqualTo(key);
        assertThat(model.batchKey(new ImageRequest("a cat", FAST.toBuilder().microConditioning(5f, 0, 0).build()))).isNotEqualTo(key);
    }

    /** The temperature schedule and micro-conditioning an embedding application sets reach the run. */
    @Test
    void temperatureAndMicroConditioningChangeTheImage() throws Exception {
        ImageOptions one = FAST.withSeed(6);
        float[] base = runOne(one);
        assertThat(runOne(one)).as("the same options, the same image").containsExactly(base);
        assertThat(runOne(one.toBuilder().microConditioning(2f, 4, 4).build())).isNotEqualTo(base);
        assertThat(runOne(one.toBuilder().temperature(20f, 10f).build())).isNotEqualTo(base);
    }

    private static float[] runOne(ImageOptions o) throws Exception {
        return model.run(List.of(new BatchItem<>(new ImageRequest("a red car", o), null)), ProgressListener.NONE).getFirst().rgb();
    }

    @Test
    void aBatchGivesEachRequestTheImageItsSeedGivesAlone() throws Exception {
        List<ImageRequest> requests = List.of(new ImageRequest("a red car", FAST.withSeed(3)), new ImageRequest("a green tree", FAST.withSeed(4)),
                new ImageRequest("a red car", FAST.withSeed(5)));
        RecordingListener progress = new RecordingListener();
        List<ImageResult> batch = model.run(requests.stream().map(r -> new BatchItem<>(r, null)).toList(), progress);
        assertThat(batch).hasSize(3);
        assertThat(progress.steps).containsExactly("denoise 1/3", "denoise 2/3", "denoise 3/3");
        assertThat(progress.stages).contains("encode", "decode");
        for (int i = 0; i < 3; i++) {
            ImageResult r = batch.get(i);
            assertThat(r.batchSize()).isEqualTo(3);
            assertThat(r.seed()).isEqualTo(requests.get(i).options().seed());
            assertThat(r.rgb()).hasSize(3 * r.width() * r.height());
            assertThat(PerRowSeedsTest.inUnitRange(r.rgb())).as("values in [0, 1]").isTrue();
            assertThat(r.timings().seconds()).containsKeys("tokenize", "encode", "denoise", "decode");
            ImageResult alone = model.run(List.of(new BatchItem<>(requests.get(i), null)), ProgressListener.NONE).getFirst();
            assertThat(alone.batchSize()).isEqualTo(1);
            assertThat(r.rgb()).as("image %d", i).containsExactly(alone.rgb());
        }
        assertThat(batch.get(0).rgb()).as("same prompt, other seed").isNotEqualTo(batch.get(2).rgb());
        assertThat(batch.get(0).timings()).isNotSameAs(batch.get(1).timings());
    }

    @Test
    void anExplicitSizeGivesThatSize() throws Exception {
        ImageResult r = model.run(List.of(new BatchItem<>(new ImageRequest("a cat", FAST.withSize(16, 24)), null)), ProgressListener.NONE).getFirst();
        assertThat(r.width()).isEqualTo(16);
        assertThat(r.height()).isEqualTo(24);
        assertThat(r.rgb()).hasSize(16 * 24 * 3);
    }

    @Test
    void cancellingTheBatchStopsBetweenDenoisingSteps() {
        RecordingListener cancelling = RecordingListener.cancellingAfter("denoise", 1);
        assertThatThrownBy(() -> model.run(List.of(new BatchItem<>(new ImageRequest("a cat", FAST), null)), cancelling))
                .isInstanceOf(CancellationException.class);
        assertThat(cancelling.steps).containsExactly("denoise 1/3");
    }
}
