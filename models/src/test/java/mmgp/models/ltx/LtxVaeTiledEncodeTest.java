package mmgp.models.ltx;

import static mmgp.testing.TestArrays.maxAbsDiff;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.api.ProgressListener;
import mmgp.api.VideoOptions;
import mmgp.convert.HfCheckpoint;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiled VAE encode on the ltx_video_095 fixture's encoder (0.9.5 space-to-depth blocks,
 * tiny random weights): against the transcription of diffusers' tiled encode
 * ({@link DiffusersTiledEncode}) fed with this encoder's per-tile outputs; against the whole
 * encode (far on random weights, near on spatially local weights, where tiles on the latent
 * grid see everything they need); the planned compute buffer following the tile; budgets; and
 * image to video encoding its image in tiles, and its cost estimate counting that encode.
 */
class LtxVaeTiledEncodeTest extends Vae095Fixture {
    private static LtxVaeEncoder encoder;

    @BeforeAll
    static void open() {
        encoder = new LtxVaeEncoder(config, weights, "vae.");
    }

    private static float[] video(long seed, int frames, int h, int w) {
        return uniform(new SplittableRandom(seed), 3 * frames * h * w, -1, 1);
    }

    /** The encoder's raw output (moments, latent_channels + 1) for one box of the video, one graph of its own. */
    private static DiffusersTiledEncode.T moments(LtxVaeEncoder enc, float[] video, int frames, int height, int width,
                                                  int f0, int nf, int y0, int h, int x0, int w) {
        float[] box = TiledVae.slice(video, 3, frames, height, width, f0, nf, y0, h, x0, w);
        int[] latent = enc.latentShape(nf, h, w);
        try (Graph g = enc.newGraph(backend, nf)) {
            Tensor in = g.inputF32("video", w, h, nf, 3);
            Tensor out = g.output(enc.build(g, in, 1));
            g.set(in, box);
            g.compute();
            return new DiffusersTiledEncode.T(g.floats(out), enc.config().latentChannels() + 1, latent[0], latent[1], latent[2]);
        }
    }

    @Test
    void tiledEncodeIsDiffusersTiledEncodeOfThisEncodersTiles() {
        int f = 25, h = 64, w = 96;
        float[] x = video(1, f, h, w);
        VaeTiling tiling = VaeTiling.diffusers(64, 32, 16, 8); // 3 temporal × 2 × 3 spatial tiles, blends of one latent
        List<String> steps = new ArrayList<>();
        LtxVaeEncoder.LatentDistribution tiled = encoder.encodeVideo(backend, x, 1, f, h, w, tiling,
                ProgressListener.onStep((stage, done, total, s) -> steps.add(stage + " " + done + "/" + total)));
        assertThat(steps).hasSize(18).endsWith("encode_video 18/18");
        DiffusersTiledEncode.T reference = new DiffusersTiledEncode(tiling, 32, 8,
                (f0, nf, y0, th, x0, tw) -> moments(encoder, x, f, h, w, f0, nf, y0, th, x0, tw)).encode(f, h, w);
        LtxVaeEncoder.LatentDistribution expected = encoder.distribution(reference.d(), 1, reference.f(), reference.h(), reference.w());
        double meanErr = maxAbsDiff(tiled.mean(), expected.mean()), logvarErr = maxAbsDiff(tiled.logvar(), expected.logvar());
        LtxVaeEncoder.LatentDistribution whole = encoder.encodeVideo(backend, x, 1, f, h, w);
        double apart = maxAbsDiff(tiled.mean(), whole.mean());
        System.out.printf("tiled encode 25×64×96: vs diffusers' algorithm on the same tiles mean %.2e logvar %.2e; vs the whole encode mean %.3f%n",
                meanErr, logvarErr, apart);
        assertThat(meanErr).isLessThanOrEqualTo(1e-6);
        assertThat(logvarErr).isLessThanOrEqualTo(1e-6);
        // Random weights see far past a tile: its latents are not the whole encode's.
        assertThat(apart).isGreaterThan(1e-2);
    }

    @Test
    void onSpatiallyLocalWeightsTilesOnTheLatentGridGiveTheWholeEncode() throws Exception {
        try (Arena arena = Arena.ofConfined();
             WeightSet local = LtxVaeTestSupport.spatiallyLocalWeights(backend, arena, ckpt.component("vae"))) {
            LtxVaeEncoder enc = new LtxVaeEncoder(encoder.config(), local, "vae.");
            int f = 9, h = 96, w = 160;
            float[] x = video(2, f, h, w);
            LtxVaeEncoder.LatentDistribution whole = enc.encodeVideo(backend, x, 1, f, h, w);
            // 128-px tiles every 64: blends over two latents, so both weights of the blend are used.
            LtxVaeEncoder.LatentDistribution tiled = enc.encodeVideo(backend, x, 1, f, h, w, VaeTiling.spatialOnly(128, 128, 64, 64), ProgressListener.NONE);
            double d = Math.max(maxAbsDiff(tiled.mean(), whole.mean()), maxAbsDiff(tiled.logvar(), whole.logvar()));
            System.out.printf("spatially local weights, 9×96×160 in 128-px tiles every 64: tiled − whole max %.2e%n", d);
            assertThat(d).isLessThanOrEqualTo(1e-5);
        }
    }

    /** The plain encode: one graph of the whole video, built here, its moments split as diffusers does. */
    private static LtxVaeEncoder.LatentDistribution oneGraph(LtxVaeEncoder enc, float[] video, int frames, int height, int width) {
        DiffusersTiledEncode.T m = moments(enc, video, frames, height, width, 0, frames, 0, height, 0, width);
        return enc.distribution(m.d(), 1, m.f(), m.h(), m.w());
    }

    @Test
    void untiledSettingsGiveThePlainEncodeBitForBit() {
        float[] x = video(3, 9, 64, 64);
        LtxVaeEncoder.LatentDistribution plain = oneGraph(encoder, x, 9, 64, 64);
        for (VaeTiling t : List.of(VaeTiling.OFF, VaeTiling.diffusers(64, 32, 16, 8), VaeTiling.spatialOnly(64, 64, 32, 32))) {
            LtxVaeEncoder.LatentDistribution d = encoder.encodeVideo(backend, x, 1, 9, 64, 64, t, ProgressListener.NONE);
            assertThat(d.mean()).as("%s", t).isEqualTo(plain.mean());
            assertThat(d.logvar()).as("%s", t).isEqualTo(plain.logvar());
        }
        assertThat(encoder.encodeVideo(backend, x, 1, 9, 64, 64).mean()).isEqualTo(plain.mean());
        // a tiling that splits gives other latents: the comparisons above can tell them apart
        assertThat(maxAbsDiff(encoder.encodeVideo(backend, x, 1, 9, 64, 64, VaeTiling.spatialOnly(32, 32, 32, 32), ProgressListener.NONE).mean(), plain.mean()))
                .isGreaterThan(1e-3);
    }

    /**
     * Videos off the latent grid are encoded whole, as before tiling, when nothing splits them,
     * and a budget the whole encode fits does not split them. The 0.9.0 fixture's encoder (strided
     * convolutions) takes 10 frames; the 0.9.5 one's space-to-depth stages take 1 + 8k only.
     */
    @Test
    void videosOffTheLatentGridAreEncodedWholeWhenNotSplit() throws Exception {
        Path fixture090 = Path.of("src/test/resources/fixtures/ltx_video/checkpoint");
        try (HfCheckpoint c = HfCheckpoint.open(fixture090); WeightSet ws = WeightSet.fromCheckpoint(backend, c, false)) {
            LtxVaeEncoder enc = new LtxVaeEncoder(LtxVaeConfig.fromJson(c.component("vae").config()), ws, "vae.");
            int f = 10, h = 64, w = 64; // 10 frames: not 1 + 8k
            float[] x = video(6, f, h, w);
            LtxVaeEncoder.LatentDistribution plain = oneGraph(enc, x, f, h, w);
            assertThat(enc.encodeVideo(backend, x, 1, f, h, w).mean()).isEqualTo(plain.mean());
            assertThat(enc.encodeVideo(backend, x, 1, f, h, w, VaeTiling.OFF, ProgressListener.NONE).logvar()).isEqualTo(plain.logvar());
            // spatial tiles over all ten frames: the frames are not split
            int[] latent = enc.latentShape(f, h, w);
            LtxVaeEncoder.LatentDistribution spatial = enc.encodeVideo(backend, x, 1, f, h, w, VaeTiling.spatialOnly(32, 32, 32, 32), ProgressListener.NONE);
            assertThat(new int[] {spatial.frames(), spatial.height(), spatial.width()}).containsExactly(latent);
            long whole = enc.plannedComputeBytes(backend, 1, f, h, w);
            assertThat(enc.tilingForBudget(backend, whole, 1, f, h, w)).isEqualTo(VaeTiling.OFF);
            assertThat(enc.encodeWithinBudget(backend, x, 1, f, h, w, whole, ProgressListener.NONE).mean()).isEqualTo(plain.mean());
            // only a split refuses it, naming the grid
            assertThatThrownBy(() -> enc.tilingForBudget(backend, whole - 1, 1, f, h, w)).hasMessageContaining("a 10×64×64 video is off the latent grid");
            assertThatThrownBy(() -> enc.encodeVideo(backend, x, 1, f, h, w, VaeTiling.diffusers(512, 448, 8, 8), ProgressListener.NONE))
                    .hasMessageContaining("a 10×64×64 video is off the latent grid: encoding it in temporal tiles needs 1 + 8·k frames");
        }
    }

    @Test
    void thePlannedBufferFollowsTheTileAndABudgetSizesTheTiles() {
        int f = 1, h = 128, w = 192;
        long whole = encoder.plannedComputeBytes(backend, 1, f, h, w);
        try (Graph g = encoder.newGraph(backend, f)) {
            Tensor in = g.inputF32("video", w, h, f, 3);
            g.output(encoder.build(g, in, 1));
            assertThat(g.plannedBufferBytes()).isEqualTo(whole);
            g.set(in, video(4, f, h, w));
            g.compute();
            assertThat(g.computeBufferBytes()).isEqualTo(whole);
        }
        assertThat(encoder.plannedComputeBytes(backend, 1, f, 64, 64)).isLessThan(whole / 3);
        assertThat(encoder.tilingForBudget(backend, whole, 1, f, h, w)).isEqualTo(VaeTiling.OFF);
        VaeTiling t = encoder.tilingForBudget(backend, whole / 3, 1, f, h, w);
        VaeTilePlan plan = VaeTilePlan.forEncode(t, encoder.config(), f, h, w);
        assertThat(plan.tileCount()).isGreaterThan(1);
        assertThat(encoder.plannedComputeBytes(backend, 1, plan.frames.size(0), plan.rows.size(0), plan.cols.size(0))).isLessThanOrEqualTo(whole / 3);
        float[] x = video(5, f, h, w);
        List<String> steps = new ArrayList<>();
        LtxVaeEncoder.LatentDistribution budgeted = encoder.encodeWithinBudget(backend, x, 1, f, h, w, whole / 3,
                ProgressListener.onStep((stage, done, total, s) -> steps.add(stage + " " + done + "/" + total)));
        assertThat(budgeted.mean()).isEqualTo(encoder.encodeVideo(backend, x, 1, f, h, w, t, ProgressListener.NONE).mean());
        assertThat(steps).hasSize(plan.tileCount()).allMatch(s -> s.startsWith("encode_image "));
        assertThat(encoder.encodeWithinBudget(backend, x, 1, f, h, w, 0, ProgressListener.NONE).mean()).isEqualTo(encoder.encodeVideo(backend, x, 1, f, h, w).mean());
        // A one-latent (32-px) tile's convolutions take another route than larger tiles': it need not be the cheapest.
        long[] square = new long[5];
        for (int s = 1; s <= 4; s++) square[s] = encoder.plannedComputeBytes(backend, 1, 1, 32 * s, 32 * s);
        long cheapest = java.util.stream.LongStream.of(square).skip(1).min().orElseThrow();
        assertThatThrownBy(() -> encoder.encodeWithinBudget(backend, x, 1, f, h, w, cheapest - 1, ProgressListener.NONE))
                .isInstanceOf(VaeBudgetTooSmallException.class).hasMessageContaining("below the compute buffer of the smallest tile (encoding 1×1×1 latents)");
        for (int s = 1; s <= 4; s++) {
            if (square[s] > cheapest) continue;
            // just enough for the cheapest square tile: the budget sizes tiles of it, whatever the sides around it cost
            VaeTiling fits = encoder.tilingForBudget(backend, cheapest, 1, f, h, w);
            VaeTilePlan p = VaeTilePlan.forEncode(fits, encoder.config(), f, h, w);
            assertThat(encoder.plannedComputeBytes(backend, 1, f, p.rows.size(0), p.cols.size(0))).isLessThanOrEqualTo(cheapest);
            assertThat(p.rows.size(0)).as("sides 1–4 cost %s", java.util.Arrays.toString(square)).isGreaterThanOrEqualTo(32 * s);
        }
        assertThatThrownBy(() -> encoder.encodeVideo(backend, x, 1, f, h, w, VaeTiling.spatialOnly(48, 48, 48, 48), ProgressListener.NONE))
                .hasMessageContaining("minHeight 48 is not a multiple of the spatial compression ratio 32");
    }

    @Test
    void imageToVideoEncodesItsImageInTheForcedTiles() throws Exception {
        VideoOptions o = LtxTestOptions.of(9, 64, 64, 1, 1f, 16, 3);
        LtxConditionImage image = LtxImageToVideoTest.gradient(64, 64);
        try (LtxModel m = LtxModel.open(FIXTURE.resolve("checkpoint"), backend)) {
            List<String> steps = new ArrayList<>();
            ProgressListener listener = ProgressListener.onStep((stage, done, total, s) -> steps.add(stage + " " + done + "/" + total));
            var tiled = LtxPipeline.generate(m, backend, List.of("a red car"), List.of(image), o.toBuilder().tileLatents(1).build(), listener);
            assertThat(steps).containsSubsequence("encode_image 1/4", "encode_image 4/4", "decode 4/4");
            steps.clear();
            var whole = LtxPipeline.generate(m, backend, List.of("a red car"), List.of(image), o, listener);
            assertThat(steps).contains("encode_image 1/1");
            assertThat(maxAbsDiff(tiled.pixels(), whole.pixels())).isGreaterThan(0);
            // The denoised latents do not see the decode: they differ only through the image's tiled encode.
            assertThat(maxAbsDiff(tiled.latents(), whole.latents())).isGreaterThan(1e-4);
            // The cost estimate counts the image's encode as a stage: whole, or the forced tiles' one graph (all 32×32).
            LtxVaeEncoder enc = m.vaeEncoder();
            assertThat(LtxCost.of(m, backend, 1, 9, 64, 64, 16, false, true, 0, 0).imageEncodeBytes()).isEqualTo(enc.plannedComputeBytes(backend, 1, 1, 64, 64));
            assertThat(LtxCost.of(m, backend, 1, 9, 64, 64, 16, false, true, 1, 0).imageEncodeBytes()).isEqualTo(enc.plannedComputeBytes(backend, 1, 1, 32, 32));
            assertThat(LtxCost.of(m, backend, 1, 9, 64, 64, 16, false, false, 0, 0).imageEncodeBytes()).isZero();
            // A forced tiled decode of 2×3 latents in 2-latent tiles: 2×2 tiles and a 2×1 edge tile, both graphs cached.
            LtxVaeDecoder dec = m.vae();
            long big = dec.plannedComputeBytes(backend, 1, 2, 2, 2), edge = dec.plannedComputeBytes(backend, 1, 2, 2, 1);
            assertThat(edge).as("the edge tile's graph fits beside the first's").isLessThanOrEqualTo(big);
            LtxCost decode = LtxCost.of(m, backend, 1, 9, 96, 64, 16, false, false, 2, 0);
            assertThat(decode.decodeTiled()).isTrue();
            assertThat(decode.decodeBytes()).isEqualTo(big + edge);
        }
    }
}
