package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import mmgp.api.ImageOptions;
import mmgp.api.ProgressListener;
import mmgp.api.VideoOptions;
import mmgp.bindings.NativeLibraries;
import mmgp.graph.ComputeBackend;
import mmgp.models.amused.AmusedModel;
import mmgp.models.amused.AmusedPipeline;
import mmgp.models.ltx.LtxModel;
import mmgp.models.ltx.LtxPipeline;
import mmgp.models.ltx.LtxTestOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Per-prompt seeds: a batch gives each prompt the result it gets alone with its seed. */
class PerRowSeedsTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final List<String> PROMPTS = List.of("a red car", "a blue house by the sea", "a cat");
    static final long[] SEEDS = {7, 1234567, -42};

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void amusedBatchOfThreeGivesTheTokensAndPixelsOfEachImageAlone() throws Exception {
        try (ComputeBackend backend = ComputeBackend.cpu(2); AmusedModel model = AmusedModel.open(FIXTURES.resolve("amused/checkpoint"), backend)) {
            ImageOptions o = ImageOptions.defaults().withSteps(4).withGuidance(5f).withNegativePrompt("blurry");
            AmusedPipeline.Images batch = AmusedPipeline.generateWithSeeds(model, backend, PROMPTS, o, ProgressListener.NONE, SEEDS);
            int tokens = batch.tokens().length / 3, pixels = batch.pixels().length / 3;
            for (int i = 0; i < 3; i++) {
                AmusedPipeline.Images alone = AmusedPipeline.generateWithSeeds(model, backend, List.of(PROMPTS.get(i)), o, ProgressListener.NONE,
                        new long[] {SEEDS[i]});
                assertThat(Arrays.copyOfRange(batch.tokens(), i * tokens, (i + 1) * tokens)).as("tokens of image %d", i).containsExactly(alone.tokens());
                assertThat(Arrays.copyOfRange(batch.pixels(), i * pixels, (i + 1) * pixels)).as("pixels of image %d", i).containsExactly(alone.pixels());
            }
            // A seed alone equals the single-seed path of the existing API (a batch of one).
            AmusedPipeline.Images legacy = AmusedPipeline.generate(model, backend, List.of(PROMPTS.get(0)), o.withSeed(SEEDS[0]), ProgressListener.NONE);
            assertThat(Arrays.copyOfRange(batch.tokens(), 0, tokens)).containsExactly(legacy.tokens());
            // Same prompt, another seed: another image.
            AmusedPipeline.Images other = AmusedPipeline.generateWithSeeds(model, backend, List.of(PROMPTS.get(0)), o, ProgressListener.NONE, new long[] {8});
            assertThat(other.tokens()).isNotEqualTo(Arrays.copyOfRange(batch.tokens(), 0, tokens));
        }
    }

    /** Both LTX fixtures: 0.9.0, and 0.9.5 whose timestep-conditioned VAE mixes seeded noise into the latents before decoding. */
    @ParameterizedTest
    @ValueSource(strings = {"ltx_video", "ltx_video_095"})
    void ltxBatchOfThreeGivesThePixelsOfEachVideoAlone(String fixture) throws Exception {
        try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel model = LtxModel.open(FIXTURES.resolve(fixture).resolve("checkpoint"), backend)) {
            VideoOptions o = LtxTestOptions.of(9, 64, 32, 2, 3f, 32, 0).withNegativePrompt("blurry");
            LtxPipeline.Video batch = LtxPipeline.generateWithSeeds(model, backend, PROMPTS, o, ProgressListener.NONE, SEEDS);
            int pixels = batch.pixels().length / 3;
            for (int i = 0; i < 3; i++) {
                LtxPipeline.Video alone = LtxPipeline.generateWithSeeds(model, backend, List.of(PROMPTS.get(i)), o, ProgressListener.NONE, new long[] {SEEDS[i]});
                float[] row = Arrays.copyOfRange(batch.pixels(), i * pixels, (i + 1) * pixels);
                assertThat(maxAbsDifference(row, alone.pixels())).as("video %d", i).isLessThanOrEqualTo(1e-5);
                assertThat(row).as("video %d bit for bit", i).containsExactly(alone.pixels());
            }
            LtxPipeline.Video legacy = LtxPipeline.generate(model, backend, List.of(PROMPTS.get(1)), o.withSeed(SEEDS[1]), ProgressListener.NONE);
            assertThat(Arrays.copyOfRange(batch.pixels(), pixels, 2 * pixels)).containsExactly(legacy.pixels());
            LtxPipeline.Video other = LtxPipeline.generateWithSeeds(model, backend, List.of(PROMPTS.get(1)), o, ProgressListener.NONE, new long[] {SEEDS[1] + 1});
            assertThat(maxAbsDifference(other.pixels(), legacy.pixels())).isGreaterThan(1e-3);
        }
    }

    /** One stream per batch reads only the first seed: videos with other seeds are refused, not silently given the first one's. */
    @Test
    void ltxOneStreamRefusesVideosWithDifferentSeeds() throws Exception {
        try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel model = LtxModel.open(FIXTURES.resolve("ltx_video/checkpoint"), backend)) {
            VideoOptions o = LtxTestOptions.of(9, 64, 32, 2, 3f, 32, 0);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> LtxPipeline.generate(model, backend, PROMPTS.subList(0, 2), null,
                            List.of(o.withSeed(1), o.withSeed(2)), ProgressListener.NONE, LtxPipeline.Draws.NONE, LtxPipeline.Trace.NONE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("different seeds (1, 2)").hasMessageContaining("generateWithSeeds");
        }
    }

    static double maxAbsDifference(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        return max;
    }

    static boolean inUnitRange(float[] values) {
        for (float v : values) if (!(v >= 0f && v <= 1f)) return false;
        return true;
    }
}
