package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import mmgp.api.InvalidRequestException;
import mmgp.api.ProgressListener;
import mmgp.api.VideoOptions;
import mmgp.bindings.NativeLibraries;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.registry.ModelDefaults;
import mmgp.testing.GoldenCases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LTXImageToVideoPipeline's golden (ltx_video_095 e2e_i2v) and the image-to-video pipeline's own contracts. */
class LtxImageToVideoTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video_095");

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void theImageToVideoGoldenPassesWithEveryStep() throws Exception {
        FixtureCases fixture = FixtureCases.load(FIXTURE);
        FixtureCases.Case c = GoldenCases.named(fixture, "e2e_i2v");
        try (ComputeBackend backend = ComputeBackend.cpu(2)) {
            CaseResult r = FixtureRunner.forModel(fixture.model()).run(fixture, c, backend);
            for (TensorComparison t : r.comparisons()) {
                System.out.printf("e2e_i2v %-36s max abs %.3e  %s %s%n", t.name(), t.maxAbs(), t.passed() ? "ok" : "FAIL", t.detail());
            }
            assertThat(r.error()).isNull();
            assertThat(r.comparisons()).extracting(TensorComparison::name)
                    .contains("video", "steps.transformer_timestep", "steps.latents_in", "steps.noise_pred_guided", "steps.decode_input_z");
            assertThat(r.passed()).as(r.comparisons().toString()).isTrue();
        }
    }

    @Test
    void decodeSettingsArePerPromptAndEachVideoIsTheOneItsSettingsGiveAlone() throws Exception {
        var o = LtxTestOptions.of(9, 64, 64, 2, 1f, 16, 0);
        List<String> prompts = List.of("a red car", "waves on rocks");
        long[] seeds = {4, 9};
        try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel m = LtxModel.open(FIXTURE.resolve("checkpoint"), backend)) {
            assertThat(m.vae().timestepConditioned()).isTrue();
            List<VideoOptions> videos = List.of(o.withSeed(seeds[0]).withDecode(0.05f, 0.025f), o.withSeed(seeds[1]).withDecode(0.4f, 0.3f));
            var both = LtxPipeline.generateWithSeeds(m, backend, prompts, null, videos, ProgressListener.NONE);
            int per = both.pixels().length / 2;
            for (int i = 0; i < 2; i++) {
                var alone = LtxPipeline.generateWithSeeds(m, backend, List.of(prompts.get(i)), null, List.of(videos.get(i)), ProgressListener.NONE);
                assertClose("video " + i + " in the batch vs alone", slice(both.pixels(), i, per), alone.pixels());
            }
            // The second video's settings matter: with the first's it is another video.
            var same = LtxPipeline.generateWithSeeds(m, backend, prompts, o.withDecode(0.05f, 0.025f), ProgressListener.NONE, seeds);
            assertThat(Arrays.equals(slice(same.pixels(), 0, per), slice(both.pixels(), 0, per))).isTrue();
            assertThat(maxAbs(slice(same.pixels(), 1, per), slice(both.pixels(), 1, per))).isGreaterThan(1e-3);
            // Anything else must agree: one transformer graph serves the batch.
            assertThatThrownBy(() -> LtxPipeline.generateWithSeeds(m, backend, prompts, null, List.of(o, o.withFrameRate(12)), ProgressListener.NONE))
                    .hasMessageContaining("may differ only in seed and decode settings");
            assertThatThrownBy(() -> LtxPipeline.generateWithSeeds(m, backend, prompts, null, List.of(o), ProgressListener.NONE))
                    .hasMessageContaining("1 video options for 2 prompts");
        }
    }

    @Test
    void decodeListsBroadcastOrMatchThePrompts() {
        var o = VideoOptions.defaults();
        List<VideoOptions> one = LtxPipeline.perVideo(o, 3, new float[] {0.1f}, null);
        assertThat(one).extracting(VideoOptions::decodeTimestep).containsExactly(0.1f, 0.1f, 0.1f);
        assertThat(one).extracting(v -> LtxDefaults.resolve(v, ModelDefaults.NONE).decodeNoiseScale()).containsExactly(0.1f, 0.1f, 0.1f); // None: the timesteps
        List<VideoOptions> listed = LtxPipeline.perVideo(o, 2, new float[] {0.1f, 0.2f}, new float[] {0.5f});
        assertThat(listed).extracting(VideoOptions::decodeTimestep).containsExactly(0.1f, 0.2f);
        assertThat(listed).extracting(VideoOptions::decodeNoiseScale).containsExactly(0.5f, 0.5f);
        assertThat(LtxPipeline.perVideo(o, 2, new float[] {0.1f, 0.2f}, null)).extracting(v -> LtxDefaults.resolve(v, ModelDefaults.NONE).decodeNoiseScale())
                .containsExactly(0.1f, 0.2f);
        assertThat(LtxPipeline.perVideo(o.withDecode(0.3f, 0.2f), 2, null, null)).extracting(VideoOptions::decodeNoiseScale).containsExactly(0.2f, 0.2f);
        assertThatThrownBy(() -> LtxPipeline.perVideo(o, 3, new float[] {0.1f, 0.2f}, null)).hasMessageContaining("2 decode timesteps for 3 prompts");
        assertThatThrownBy(() -> LtxPipeline.perVideo(o, 1, new float[0], null)).hasMessageContaining("0 decode timesteps for 1 prompts");
        assertThatThrownBy(() -> LtxPipeline.perVideo(o, 1, new float[] {1.5f}, null)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("decode_timestep");
    }

    @Test
    void oneImageServesEveryPromptAndAnImageOfAnotherSizeIsResized() throws Exception {
        var o = LtxTestOptions.of(9, 64, 64, 2, 3f, 16, 3);
        LtxConditionImage square = gradient(64, 64), wide = gradient(96, 40);
        List<String> prompts = List.of("a red car", "waves on rocks");
        try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel m = LtxModel.open(FIXTURE.resolve("checkpoint"), backend)) {
            // One generator: one image is sampled once and shared; a list samples each image in turn (as diffusers).
            var shared = LtxPipeline.generate(m, backend, prompts, List.of(square), o, ProgressListener.NONE);
            var listed = LtxPipeline.generate(m, backend, prompts, List.of(square, square), o, ProgressListener.NONE);
            int per = shared.pixels().length / 2;
            assertThat(Arrays.equals(slice(shared.pixels(), 0, per), slice(listed.pixels(), 0, per))).isTrue();
            // A seed per video: each samples its own image latent, so one image or the same one per prompt is the same.
            long[] seeds = {5, 6};
            var seededShared = LtxPipeline.generateWithSeeds(m, backend, prompts, List.of(square), o, ProgressListener.NONE, seeds);
            var seededListed = LtxPipeline.generateWithSeeds(m, backend, prompts, List.of(square, square), o, ProgressListener.NONE, seeds);
            assertThat(Arrays.equals(seededShared.pixels(), seededListed.pixels())).isTrue();
            assertThat(shared.frames()).isEqualTo(9);
            // The first latent frame is the image's and stays fixed: it differs from text to video's.
            var text = LtxPipeline.generate(m, backend, prompts, o, ProgressListener.NONE);
            assertThat(maxAbs(shared.pixels(), text.pixels())).isGreaterThan(1e-3);
            var resized = LtxPipeline.generate(m, backend, List.of("a red car"), List.of(wide), o, ProgressListener.NONE);
            assertThat(resized.width()).isEqualTo(64);
            assertThat(resized.height()).isEqualTo(64);
            assertThatThrownBy(() -> LtxPipeline.generate(m, backend, List.of("a", "b", "c"), List.of(square, square), o, ProgressListener.NONE))
                    .hasMessageContaining("2 images for 3 prompts");
        }
    }

    @Test
    void imagesAreScaledToMinusOneOneChannelsFirstAndResizedWithPilLanczos() {
        LtxConditionImage img = LtxConditionImage.rgb(2, 1, new byte[] {0, (byte) 255, 51, 102, (byte) 204, 1});
        assertThat(img.pixels(2, 1)).containsExactly(-1f, 2f * (102 / 255f) - 1f, 1f, 2f * (204 / 255f) - 1f, 2f * (51 / 255f) - 1f, 2f * (1 / 255f) - 1f);
        LtxConditionImage flat = LtxConditionImage.rgb(3, 5, filled(3 * 5 * 3, (byte) 77));
        assertThat(flat.pixels(4, 2)).containsOnly(2f * (77 / 255f) - 1f); // normalised Lanczos taps keep a flat image flat
    }

    /**
     * Batched and alone runs may round differently (ggml's matmul kernels depend on the batch
     * width), so they agree to fp32 noise rather than bit for bit. assertj's containsExactly is
     * not used on these arrays: its diff of a mismatch is quadratic in their length.
     */
    private static void assertClose(String what, float[] actual, float[] expected) {
        TensorComparison c = TensorComparison.floats(what, actual, expected, 1e-5, 0);
        System.out.printf("%s: max abs %.3e%n", what, c.maxAbs());
        assertThat(c.passed()).as(what + ": " + c.detail()).isTrue();
    }

    private static double maxAbs(float[] a, float[] b) {
        assertThat(a.length).isEqualTo(b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    private static float[] slice(float[] all, int i, int per) {
        return Arrays.copyOfRange(all, i * per, (i + 1) * per);
    }

    private static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, v);
        return b;
    }

    /** Several start images in forced tiles: the encode's steps count on across the images, not from 1 per image. */
    @Test
    void encodeStepsCountAcrossTheImages() throws Exception {
        assumeTrue(NativeLibraries.available(), "native ggml libraries not built");
        var o = LtxTestOptions.of(9, 64, 64, 1, 1f, 16, 3).toBuilder().tileLatents(1).build();
        try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel m = LtxModel.open(FIXTURE.resolve("checkpoint"), backend)) {
            List<String> steps = new java.util.ArrayList<>();
            ProgressListener listener = ProgressListener.onStep((stage, done, total, s) -> {
                if (stage.equals("encode_image")) steps.add(done + "/" + total);
            });
            LtxPipeline.generate(m, backend, List.of("a red car", "waves on rocks"), List.of(gradient(64, 64), gradient(96, 40)), o, listener);
            assertThat(steps).containsExactly("1/8", "2/8", "3/8", "4/8", "5/8", "6/8", "7/8", "8/8");
        }
    }

    static LtxConditionImage gradient(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                px[(y * w + x) * 3] = (byte) (x * 255 / w);
                px[(y * w + x) * 3 + 1] = (byte) (y * 255 / h);
                px[(y * w + x) * 3 + 2] = (byte) 128;
            }
        return LtxConditionImage.rgb(w, h, px);
    }
}
