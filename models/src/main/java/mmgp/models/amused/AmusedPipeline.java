package mmgp.models.amused;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.models.StageTimer;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.sampling.Rng;
import mmgp.sampling.SplitMix64Rng;
import mmgp.schedule.BatchedGuidance;
import mmgp.schedule.MaskGitStep;

/**
 * Text → image with aMUSEd, as diffusers' AmusedPipeline.__call__ does it: tokenize, encode
 * (pooled projection + penultimate hidden states), start from an all-mask token grid, run the
 * UVit2D transformer once per step (conditional and unconditional rows batched in one graph
 * under classifier-free guidance), re-mask with MaskGIT, then decode the tokens with the VQ-GAN.
 * All prompts of a call run as one batch.
 */
public final class AmusedPipeline {
    private AmusedPipeline() {}

    /**
     * The pipeline's knobs with diffusers' defaults. {@code width}/{@code height} 0 means the
     * model's default; {@code temperature} is the (start, end) pair of the annealing, or, with
     * {@code singleTemperature}, diffusers' scalar form linspace(t, 0.01).
     */
    public record Options(int steps, float guidanceScale, String negativePrompt, int width, int height,
                          float temperatureStart, float temperatureEnd, boolean singleTemperature,
                          float aestheticScore, int cropX, int cropY, long seed) {
        public static Options defaults() {
            return new Options(12, 10f, "", 0, 0, 2f, 0f, false, 6f, 0, 0, 0L);
        }

        public Options withSteps(int s) {
            return new Options(s, guidanceScale, negativePrompt, width, height, temperatureStart, temperatureEnd, singleTemperature, aestheticScore, cropX, cropY, seed);
        }

        public Options withGuidance(float g) {
            return new Options(steps, g, negativePrompt, width, height, temperatureStart, temperatureEnd, singleTemperature, aestheticScore, cropX, cropY, seed);
        }

        public Options withSeed(long s) {
            return new Options(steps, guidanceScale, negativePrompt, width, height, temperatureStart, temperatureEnd, singleTemperature, aestheticScore, cropX, cropY, s);
        }

        public Options withNegativePrompt(String n) {
            return new Options(steps, guidanceScale, n, width, height, temperatureStart, temperatureEnd, singleTemperature, aestheticScore, cropX, cropY, seed);
        }

        public Options withSize(int w, int h) {
            return new Options(steps, guidanceScale, negativePrompt, w, h, temperatureStart, temperatureEnd, singleTemperature, aestheticScore, cropX, cropY, seed);
        }

        public Options withTemperature(float t) {
            return new Options(steps, guidanceScale, negativePrompt, width, height, t, 0.01f, true, aestheticScore, cropX, cropY, seed);
        }

        public Options withMicroConditioning(float aesthetic, int cx, int cy) {
            return new Options(steps, guidanceScale, negativePrompt, width, height, temperatureStart, temperatureEnd, singleTemperature, aesthetic, cx, cy, seed);
        }

        boolean guided() {
            return guidanceScale > 1f;
        }
    }

    /** Supplies each step's random draws; the default is one seeded stream, tests replay recorded ones. */
    public interface Draws {
        Rng forStep(int step, int[] sample);

        static Draws seeded(long seed) {
            Rng rng = new SplitMix64Rng(seed);
            return (step, sample) -> rng;
        }
    }

    /** Generated images: NHWC floats in [0,1], the final tokens (B, h, w) and the time per stage. */
    public record Images(int batch, int height, int width, float[] pixels, int[] tokens, StageTimings timings) {}

    public static Images generate(AmusedModel model, ComputeBackend backend, List<String> prompts, Options o, ProgressListener listener) {
        return generate(model, backend, prompts, o, listener, Draws.seeded(o.seed()));
    }

    public static Images generate(AmusedModel model, ComputeBackend backend, List<String> prompts, Options o,
                                  ProgressListener listener, Draws draws) {
        return run(model, backend, prompts, o, listener, draws, null);
    }

    /**
     * One seed per prompt ({@code o.seed()} is ignored): image {@code i} draws only from its own
     * {@code SplitMix64Rng(seeds[i])}, MaskGIT running row by row on that row's guided logits, so
     * each image's tokens are those of the same prompt and seed generated alone.
     */
    public static Images generateWithSeeds(AmusedModel model, ComputeBackend backend, List<String> prompts, Options o,
                                           ProgressListener listener, long[] seeds) {
        if (seeds.length != prompts.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts; give one per prompt");
        Rng[] rowRngs = new Rng[seeds.length];
        for (int i = 0; i < seeds.length; i++) rowRngs[i] = new SplitMix64Rng(seeds[i]);
        return run(model, backend, prompts, o, listener, null, rowRngs);
    }

    /** The pipeline; random draws come from {@code draws} for the whole batch, or from {@code rowRngs}, one stream per image. */
    private static Images run(AmusedModel model, ComputeBackend backend, List<String> prompts, Options o,
                              ProgressListener listener, Draws draws, Rng[] rowRngs) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("at least one prompt is needed");
        if (o.steps() < 1 || o.steps() > 1000) throw new IllegalArgumentException("steps must be in [1, 1000], got " + o.steps());
        int scale = model.vaeScaleFactor();
        int width = o.width() > 0 ? o.width() : model.defaultImageSize();
        int height = o.height() > 0 ? o.height() : model.defaultImageSize();
        if (width % scale != 0 || height % scale != 0) {
            throw new IllegalArgumentException("width and height must be multiples of " + scale + " (the VQ scale factor), got " + width + "×" + height);
        }
        int h = height / scale, w = width / scale, tokens = h * w;
        int batch = prompts.size();
        boolean guided = o.guided();
        int rows = guided ? 2 * batch : batch;
        StageTimings timings = new StageTimings();

        // 1. Tokenize: under guidance the negative prompts come first, as diffusers concatenates them.
        long t0 = System.nanoTime();
        int maxLength = model.tokenizer().modelMaxLength();
        List<String> texts = new ArrayList<>();
        if (guided) for (int i = 0; i < batch; i++) texts.add(o.negativePrompt());
        texts.addAll(prompts);
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = model.tokenizer().encode(texts.get(i), maxLength).inputIds();
        StageTimer.stageDone(listener, timings, "tokenize", t0);
        listener.checkCancelled("tokenize");

        // 2. Encode all rows in one graph: pooled projection and the penultimate hidden states.
        listener.stageStarted("encode");
        t0 = System.nanoTime();
        ClipTextEncoder.Result text = model.textEncoder().encode(backend, ids);
        StageTimer.stageDone(listener, timings, "encode", t0);
        listener.checkCancelled("encode");

        // 3. Denoise: one transformer graph, recomputed every step with the new token grid.
        int[] sample = new int[batch * tokens];
        java.util.Arrays.fill(sample, model.maskTokenId());
        AmusedScheduler scheduler = o.singleTemperature()
                ? AmusedScheduler.fromTemperature(o.steps(), o.temperatureStart(), model.masking())
                : AmusedScheduler.annealed(o.steps(), o.temperatureStart(), o.temperatureEnd(), model.masking());
        UVit2D transformer = model.transformer();
        int codes = transformer.config().codebookSize();
        MaskGitStep maskGit = new MaskGitStep(tokens, codes, model.maskTokenId());
        try (Graph g = new Graph(backend, transformer.graphSize()); Arena arena = Arena.ofConfined()) {
            UVit2D.Inputs in = transformer.inputs(g, rows, h, w, text.seqLen());
            Tensor logits = g.output(g.name(transformer.buildTokenLogits(g, in.inputIds(), in.encoderHiddenStates(), in.pooledTextEmb(), in.microConds()), "uvit_logits"));
            g.set(in.encoderHiddenStates(), text.penultimateHidden()); // [B,T,D] row-major = ggml [D,T,B]
            g.set(in.pooledTextEmb(), text.textEmbeds());
            float[] micro = new float[5 * rows];
            for (int r = 0; r < rows; r++) {
                float[] m = {width, height, o.cropX(), o.cropY(), o.aestheticScore()}; // diffusers puts width first
                System.arraycopy(m, 0, micro, 5 * r, 5);
            }
            g.set(in.microConds(), micro);
            MemorySegment guidedLogits = guided ? arena.allocate(4L * batch * tokens * codes, 64) : null;
            int[] modelIds = new int[rows * tokens];
            int[] rowSample = new int[tokens];
            for (int step = 0; step < scheduler.steps(); step++) {
                long s0 = System.nanoTime();
                for (int copy = 0; copy < rows / batch; copy++) System.arraycopy(sample, 0, modelIds, copy * sample.length, sample.length);
                g.set(in.inputIds(), modelIds);
                g.compute();
                MemorySegment out = logits.data(); // [codes, w, h, rows]: token-major, zero-copy
                if (guided) {
                    BatchedGuidance.combine(out, (long) batch * tokens * codes, o.guidanceScale(), guidedLogits);
                    out = guidedLogits;
                }
                if (rowRngs == null) {
                    Rng rng = draws.forStep(step, sample);
                    if (scheduler.isLast(step)) {
                        maskGit.finalStep(out, batch, sample, sample, rng);
                    } else {
                        maskGit.step(out, batch, sample, sample, null, scheduler.temperature(step), scheduler.maskRatio(step), rng);
                    }
                } else {
                    // Row by row, as a batch of one: each image's draws depend on its own seed only.
                    for (int b = 0; b < batch; b++) {
                        System.arraycopy(sample, b * tokens, rowSample, 0, tokens);
                        MemorySegment rowLogits = out.asSlice(4L * b * tokens * codes, 4L * tokens * codes);
                        if (scheduler.isLast(step)) {
                            maskGit.finalStep(rowLogits, 1, rowSample, rowSample, rowRngs[b]);
                        } else {
                            maskGit.step(rowLogits, 1, rowSample, rowSample, null, scheduler.temperature(step), scheduler.maskRatio(step), rowRngs[b]);
                        }
                        System.arraycopy(rowSample, 0, sample, b * tokens, tokens);
                    }
                }
                StageTimer.stepDone(listener, timings, step, scheduler.steps(), s0);
            }
        }

        // 4. Decode the token grid to pixels (clipped to [0,1], NHWC).
        listener.stageStarted("decode");
        t0 = System.nanoTime();
        long[] indices = new long[sample.length];
        for (int i = 0; i < sample.length; i++) indices[i] = sample[i];
        float[] pixels = model.vqDecoder().decodeImage(backend, indices, batch, h, w);
        StageTimer.stageDone(listener, timings, "decode", t0);
        return new Images(batch, height, width, pixels, sample, timings);
    }

    /** The NHWC image {@code index} of a batch as 8-bit RGB, rounded as PIL's numpy_to_pil does (×255, round). */
    public static int[] rgb(Images images, int index) {
        int n = images.height() * images.width();
        int[] argb = new int[n];
        int base = index * n * 3;
        for (int p = 0; p < n; p++) {
            int r = Math.round(images.pixels()[base + 3 * p] * 255f);
            int gr = Math.round(images.pixels()[base + 3 * p + 1] * 255f);
            int b = Math.round(images.pixels()[base + 3 * p + 2] * 255f);
            argb[p] = 0xFF000000 | (r << 16) | (gr << 8) | b;
        }
        return argb;
    }
}
