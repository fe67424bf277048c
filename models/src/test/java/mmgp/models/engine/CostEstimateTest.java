package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.Media;
import mmgp.api.ProgressListener;
import mmgp.api.UnderstandOptions;
import mmgp.api.UnderstandRequest;
import mmgp.api.UnderstandResult;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.bindings.NativeLibraries;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;
import mmgp.graph.GraphStats;
import mmgp.models.QuietLlama;
import mmgp.models.smolvlm.SampleClip;
import mmgp.models.smolvlm.SmolVlmCost;
import mmgp.models.smolvlm.SmolVlmMedia;
import mmgp.models.smolvlm.SmolVlmPrompt;
import mmgp.models.smolvlm.SmolVlmUnderstanding;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each model's cost estimate against what its run measures on the tiny fixtures: the largest
 * compute buffer ggml's allocator allocated for any graph of the run ({@link GraphStats#bufferBytes})
 * and the FLOPs of every graph computed. The estimate's peak may exceed the largest buffer only
 * by what it counts beside it (aMUSEd's guided logits, a tiled VAE's cached tiles); its FLOPs
 * are the same graphs' count.
 */
class CostEstimateTest {
    @Test
    @SuppressWarnings("unchecked")
    void amusedEstimateMatchesTheMeasuredComputeBuffers() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<ImageRequest, ImageResult>) new AmusedProvider().open(AmusedProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            for (int n : new int[] {1, 2}) {
                List<ImageRequest> batch = new ArrayList<>();
                for (int i = 0; i < n; i++) batch.add(new ImageRequest("a cat " + i, AmusedProviderTest.FAST.withSeed(i)));
                CostEstimate estimate = model.estimate(batch);
                Measured m = run(model, batch);
                report("amused batch " + n, estimate, m);
                // beside the transformer's buffer the run holds the guided logits: 4 B × batch × tokens × codebook, small next to it
                assertThat(estimate.peakBytes()).isBetween(m.bufferBytes, m.bufferBytes + m.bufferBytes / 4);
                assertThat(estimate.flops()).isCloseTo(m.flops, org.assertj.core.data.Percentage.withPercentage(1));
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void ltxEstimateMatchesTheMeasuredComputeBuffers() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<VideoRequest, VideoResult>) new LtxProvider().open(LtxProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            for (int n : new int[] {1, 2}) {
                List<VideoRequest> batch = new ArrayList<>();
                for (int i = 0; i < n; i++) batch.add(new VideoRequest("a car " + i, LtxProviderTest.SMALL.withSeed(i)));
                CostEstimate estimate = model.estimate(batch);
                Measured m = run(model, batch);
                report("ltx batch " + n, estimate, m);
                assertThat(estimate.peakBytes()).isEqualTo(m.bufferBytes); // untiled: the largest graph's plan is the peak
                assertThat(estimate.flops()).isCloseTo(m.flops, org.assertj.core.data.Percentage.withPercentage(1));
                assertThat(estimate.steps()).isEqualTo(2);
            }
            // steps left to the model: the estimate names the steps the run will take (this checkpoint has no defaults: the fallback)
            VideoOptions modelSteps = LtxProviderTest.SMALL.withSteps(VideoOptions.MODEL_STEPS);
            assertThat(model.estimate(List.of(new VideoRequest("a car", modelSteps))).steps()).isEqualTo(VideoOptions.FALLBACK_STEPS);
        }
    }

    /**
     * 9 frames of 256×256 on the tiny fixture: its untiled VAE decode is by far the largest stage
     * (its smallest tile, 2×1×1 latents, plans about 0.8 MiB, as does the T5 encoder).
     */
    private static final mmgp.api.VideoOptions LARGE = LtxProviderTest.SMALL.withSize(9, 256, 256).withSteps(1);

    /** The whole (untiled) decode's buffer: the estimate's peak with neither a VAE nor an engine budget. */
    private static long wholeDecode(BatchModel<VideoRequest, VideoResult> model) {
        long whole = model.estimate(List.of(new VideoRequest("a car", LARGE))).peakBytes();
        assertThat(whole).as("the decode dominates").isGreaterThan(4L << 20);
        return whole;
    }

    /**
     * A vae_memory_bytes below the whole decode's buffer tiles it: the run's VAE buffers stay
     * within that budget, and the estimate counts the budget (the tile graphs it may cache), an
     * upper bound of the measured peak.
     */
    @Test
    @SuppressWarnings("unchecked")
    void ltxTiledDecodeEstimateBoundsTheMeasuredTileBuffers() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<VideoRequest, VideoResult>) new LtxProvider().open(LtxProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            long whole = wholeDecode(model), vae = whole / 3;
            List<VideoRequest> batch = List.of(new VideoRequest("a car", LARGE.withVaeMemory(vae).withSeed(1)));
            CostEstimate estimate = model.estimate(batch);
            Measured m = run(model, batch);
            report("ltx tiled decode", estimate, m);
            assertThat(largestBuffer("vae")).as("the decode was tiled within its budget").isPositive().isLessThanOrEqualTo(vae);
            // the tile graphs the run caches at once: within the budget, at least what the run measured
            assertThat(estimate.peakBytes()).isLessThanOrEqualTo(vae).isGreaterThanOrEqualTo(m.bufferBytes);
            // tile overlaps are decoded twice; the estimate sums a decode graph's FLOPs over the tiles' sizes
            assertThat(estimate.flops()).isCloseTo(m.flops, org.assertj.core.data.Percentage.withPercentage(10));
            assertThat(estimate.memoryHint()).contains("(vae_memory_bytes " + vae + ")");
            // below the smallest tile: refused up front naming the field, not failed in the run
            assertThatThrownBy(() -> model.estimate(List.of(new VideoRequest("a car", LARGE.withVaeMemory(1000)))))
                    .isInstanceOfSatisfying(mmgp.api.InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("vae_memory_bytes"));
        }
    }

    /** Tiles the request sets (an embedding application's tileLatents): the estimate plans one tile's decode, the run's buffers stay within it. */
    @Test
    @SuppressWarnings("unchecked")
    void ltxExplicitTilesEstimateBoundsTheMeasuredTileBuffers() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<VideoRequest, VideoResult>) new LtxProvider().open(LtxProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            long whole = wholeDecode(model);
            List<VideoRequest> batch = List.of(new VideoRequest("a car", LARGE.toBuilder().tileLatents(4).seed(1).build()));
            CostEstimate estimate = model.estimate(batch);
            Measured m = run(model, batch);
            report("ltx explicit tiles", estimate, m);
            assertThat(largestBuffer("vae")).as("the decode was tiled").isPositive().isLessThan(whole);
            assertThat(estimate.peakBytes()).isLessThan(whole).isGreaterThanOrEqualTo(m.bufferBytes);
            assertThat(estimate.flops()).isCloseTo(m.flops, org.assertj.core.data.Percentage.withPercentage(10));
        }
    }

    /**
     * A request that leaves vae_memory_bytes at its default decodes within the engine's budget
     * when that is below the 2 GiB default: estimated and run alike, so a budget smaller than the
     * whole decode still admits the request.
     */
    @Test
    @SuppressWarnings("unchecked")
    void ltxDefaultVaeBudgetFitsTheEnginesBudget() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<VideoRequest, VideoResult>) new LtxProvider().open(LtxProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            long engineBudget = wholeDecode(model) / 2;
            List<VideoRequest> batch = List.of(new VideoRequest("a car", LARGE.withSeed(1)));
            model.memoryBudget(engineBudget);
            CostEstimate estimate = model.estimate(batch);
            Measured m = run(model, batch);
            report("ltx decode within the engine's budget", estimate, m);
            assertThat(estimate.peakBytes()).isLessThanOrEqualTo(engineBudget).isGreaterThanOrEqualTo(m.bufferBytes);
            assertThat(largestBuffer("vae")).isPositive().isLessThanOrEqualTo(engineBudget);
        }
    }

    /** Over the engine's budget because of an explicit vae_memory_bytes: the 413 says so; the default fits. */
    @Test
    @SuppressWarnings("unchecked")
    void anOverBudgetVaeDecodeNamesVaeMemoryBytes() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        long whole;
        try (var model = (BatchModel<VideoRequest, VideoResult>) new LtxProvider().open(LtxProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            whole = wholeDecode(model);
        }
        long vae = whole * 3 / 4;
        try (mmgp.engine.Engine engine = mmgp.engine.Engine.builder().provider(new LtxProvider()).model(mmgp.api.Task.VIDEO, LtxProviderTest.CHECKPOINT)
                .threads(2).memoryBudget(whole / 2).build()) {
            engine.load(mmgp.api.Task.VIDEO);
            assertThatThrownBy(() -> engine.generateVideo(new VideoRequest("a car", LARGE.withVaeMemory(vae)), null))
                    .isInstanceOf(mmgp.engine.OverBudgetException.class)
                    .hasMessageContaining("over the memory budget")
                    .hasMessageContaining("its VAE decode needs")
                    .hasMessageContaining("(vae_memory_bytes " + vae + "): a smaller vae_memory_bytes decodes in smaller tiles");
            assertThat(engine.generateVideo(new VideoRequest("a car", LARGE.withSeed(2)), null).result().get().frames()).isEqualTo(9);
        }
    }

    /** Over the engine's budget in tiles the request forces: the 413 names tile_latents, which vae_memory_bytes does not override. */
    @Test
    @SuppressWarnings("unchecked")
    void anOverBudgetForcedTileNamesTileLatents() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<VideoRequest, VideoResult>) new LtxProvider().open(LtxProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            long whole = wholeDecode(model);
            model.memoryBudget(whole / 2);
            // 256 px: 8×8 latents in tiles of 7
            CostEstimate estimate = model.estimate(List.of(new VideoRequest("a car", LARGE.toBuilder().tileLatents(7).vaeMemoryBytes(whole / 4).build())));
            assertThat(estimate.peakBytes()).isGreaterThan(whole / 2);
            assertThat(estimate.memoryHint()).contains("its VAE decode needs").contains("in tiles of 7 latents (tile_latents 7")
                    .contains("a smaller tile_latents decodes in smaller tiles").doesNotContain("a smaller vae_memory_bytes");
        }
    }

    /** The largest compute buffer of the last run's graphs whose label contains {@code part}. */
    private static long largestBuffer(String part) {
        long max = 0;
        for (GraphStats.Entry e : GraphStats.entries()) {
            if (e.label().contains(part)) max = Math.max(max, GraphStats.bufferBytes(e.label()));
        }
        return max;
    }

    @Test
    @SuppressWarnings("unchecked")
    void batchEstimatesGrowWithTheBatch() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        try (var model = (BatchModel<ImageRequest, ImageResult>) new AmusedProvider().open(AmusedProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            ImageRequest r = new ImageRequest("a cat", AmusedProviderTest.FAST);
            long one = model.estimate(List.of(r)).peakBytes(), four = model.estimate(List.of(r, r, r, r)).peakBytes();
            assertThat(four).isGreaterThan(one);
            CostEstimate big = model.estimate(List.of(new ImageRequest("a cat", AmusedProviderTest.FAST.withSize(256, 256))));
            assertThat(big.peakBytes()).isGreaterThan(one);
            assertThat(big.what()).isEqualTo("this 256×256 image");
        }
    }

    /**
     * SmolVLM2 runs in libllama, where no graph is planned: its estimate counts what
     * {@link SmolVlmUnderstanding#prepare} holds for a request (each tile's pixels and image
     * features) and the KV positions it fills. Measured on the tiny checkpoint: the tiles the
     * processor made and the vision encoder ran, the feature floats it produced, and the prompt
     * positions libllama filled. FLOPs are not compared: libllama and libmtmd count none, and a
     * "measured" figure would be the estimate's own formula on these counts (a check that could
     * not fail, dropped); what can fail is checked instead, the counts the FLOP formula rests on
     * (tiles equal, the estimated prompt positions an upper bound of the filled ones).
     */
    @Test
    @SuppressWarnings("unchecked")
    void smolvlmEstimateMatchesWhatARequestHolds(@TempDir Path dir) throws Exception {
        QuietLlama.require();
        try (var model = (BatchModel<UnderstandRequest, UnderstandResult>) new SmolVlmProvider().open(SmolVlmProviderTest.CHECKPOINT, 2, mmgp.graph.Numerics.FAST)) {
            SmolVlmUnderstanding u = ((SmolVlmBatchModel) model).understanding();
            Path video = SampleClip.write(dir.resolve("clip.mp4"));
            Path square = dir.resolve("square.png");
            ImageIO.write(new BufferedImage(300, 300, BufferedImage.TYPE_INT_RGB), "png", square.toFile());
            UnderstandOptions o = SmolVlmProviderTest.GREEDY;
            // the 200×90 golden image splits into 2 × 3 tiles and the global one, a square into 3 × 3 and one;
            // 2 of the video's 3 sampled frames; no media
            List<UnderstandRequest> exact = List.of(
                    new UnderstandRequest(Media.image(SmolVlmProviderTest.IMAGE), "Describe this image.", o),
                    new UnderstandRequest(Media.image(square), "What is in the middle?", o),
                    new UnderstandRequest(Media.video(video), "What happens in the video?", o.withMaxFrames(2)),
                    new UnderstandRequest(new Media.None(), "Say something.", o));
            int[] tiles = {7, 10, 2, 0};
            int tokensPerTile = ((SmolVlmBatchModel) model).understanding().processor().imageSeqLen();
            long sumBytes = 0;
            for (int i = 0; i < exact.size(); i++) {
                UnderstandRequest r = exact.get(i);
                CostEstimate e = model.estimate(List.of(r));
                SmolVlmMeasured m = measure(model, u, r);
                System.out.printf(Locale.ROOT, "smolvlm %s: estimated %d B, %.4g FLOPs; measured %d tiles, %d B, %d positions%n",
                        r.media(), e.peakBytes(), e.flops(), m.tiles, m.bytes, m.positions);
                assertThat(m.tiles).as("tiles of request %d", i).isEqualTo(tiles[i]);
                assertThat(e.peakBytes()).as("bytes of request %d", i).isEqualTo(m.bytes);
                // the prompt's positions: bounded by its bytes, the template and each tile's features and wrapper
                long positions = SmolVlmCost.promptPositions(r.prompt(), m.tiles, tokensPerTile);
                assertThat(positions).as("positions of request %d", i).isGreaterThanOrEqualTo(m.positions)
                        .isLessThanOrEqualTo(m.positions + r.prompt().length() + SmolVlmCost.TEMPLATE_TOKENS + (long) SmolVlmCost.TOKENS_PER_TILE * m.tiles);
                sumBytes += e.peakBytes();
            }
            CostEstimate all = model.estimate(exact);
            assertThat(all.peakBytes()).isEqualTo(sumBytes);
            assertThat(all.what()).isEqualTo("these 4 questions");

            // the video's frame cap when the request sets none: an upper bound (4 frames for the 3 sampled)
            UnderstandRequest capped = new UnderstandRequest(Media.video(video), "What happens?", o);
            SmolVlmMeasured m = measure(model, u, capped);
            assertThat(m.tiles).isEqualTo(3);
            assertThat(model.estimate(List.of(capped)).peakBytes()).isEqualTo(m.bytes / 3 * 4);
        }
    }

    record SmolVlmMeasured(int tiles, long bytes, int positions) {}

    /**
     * Prepares the request as a run does and runs it: the tiles encoded and their pixels at the
     * processor's tile side, the feature floats the encoder produced, and the prompt positions the
     * run filled.
     */
    private static SmolVlmMeasured measure(BatchModel<UnderstandRequest, UnderstandResult> model, SmolVlmUnderstanding u, UnderstandRequest r)
            throws Exception {
        SmolVlmMedia media = switch (r.media()) {
            case Media.ImageFile f -> SmolVlmMedia.image(f.file());
            case Media.VideoFile v -> SmolVlmMedia.video(v.file());
            case Media.None none -> SmolVlmMedia.none();
        };
        SmolVlmPrompt p = u.prepare(media, r.prompt(), r.options(), null);
        int side = u.processor().imageProcessor().config().maxImageSize();
        long bytes = (long) p.imagesEncoded() * 3 * side * side * Float.BYTES + (p.imageFeatures() == null ? 0 : (long) p.imageFeatures().length * Float.BYTES);
        UnderstandResult result = model.run(List.of(new BatchItem<>(r, ProgressListener.NONE)), ProgressListener.NONE).getFirst();
        assertThat(result.promptTokens()).isEqualTo(p.ids().length);
        return new SmolVlmMeasured(p.imagesEncoded(), bytes, result.promptTokens());
    }

    record Measured(long bufferBytes, double flops) {}

    private static <Q, R> Measured run(BatchModel<Q, R> model, List<Q> batch) throws Exception {
        GraphStats.reset();
        List<BatchItem<Q>> items = batch.stream().map(q -> new BatchItem<>(q, ProgressListener.NONE)).toList();
        model.run(items, ProgressListener.NONE);
        long buffer = 0;
        double flops = 0;
        for (GraphStats.Entry e : GraphStats.entries()) {
            buffer = Math.max(buffer, GraphStats.bufferBytes(e.label()));
            flops += e.flops();
        }
        return new Measured(buffer, flops);
    }

    private static void report(String what, CostEstimate e, Measured m) {
        System.out.printf(Locale.ROOT, "%s: estimated %d B, %.4g FLOPs; measured largest buffer %d B, %.4g FLOPs (%s)%n", what, e.peakBytes(), e.flops(),
                m.bufferBytes, m.flops, GraphStats.entries().stream().map(x -> x.label() + "=" + GraphStats.bufferBytes(x.label())).toList());
    }
}
