package mmgp.models.amused;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import mmgp.api.ImageOptions;
import mmgp.api.InvalidRequestException;
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

    /** All images from one random stream seeded with {@code o.seed()}. */
    public static Images generate(AmusedModel model, ComputeBackend backend, List<String> prompts, ImageOptions o, ProgressListener listener) {
        return generate(model, backend, prompts, o, listener, Draws.seeded(o.seed()));
    }

    public static Images generate(AmusedModel model, ComputeBackend backend, List<String> prompts, ImageOptions o,
                                  ProgressListener listener, Draws draws) {
        return new Run(model, backend, prompts, o, listener).images(draws, null);
    }

    /**
     * One seed per prompt ({@code o.seed()} is ignored): image {@code i} draws only from its own
     * {@code SplitMix64Rng(seeds[i])}, MaskGIT running row by row on that row's guided logits, so
     * each image's tokens are those of the same prompt and seed generated alone.
     */
    public static Images generateWithSeeds(AmusedModel model, ComputeBackend backend, List<String> prompts, ImageOptions o,
                                           ProgressListener listener, long[] seeds) {
        if (seeds.length != prompts.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts; give one per prompt");
        Rng[] rowRngs = new Rng[seeds.length];
        for (int i = 0; i < seeds.length; i++) rowRngs[i] = new SplitMix64Rng(seeds[i]);
        return new Run(model, backend, prompts, o, listener).images(null, rowRngs);
    }

    /**
     * {@code o} at the size it runs at: a width or height of 0 becomes the model's default size;
     * either must be a multiple of the VQ scale factor. The engine's admission and the pipeline
     * both check a request here.
     */
    public static ImageOptions resolve(AmusedModel model, ImageOptions o) {
        int side = model.defaultImageSize();
        int width = o.width() > 0 ? o.width() : side, height = o.height() > 0 ? o.height() : side;
        checkSide(model, "width", width);
        checkSide(model, "height", height);
        return width == o.width() && height == o.height() ? o : o.withSize(width, height);
    }

    private static void checkSide(AmusedModel model, String field, int value) {
        int scale = model.vaeScaleFactor();
        if (value % scale != 0) {
            throw new InvalidRequestException(field, "must be a multiple of " + scale + " (the VQ scale factor), or 0 for the model's "
                    + model.defaultImageSize() + ", got " + value);
        }
    }

    /** One call: the resolved options, the token grid's shape and the stage timings, with a method per stage. */
    private static final class Run {
        private final AmusedModel model;
        private final ComputeBackend backend;
        private final List<String> prompts;
        private final ImageOptions o;
        private final ProgressListener listener;
        private final int batch, h, w, tokens, rows;
        private final StageTimings timings = new StageTimings();

        Run(AmusedModel model, ComputeBackend backend, List<String> prompts, ImageOptions options, ProgressListener listener) {
            if (prompts.isEmpty()) throw new IllegalArgumentException("at least one prompt is needed");
            this.model = model;
            this.backend = backend;
            this.prompts = prompts;
            this.o = resolve(model, options);
            this.listener = listener;
            int scale = model.vaeScaleFactor();
            this.batch = prompts.size();
            this.h = o.height() / scale;
            this.w = o.width() / scale;
            this.tokens = h * w;
            this.rows = o.guided() ? 2 * batch : batch;
        }

        /** Random draws come from {@code draws} for the whole batch, or from {@code rowRngs}, one stream per image. */
        Images images(Draws draws, Rng[] rowRngs) {
            ClipTextEncoder.Result text = encode(tokenize());
            int[] sample = denoise(text, draws, rowRngs);
            float[] pixels = decode(sample);
            return new Images(batch, o.height(), o.width(), pixels, sample, timings);
        }

        /** Under guidance the negative prompts come first, as diffusers concatenates them. */
        private int[][] tokenize() {
            long t0 = System.nanoTime();
            int maxLength = model.tokenizer().modelMaxLength();
            List<String> texts = new ArrayList<>();
            if (o.guided()) for (int i = 0; i < batch; i++) texts.add(o.negativePrompt());
            texts.addAll(prompts);
            int[][] ids = new int[texts.size()][];
            for (int i = 0; i < ids.length; i++) ids[i] = model.tokenizer().encode(texts.get(i), maxLength).inputIds();
            StageTimer.stageDone(listener, timings, "tokenize", t0);
            listener.checkCancelled("tokenize");
            return ids;
        }

        /** All rows in one graph: pooled projection and the penultimate hidden states. */
        private ClipTextEncoder.Result encode(int[][] ids) {
            listener.stageStarted("encode");
            long t0 = System.nanoTime();
            ClipTextEncoder.Result text = model.textEncoder().encode(backend, ids);
            StageTimer.stageDone(listener, timings, "encode", t0);
            listener.checkCancelled("encode");
            return text;
        }

        /** From an all-mask grid, one transformer graph recomputed every step with the new token grid; returns the final tokens. */
        private int[] denoise(ClipTextEncoder.Result text, Draws draws, Rng[] rowRngs) {
            int[] sample = new int[batch * tokens];
            Arrays.fill(sample, model.maskTokenId());
            AmusedScheduler scheduler = AmusedScheduler.annealed(o.steps(), o.temperatureStart(), o.temperatureEnd(), model.masking());
            UVit2D transformer = model.transformer();
            int codes = transformer.config().codebookSize();
            MaskGitStep maskGit = new MaskGitStep(tokens, codes, model.maskTokenId());
            try (Graph g = new Graph(backend, transformer.graphSize()); Arena arena = Arena.ofConfined()) {
                UVit2D.Inputs in = transformer.inputs(g, rows, h, w, text.seqLen());
                Tensor logits = g.output(g.name(transformer.buildTokenLogits(g, in.inputIds(), in.encoderHiddenStates(), in.pooledTextEmb(), in.microConds()), "uvit_logits"));
                g.set(in.encoderHiddenStates(), text.penultimateHidden()); // [B,T,D] row-major = ggml [D,T,B]
                g.set(in.pooledTextEmb(), text.textEmbeds());
                g.set(in.microConds(), microConditioning());
                MemorySegment guidedLogits = o.guided() ? arena.allocate(4L * batch * tokens * codes, 64) : null;
                int[] modelIds = new int[rows * tokens];
                for (int step = 0; step < scheduler.steps(); step++) {
                    long s0 = System.nanoTime();
                    for (int copy = 0; copy < rows / batch; copy++) System.arraycopy(sample, 0, modelIds, copy * sample.length, sample.length);
                    g.set(in.inputIds(), modelIds);
                    g.compute();
                    MemorySegment out = logits.data(); // [codes, w, h, rows]: token-major, zero-copy
                    if (o.guided()) {
                        BatchedGuidance.combine(out, (long) batch * tokens * codes, o.guidanceScale(), guidedLogits);
                        out = guidedLogits;
                    }
                    if (rowRngs == null) remask(maskGit, scheduler, step, out, batch, sample, draws.forStep(step, sample));
                    else remaskRowByRow(maskGit, scheduler, step, out, codes, sample, rowRngs);
                    StageTimer.stepDone(listener, timings, step, scheduler.steps(), s0);
                }
            }
            return sample;
        }

        /** Five values per row: width, height, crop x, crop y, aesthetic score (diffusers puts width first). */
        private float[] microConditioning() {
            float[] micro = new float[5 * rows];
            for (int r = 0; r < rows; r++) {
                float[] m = {o.width(), o.height(), o.cropX(), o.cropY(), o.aestheticScore()};
                System.arraycopy(m, 0, micro, 5 * r, 5);
            }
            return micro;
        }

        /** Each image as a batch of one, so its draws depend on its own seed only. */
        private void remaskRowByRow(MaskGitStep maskGit, AmusedScheduler scheduler, int step, MemorySegment logits, int codes, int[] sample, Rng[] rowRngs) {
            int[] rowSample = new int[tokens];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(sample, b * tokens, rowSample, 0, tokens);
                MemorySegment rowLogits = logits.asSlice(4L * b * tokens * codes, 4L * tokens * codes);
                remask(maskGit, scheduler, step, rowLogits, 1, rowSample, rowRngs[b]);
                System.arraycopy(rowSample, 0, sample, b * tokens, tokens);
            }
        }

        private static void remask(MaskGitStep maskGit, AmusedScheduler scheduler, int step, MemorySegment logits, int images, int[] sample, Rng rng) {
            if (scheduler.isLast(step)) {
                maskGit.finalStep(logits, images, sample, sample, rng);
            } else {
                maskGit.step(logits, images, sample, sample, null, scheduler.temperature(step), scheduler.maskRatio(step), rng);
            }
        }

        /** The token grid through the VQ-GAN to pixels (clipped to [0,1], NHWC). */
        private float[] decode(int[] sample) {
            listener.stageStarted("decode");
            long t0 = System.nanoTime();
            long[] indices = new long[sample.length];
            for (int i = 0; i < sample.length; i++) indices[i] = sample[i];
            float[] pixels = model.vqDecoder().decodeImage(backend, indices, batch, h, w);
            StageTimer.stageDone(listener, timings, "decode", t0);
            return pixels;
        }
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
