package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.schedule.BatchedGuidance;
import mmgp.schedule.FlowMatchEulerScheduler;
import mmgp.schedule.FlowMatchEulerStep;

/**
 * Text → video with LTX-Video as diffusers' LTXPipeline.__call__ does it: T5 embeddings (no
 * attention mask in the encoder; the mask only biases cross-attention), packed Gaussian
 * latents, the flow-matching Euler loop with the resolution-dependent shift (conditional and
 * unconditional rows batched in one graph under guidance), then unpack, de-normalise and decode
 * with the video VAE to frames in [0,1].
 */
public final class LtxPipeline {
    private LtxPipeline() {}

    /** Decode noise is drawn from {@code seed ^ DECODE_NOISE_SALT}, apart from the initial latents' stream. */
    private static final long DECODE_NOISE_SALT = 0x5DEECE66DL;

    /**
     * The pipeline's knobs; diffusers' defaults except a CPU-sized frame count and resolution.
     * {@code timesteps} / {@code sigmas}: an explicit schedule (distilled models), else the
     * pipeline's linspace. {@code decodeTimestep} and {@code decodeNoiseScale} (NaN: same as the
     * timestep) drive the timestep-conditioned VAE of 0.9.1+ and are ignored by 0.9.0's.
     */
    public record Options(int frames, int width, int height, int steps, float guidanceScale, String negativePrompt,
                          float frameRate, int maxSequenceLength, long seed, int tileLatents,
                          double[] timesteps, double[] sigmas, float decodeTimestep, float decodeNoiseScale) {
        /** The 7-step timestep list of the distilled LTX releases (guidance off). */
        public static final double[] DISTILLED_TIMESTEPS = {1000, 993, 987, 981, 975, 909, 725};

        public static Options defaults() {
            return new Options(49, 512, 320, 40, 3f, "", 24f, 128, 0L, 0, null, null, 0.05f, Float.NaN);
        }

        public Options with(int frames, int width, int height, int steps, float guidance, float frameRate, int maxSequenceLength, long seed) {
            return new Options(frames, width, height, steps, guidance, negativePrompt, frameRate, maxSequenceLength, seed, tileLatents,
                    timesteps, sigmas, decodeTimestep, decodeNoiseScale);
        }

        public Options withNegativePrompt(String negative) {
            return new Options(frames, width, height, steps, guidanceScale, negative, frameRate, maxSequenceLength, seed, tileLatents,
                    timesteps, sigmas, decodeTimestep, decodeNoiseScale);
        }

        public Options withTiles(int latentTile) {
            return new Options(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, maxSequenceLength, seed, latentTile,
                    timesteps, sigmas, decodeTimestep, decodeNoiseScale);
        }

        /** An explicit schedule: timesteps (e.g. {@link #DISTILLED_TIMESTEPS}) or sigmas, one of the two. */
        public Options withSchedule(double[] explicitTimesteps, double[] explicitSigmas) {
            if (explicitTimesteps != null && explicitSigmas != null) throw new IllegalArgumentException("give timesteps or sigmas, not both");
            int n = explicitTimesteps != null ? explicitTimesteps.length : explicitSigmas != null ? explicitSigmas.length : steps;
            return new Options(frames, width, height, n, guidanceScale, negativePrompt, frameRate, maxSequenceLength, seed, tileLatents,
                    explicitTimesteps, explicitSigmas, decodeTimestep, decodeNoiseScale);
        }

        public Options withDecode(float timestep, float noiseScale) {
            return new Options(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, maxSequenceLength, seed, tileLatents,
                    timesteps, sigmas, timestep, noiseScale);
        }

        boolean guided() {
            return guidanceScale > 1f;
        }
    }

    /** Frames in [0,1], (B, F, H, W, 3), the final packed latents, and the time per stage. */
    public record Video(int batch, int frames, int height, int width, float[] pixels, float[] latents, StageTimings timings) {}

    /** Starts from seeded Gaussian latents. */
    public static Video generate(LtxModel model, ComputeBackend backend, List<String> prompts, Options o, ProgressListener listener) {
        return generate(model, backend, prompts, o, listener, null);
    }

    /**
     * @param initialLatents packed latents (B, F'·H'·W', C) to start from, as the pipeline's
     *                       {@code latents=} argument; null draws them from the seed
     */
    public static Video generate(LtxModel model, ComputeBackend backend, List<String> prompts, Options o, ProgressListener listener,
                                 float[] initialLatents) {
        return generate(model, backend, prompts, o, listener, initialLatents, null);
    }

    /**
     * @param decodeNoise the noise (B, C, F', H', W') mixed into the latents before a
     *                    timestep-conditioned decode; null draws it from the seed
     */
    public static Video generate(LtxModel model, ComputeBackend backend, List<String> prompts, Options o, ProgressListener listener,
                                 float[] initialLatents, float[] decodeNoise) {
        return run(model, backend, prompts, o, listener, initialLatents, decodeNoise, null);
    }

    /**
     * One seed per prompt ({@code o.seed()} is ignored): video {@code i}'s initial latents, decode
     * noise and VAE noise come from {@code seeds[i]} exactly as for a batch of one with that seed,
     * and with several prompts the VAE decodes row by row (its injected noise is one stream per
     * call), so each video is the one its prompt and seed give alone.
     */
    public static Video generateWithSeeds(LtxModel model, ComputeBackend backend, List<String> prompts, Options o, ProgressListener listener,
                                          long[] seeds) {
        if (seeds.length != prompts.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts; give one per prompt");
        return run(model, backend, prompts, o, listener, null, null, seeds.clone());
    }

    private static Video run(LtxModel model, ComputeBackend backend, List<String> prompts, Options o, ProgressListener listener,
                             float[] initialLatents, float[] decodeNoise, long[] rowSeeds) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("at least one prompt is needed");
        LtxVaeConfig vae = model.vae().config();
        int spatial = vae.spatialCompressionRatio(), temporal = vae.temporalCompressionRatio();
        if (o.frames() < 1 || (o.frames() - 1) % temporal != 0) {
            throw new IllegalArgumentException("frames must be " + temporal + "·n + 1 (e.g. 9, 17, 49), got " + o.frames());
        }
        if (o.width() % spatial != 0 || o.height() % spatial != 0 || o.width() <= 0 || o.height() <= 0) {
            throw new IllegalArgumentException("width and height must be positive multiples of " + spatial + ", got " + o.width() + "×" + o.height());
        }
        if (o.steps() < 1 || o.steps() > 1000) throw new IllegalArgumentException("steps must be in [1, 1000], got " + o.steps());
        int batch = prompts.size();
        int lf = (o.frames() - 1) / temporal + 1, lh = o.height() / spatial, lw = o.width() / spatial;
        int tokens = lf * lh * lw;
        int channels = model.transformer().config().inChannels();
        boolean guided = o.guided();
        int rows = guided ? 2 * batch : batch;
        StageTimings timings = new StageTimings();

        // 1. T5 prompt embeddings, negative rows first under guidance (diffusers' concat order).
        long t0 = System.nanoTime();
        List<String> texts = new ArrayList<>();
        if (guided) for (int i = 0; i < batch; i++) texts.add(o.negativePrompt());
        texts.addAll(prompts);
        int[][] ids = new int[rows][];
        boolean[] mask = new boolean[rows * o.maxSequenceLength()];
        for (int r = 0; r < rows; r++) {
            T5Tokenizer.Encoding e = model.tokenizer().encode(texts.get(r), o.maxSequenceLength());
            ids[r] = e.inputIds();
            for (int t = 0; t < ids[r].length; t++) mask[r * o.maxSequenceLength() + t] = e.attentionMask()[t] != 0;
        }
        record(listener, timings, "tokenize", t0);
        t0 = System.nanoTime();
        float[] promptEmbeds = model.textEncoder().encode(backend, ids);
        // T5-XXL is most of the checkpoint and is not needed again until the next prompt: its
        // mapped pages leave the process now, so denoising and decoding run without them resident.
        model.weights().releasePages("text_encoder.");
        record(listener, timings, "encode", t0);
        listener.checkCancelled("text encoding");

        // 2. Latents, packed (B, tokens, C) with tokens in (f, h, w) order.
        float[] latents;
        if (initialLatents != null) {
            if (initialLatents.length != batch * tokens * channels) {
                throw new IllegalArgumentException("initial latents hold " + initialLatents.length + " values, expected " + batch + "×" + tokens + "×" + channels);
            }
            latents = initialLatents.clone();
        } else {
            latents = new float[batch * tokens * channels];
            if (rowSeeds == null) {
                gaussians(new SplittableRandom(o.seed()), latents, 0, latents.length);
            } else {
                for (int b = 0; b < batch; b++) gaussians(new SplittableRandom(rowSeeds[b]), latents, b * tokens * channels, tokens * channels);
            }
        }

        // 3. Denoise: one transformer graph, recomputed each step with new latents and timestep.
        FlowMatchEulerScheduler.Config sc = model.schedulerConfig();
        double mu = FlowMatchEulerScheduler.calculateShift(tokens, sc);
        FlowMatchEulerScheduler scheduler = o.timesteps() != null ? FlowMatchEulerScheduler.fromTimesteps(sc, o.timesteps(), mu)
                : o.sigmas() != null ? FlowMatchEulerScheduler.fromSigmas(sc, o.sigmas(), mu)
                : FlowMatchEulerScheduler.forPipeline(sc, o.steps(), tokens);
        LtxTransformer transformer = model.transformer();
        LtxTransformer.RopeScale rope = LtxTransformer.RopeScale.forVideo(o.frameRate(), temporal, spatial);
        int n = batch * tokens * channels;
        float[] modelInput = new float[rows * tokens * channels];
        float[] timestep = new float[rows];
        try (Graph g = new Graph(backend, transformer.graphSize())) {
            LtxTransformer.Inputs in = transformer.inputs(g, rows, tokens, o.maxSequenceLength());
            Tensor out = g.output(g.name(transformer.build(g, in), "ltx_transformer_out"));
            transformer.setConditioning(g, in, promptEmbeds, mask, lf, lh, lw, rope);
            for (int step = 0; step < scheduler.steps(); step++) {
                long s0 = System.nanoTime();
                for (int copy = 0; copy < rows / batch; copy++) System.arraycopy(latents, 0, modelInput, copy * n, n);
                java.util.Arrays.fill(timestep, scheduler.timestep(step));
                transformer.setStep(g, in, modelInput, timestep);
                g.compute();
                float[] prediction = g.floats(out);
                if (guided) prediction = BatchedGuidance.combine(prediction, o.guidanceScale()); // uncond + g·(cond − uncond)
                FlowMatchEulerStep.step(latents, prediction, scheduler.sigma(step), scheduler.sigma(step + 1));
                double secs = (System.nanoTime() - s0) / 1e9;
                timings.add("denoise", secs);
                listener.step("denoise", step + 1, scheduler.steps(), secs);
                listener.checkCancelled("denoising step " + (step + 1));
            }
        }

        // 4. Unpack (B, tokens, C) → (B, C, F', H', W'), de-normalise, decode, map to [0,1] frames.
        t0 = System.nanoTime();
        float[] unpacked = new float[n];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < tokens; t++)
                for (int c = 0; c < channels; c++) unpacked[(b * channels + c) * tokens + t] = latents[(b * tokens + t) * channels + c];
        float[] z = model.vae().denormalize(unpacked, batch, lf, lh, lw);
        float[] decodeTimesteps = null;
        if (model.vae().timestepConditioned()) {
            // z = (1 − s)·latents + s·noise, then the VAE is conditioned on the decode timestep.
            float s = Float.isNaN(o.decodeNoiseScale()) ? o.decodeTimestep() : o.decodeNoiseScale();
            float[] noise = decodeNoise;
            if (noise == null) {
                noise = new float[z.length];
                int perRow = z.length / batch;
                if (rowSeeds == null) {
                    gaussians(new SplittableRandom(o.seed() ^ DECODE_NOISE_SALT), noise, 0, noise.length);
                } else {
                    for (int b = 0; b < batch; b++) gaussians(new SplittableRandom(rowSeeds[b] ^ DECODE_NOISE_SALT), noise, b * perRow, perRow);
                }
            } else if (noise.length != z.length) {
                throw new IllegalArgumentException("decode noise holds " + noise.length + " values, expected " + z.length);
            }
            for (int i = 0; i < z.length; i++) z[i] = (1 - s) * z[i] + s * noise[i];
            decodeTimesteps = new float[batch];
            java.util.Arrays.fill(decodeTimesteps, o.decodeTimestep());
        }
        float[] raw;
        if (rowSeeds == null) {
            raw = decode(model, backend, z, decodeTimesteps, o.seed(), batch, lf, lh, lw, o.tileLatents(), listener);
        } else {
            int in = z.length / batch;
            float[][] decoded = new float[batch][];
            for (int b = 0; b < batch; b++) {
                if (b > 0) listener.checkCancelled("decode of video " + (b + 1) + " of " + batch);
                float[] zb = java.util.Arrays.copyOfRange(z, b * in, (b + 1) * in);
                float[] tb = decodeTimesteps == null ? null : new float[] {decodeTimesteps[b]};
                decoded[b] = decode(model, backend, zb, tb, rowSeeds[b], 1, lf, lh, lw, o.tileLatents(), listener);
            }
            raw = new float[batch * decoded[0].length];
            for (int b = 0; b < batch; b++) System.arraycopy(decoded[b], 0, raw, b * decoded[b].length, decoded[b].length);
        }
        int frames = vae.decodedFrames(lf), height = lh * vae.decoderSpatialUpscale(), width = lw * vae.decoderSpatialUpscale();
        float[] pixels = toFrames(raw, batch, frames, height, width);
        record(listener, timings, "decode", t0);
        return new Video(batch, frames, height, width, pixels, latents, timings);
    }

    /** The VAE decode, in spatial tiles when {@code tileLatents} > 0; {@code noiseSeed} seeds the decoder's injected noise. */
    private static float[] decode(LtxModel model, ComputeBackend backend, float[] z, float[] decodeTimesteps, long noiseSeed, int batch,
                                  int lf, int lh, int lw, int tileLatents, ProgressListener listener) {
        return tileLatents > 0
                ? model.vae().decodeTiled(backend, z, decodeTimesteps, noiseSeed, batch, lf, lh, lw, tileLatents, tileLatents,
                        Math.min(tileLatents - 1, Math.max(1, tileLatents / 4)), listener)
                : model.vae().decode(backend, z, decodeTimesteps, noiseSeed, batch, lf, lh, lw);
    }

    /** Fills {@code count} values from {@code from} with standard normal draws. */
    private static void gaussians(SplittableRandom rnd, float[] into, int from, int count) {
        for (int i = 0; i < count; i++) into[from + i] = (float) rnd.nextGaussian();
    }

    /** (B, 3, F, H, W) in about [−1, 1] → (B, F, H, W, 3) = clamp(x/2 + 0.5, 0, 1), as the video processor does. */
    static float[] toFrames(float[] raw, int batch, int frames, int height, int width) {
        float[] out = new float[raw.length];
        int plane = height * width;
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < 3; c++)
                for (int f = 0; f < frames; f++)
                    for (int p = 0; p < plane; p++) {
                        float v = raw[((b * 3 + c) * frames + f) * plane + p];
                        out[((b * frames + f) * plane + p) * 3 + c] = Math.clamp(v / 2f + 0.5f, 0f, 1f);
                    }
        return out;
    }

    private static void record(ProgressListener listener, StageTimings timings, String stage, long startNanos) {
        double secs = (System.nanoTime() - startNanos) / 1e9;
        timings.add(stage, secs);
        listener.stage(stage, secs);
    }
}
