package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.models.StageTimer;
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
 *
 * <p>Image → video as diffusers' LTXImageToVideoPipeline (0.33.1) does it: the image's VAE latent
 * (sampled, normalised) is latent frame 0 and stays fixed; the transformer gets a per-token
 * timestep t·(1 − mask), 0 on frame 0's tokens; the scheduler steps frames 1.. only. Guidance,
 * schedule and decode are those of text → video.
 */
public final class LtxPipeline {
    private LtxPipeline() {}

    /** Decode noise is drawn from {@code seed ^ DECODE_NOISE_SALT}, apart from the initial latents' stream. */
    private static final long DECODE_NOISE_SALT = 0x5DEECE66DL;
    /** The image latents' sample noise comes from {@code seed ^ IMAGE_NOISE_SALT}. */
    private static final long IMAGE_NOISE_SALT = 0x2545F4914F6CDD1DL;

    /**
     * The pipeline's knobs; diffusers' defaults except a CPU-sized frame count and resolution.
     * {@code timesteps} / {@code sigmas}: an explicit schedule (distilled models), else the
     * pipeline's linspace. {@code decodeTimesteps} and {@code decodeNoiseScales} drive the
     * timestep-conditioned VAE of 0.9.1+ (ignored by 0.9.0's): one value for every prompt or one
     * per prompt, as diffusers accepts a float or a list; null noise scales take the timesteps.
     */
    public record Options(int frames, int width, int height, int steps, float guidanceScale, String negativePrompt,
                          float frameRate, int maxSequenceLength, long seed, int tileLatents, long vaeMemoryBytes,
                          double[] timesteps, double[] sigmas, float[] decodeTimesteps, float[] decodeNoiseScales) {
        /** The 7-step timestep list of the distilled LTX releases (guidance off). */
        public static final double[] DISTILLED_TIMESTEPS = {1000, 993, 987, 981, 975, 909, 725};

        public Options {
            if (decodeTimesteps == null || decodeTimesteps.length == 0) throw new IllegalArgumentException("give at least one decode timestep");
            decodeTimesteps = decodeTimesteps.clone();
            checkDecode("decode timestep", decodeTimesteps);
            if (decodeNoiseScales != null) {
                if (decodeNoiseScales.length == 0) throw new IllegalArgumentException("decode noise scales: give at least one, or null for the timesteps");
                decodeNoiseScales = decodeNoiseScales.clone();
                checkDecode("decode noise scale", decodeNoiseScales);
            }
        }

        /**
         * Refuses decode timesteps or noise scales outside 0..1, naming {@code what}: the noise
         * scale is a mixing weight, and the VAE scales the timestep by its own multiplier
         * (about 1000), so 0..1 is the range the model was trained on.
         */
        public static void checkDecode(String what, float[] values) {
            for (float v : values) {
                if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException(what + " " + v + " is outside 0..1");
            }
        }

        public static Options defaults() {
            return new Options(49, 512, 320, 40, 3f, "", 24f, 128, 0L, 0, 0L, null, null, new float[] {0.05f}, null);
        }

        public Options with(int frames, int width, int height, int steps, float guidance, float frameRate, int maxSequenceLength, long seed) {
            return new Options(frames, width, height, steps, guidance, negativePrompt, frameRate, maxSequenceLength, seed, tileLatents, vaeMemoryBytes,
                    timesteps, sigmas, decodeTimesteps, decodeNoiseScales);
        }

        public Options withNegativePrompt(String negative) {
            return new Options(frames, width, height, steps, guidanceScale, negative, frameRate, maxSequenceLength, seed, tileLatents, vaeMemoryBytes,
                    timesteps, sigmas, decodeTimesteps, decodeNoiseScales);
        }

        public Options withTiles(int latentTile) {
            return new Options(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, maxSequenceLength, seed, latentTile, vaeMemoryBytes,
                    timesteps, sigmas, decodeTimesteps, decodeNoiseScales);
        }

        /**
         * The memory the VAE decode may plan for its compute buffer (bytes; 0 = the default
         * budget): the decode is whole when it fits, else in tiles sized to it
         * ({@link LtxVaeDecoder#decodeWithinBudget}). An explicit {@link #withTiles} wins.
         */
        public Options withVaeMemory(long bytes) {
            if (bytes < 0) throw new IllegalArgumentException("VAE memory budget must be positive (or 0 for the default), got " + bytes);
            return new Options(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, maxSequenceLength, seed, tileLatents, bytes,
                    timesteps, sigmas, decodeTimesteps, decodeNoiseScales);
        }

        /** An explicit schedule: timesteps (e.g. {@link #DISTILLED_TIMESTEPS}) or sigmas, one of the two. */
        public Options withSchedule(double[] explicitTimesteps, double[] explicitSigmas) {
            if (explicitTimesteps != null && explicitSigmas != null) throw new IllegalArgumentException("give timesteps or sigmas, not both");
            int n = explicitTimesteps != null ? explicitTimesteps.length : explicitSigmas != null ? explicitSigmas.length : steps;
            return new Options(frames, width, height, n, guidanceScale, negativePrompt, frameRate, maxSequenceLength, seed, tileLatents, vaeMemoryBytes,
                    explicitTimesteps, explicitSigmas, decodeTimesteps, decodeNoiseScales);
        }

        /** One decode timestep and noise scale for every prompt; a NaN noise scale takes the timestep. */
        public Options withDecode(float timestep, float noiseScale) {
            return withDecode(new float[] {timestep}, Float.isNaN(noiseScale) ? null : new float[] {noiseScale});
        }

        /**
         * Decode timesteps and noise scales, each one value for all prompts or one per prompt
         * (diffusers' {@code decode_timestep} / {@code decode_noise_scale} lists); null noise
         * scales take the timesteps.
         */
        public Options withDecode(float[] timesteps, float[] noiseScales) {
            return new Options(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, maxSequenceLength, seed, tileLatents, vaeMemoryBytes,
                    this.timesteps, sigmas, timesteps, noiseScales);
        }

        /** The decode timestep of each of {@code batch} videos. */
        public float[] decodeTimestepsFor(int batch) {
            return perVideo("decode timesteps", decodeTimesteps, batch);
        }

        /** The decode noise scale of each of {@code batch} videos (the timesteps when none are set). */
        public float[] decodeNoiseScalesFor(int batch) {
            return decodeNoiseScales == null ? decodeTimestepsFor(batch) : perVideo("decode noise scales", decodeNoiseScales, batch);
        }

        private static float[] perVideo(String what, float[] values, int batch) {
            if (values.length == batch) return values.clone();
            if (values.length != 1) throw new IllegalArgumentException(values.length + " " + what + " for " + batch + " prompts; give one, or one per prompt");
            float[] out = new float[batch];
            java.util.Arrays.fill(out, values[0]);
            return out;
        }

        boolean guided() {
            return guidanceScale > 1f;
        }
    }

    /** Frames in [0,1], (B, F, H, W, 3), the final packed latents, and the time per stage. */
    public record Video(int batch, int frames, int height, int width, float[] pixels, float[] latents, StageTimings timings) {}

    /**
     * Draws a caller fixes instead of taking them from the seed (null: from the seed), as the
     * golden cases replay torch's generator.
     *
     * @param initialLatents   packed latents (B, F'·H'·W', C), the pipeline's {@code latents=} argument
     *                         (text-to-video only)
     * @param initialNoise     the Gaussian latents (B, C, F', H', W') before the image's first frame
     *                         is put in (image-to-video's {@code randn_tensor(shape)})
     * @param imageLatentNoise per image, the noise of its VAE latent sample (N, C, 1, H', W')
     * @param decodeNoise      the noise (B, C, F', H', W') mixed into the latents before a
     *                         timestep-conditioned decode
     */
    public record Draws(float[] initialLatents, float[] initialNoise, float[] imageLatentNoise, float[] decodeNoise) {
        public static final Draws NONE = new Draws(null, null, null, null);
    }

    /** What a run can report besides progress: the tensors the golden cases record. All arrays are fresh copies. */
    public interface Trace {
        /**
         * Before the Euler step {@code step}: the latents it starts from and the guided velocity,
         * both packed (B, tokens, C), and the transformer's timestep, (rows) or (rows, tokens).
         */
        default void step(int step, float[] latents, float[] guidedVelocity, float[] transformerTimestep) {}

        /** The de-normalised latents, the decoder's input z and its timesteps (null without timestep conditioning). */
        default void decodeInput(float[] denormalized, float[] z, float[] decodeTimesteps) {}

        Trace NONE = new Trace() {};
    }

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
        return run(model, backend, prompts, null, o, listener, new Draws(initialLatents, null, null, decodeNoise), null, Trace.NONE);
    }

    /**
     * One seed per prompt ({@code o.seed()} is ignored): video {@code i}'s initial latents, decode
     * noise and VAE noise come from {@code seeds[i]} exactly as for a batch of one with that seed,
     * and with several prompts the VAE decodes row by row (its injected noise is one stream per
     * call), so each video is the one its prompt and seed give alone.
     */
    public static Video generateWithSeeds(LtxModel model, ComputeBackend backend, List<String> prompts, Options o, ProgressListener listener,
                                          long[] seeds) {
        return generateWithSeeds(model, backend, prompts, null, o, listener, seeds);
    }

    /**
     * Image → video as diffusers' {@code LTXImageToVideoPipeline}: each video starts from its
     * image (one per prompt, or one for all), which becomes the first latent frame and stays
     * fixed while the rest is denoised; see {@link LtxConditionImage} for the preprocessing.
     * With {@code images} null this is text → video.
     */
    public static Video generate(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images, Options o,
                                 ProgressListener listener) {
        return run(model, backend, prompts, images, o, listener, Draws.NONE, null, Trace.NONE);
    }

    /** As {@link #generateWithSeeds(LtxModel, ComputeBackend, List, Options, ProgressListener, long[])}, each video from its image when {@code images} is not null. */
    public static Video generateWithSeeds(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images, Options o,
                                          ProgressListener listener, long[] seeds) {
        if (seeds.length != prompts.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts; give one per prompt");
        return run(model, backend, prompts, images, o, listener, Draws.NONE, seeds.clone(), Trace.NONE);
    }

    /** Everything: images (null for text → video), replayed draws and a trace, for the golden cases. */
    public static Video generate(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images, Options o,
                                 ProgressListener listener, Draws draws, Trace trace) {
        return run(model, backend, prompts, images, o, listener, draws, null, trace);
    }

    private static Video run(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images, Options o,
                             ProgressListener listener, Draws draws, long[] rowSeeds, Trace trace) {
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
        boolean fromImage = images != null;
        if (fromImage && images.size() != 1 && images.size() != batch) {
            throw new IllegalArgumentException(images.size() + " images for " + batch + " prompts; give one image, or one per prompt");
        }
        if (fromImage && draws.initialLatents() != null) throw new IllegalArgumentException("image to video draws its own initial latents; give initialNoise");
        if (fromImage && model.transformer().config().patchSize() * model.transformer().config().patchSizeT() != 1) {
            throw new IllegalArgumentException("image to video needs a transformer with patch size 1 (LTX-Video's); this one has "
                    + model.transformer().config().patchSize() + "×" + model.transformer().config().patchSizeT());
        }
        float[] decodeTimestepPerVideo = o.decodeTimestepsFor(batch), noiseScalePerVideo = o.decodeNoiseScalesFor(batch);
        int lf = (o.frames() - 1) / temporal + 1, lh = o.height() / spatial, lw = o.width() / spatial;
        int tokens = lf * lh * lw, frameTokens = lh * lw;
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
        StageTimer.stageDone(listener, timings, "tokenize", t0);
        listener.stageStarted("encode");
        t0 = System.nanoTime();
        float[] promptEmbeds = model.textEncoder().encode(backend, ids);
        // T5-XXL is most of the checkpoint and is not needed again until the next prompt: its
        // mapped pages leave the process now, so denoising and decoding run without them resident.
        model.weights().releasePages("text_encoder.");
        StageTimer.stageDone(listener, timings, "encode", t0);
        listener.checkCancelled("text encoding");

        // 2. Latents, packed (B, tokens, C) with tokens in (f, h, w) order.
        float[] latents;
        if (draws.initialLatents() != null) {
            if (draws.initialLatents().length != batch * tokens * channels) {
                throw new IllegalArgumentException("initial latents hold " + draws.initialLatents().length + " values, expected " + batch + "×" + tokens + "×" + channels);
            }
            latents = draws.initialLatents().clone();
        } else if (draws.initialNoise() != null) {
            if (draws.initialNoise().length != batch * tokens * channels) {
                throw new IllegalArgumentException("initial noise holds " + draws.initialNoise().length + " values, expected " + batch + "×" + channels + "×" + tokens);
            }
            latents = pack(draws.initialNoise(), batch, channels, tokens);
        } else {
            latents = new float[batch * tokens * channels];
            if (rowSeeds == null) {
                gaussians(new SplittableRandom(o.seed()), latents, 0, latents.length);
            } else {
                for (int b = 0; b < batch; b++) gaussians(new SplittableRandom(rowSeeds[b]), latents, b * tokens * channels, tokens * channels);
            }
        }
        float[] firstFrame = null; // image to video: the images' normalised latents, packed (B, H'·W', C)
        if (fromImage) {
            listener.stageStarted("encode_image");
            t0 = System.nanoTime();
            firstFrame = imageLatents(model, backend, images, o, batch, lh, lw, draws.imageLatentNoise(), rowSeeds, listener);
            // latents = init·mask + noise·(1 − mask), mask 1 on latent frame 0 only
            for (int b = 0; b < batch; b++) {
                System.arraycopy(firstFrame, b * frameTokens * channels, latents, b * tokens * channels, frameTokens * channels);
            }
            StageTimer.stageDone(listener, timings, "encode_image", t0);
            listener.checkCancelled("image encoding");
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
        // Text to video: one timestep per row. Image to video: one per token, t·(1 − mask), so the
        // fixed first frame's tokens are embedded at timestep 0.
        float[] timestep = new float[fromImage ? rows * tokens : rows];
        try (Graph g = new Graph(backend, transformer.graphSize())) {
            LtxTransformer.Inputs in = transformer.inputs(g, rows, tokens, o.maxSequenceLength(), fromImage);
            Tensor out = g.output(g.name(transformer.build(g, in), "ltx_transformer_out"));
            transformer.setConditioning(g, in, promptEmbeds, mask, lf, lh, lw, rope);
            for (int step = 0; step < scheduler.steps(); step++) {
                long s0 = System.nanoTime();
                for (int copy = 0; copy < rows / batch; copy++) System.arraycopy(latents, 0, modelInput, copy * n, n);
                float t = scheduler.timestep(step);
                java.util.Arrays.fill(timestep, t);
                if (fromImage) for (int r = 0; r < rows; r++) java.util.Arrays.fill(timestep, r * tokens, r * tokens + frameTokens, 0f);
                transformer.setStep(g, in, modelInput, timestep);
                g.compute();
                float[] prediction = g.floats(out);
                if (guided) prediction = BatchedGuidance.combine(prediction, o.guidanceScale()); // uncond + g·(cond − uncond)
                trace.step(step, latents.clone(), prediction.clone(), timestep.clone());
                FlowMatchEulerStep.step(latents, prediction, scheduler.sigma(step), scheduler.sigma(step + 1));
                if (fromImage) { // the scheduler steps frames 1.. only; frame 0 is carried unchanged
                    for (int b = 0; b < batch; b++) {
                        System.arraycopy(firstFrame, b * frameTokens * channels, latents, b * tokens * channels, frameTokens * channels);
                    }
                }
                StageTimer.stepDone(listener, timings, step, scheduler.steps(), s0);
            }
        }

        // 4. Unpack (B, tokens, C) → (B, C, F', H', W'), de-normalise, decode, map to [0,1] frames.
        listener.stageStarted("decode");
        t0 = System.nanoTime();
        float[] unpacked = unpack(latents, batch, channels, tokens);
        float[] z = model.vae().denormalize(unpacked, batch, lf, lh, lw);
        float[] denormalized = z.clone();
        float[] decodeTimesteps = null;
        if (model.vae().timestepConditioned()) {
            // z = (1 − s)·latents + s·noise per video, then the VAE is conditioned on the decode timestep.
            int perRow = z.length / batch;
            float[] noise = draws.decodeNoise();
            if (noise == null) {
                noise = new float[z.length];
                if (rowSeeds == null) {
                    gaussians(new SplittableRandom(o.seed() ^ DECODE_NOISE_SALT), noise, 0, noise.length);
                } else {
                    for (int b = 0; b < batch; b++) gaussians(new SplittableRandom(rowSeeds[b] ^ DECODE_NOISE_SALT), noise, b * perRow, perRow);
                }
            } else if (noise.length != z.length) {
                throw new IllegalArgumentException("decode noise holds " + noise.length + " values, expected " + z.length);
            }
            for (int i = 0; i < z.length; i++) {
                float s = noiseScalePerVideo[i / perRow];
                z[i] = (1 - s) * z[i] + s * noise[i];
            }
            decodeTimesteps = decodeTimestepPerVideo;
        }
        trace.decodeInput(denormalized, z.clone(), decodeTimesteps == null ? null : decodeTimesteps.clone());
        float[] raw;
        if (rowSeeds == null) {
            raw = decode(model, backend, z, decodeTimesteps, o.seed(), batch, lf, lh, lw, o.tileLatents(), o.vaeMemoryBytes(), listener);
        } else {
            int in = z.length / batch;
            float[][] decoded = new float[batch][];
            for (int b = 0; b < batch; b++) {
                if (b > 0) listener.checkCancelled("decode of video " + (b + 1) + " of " + batch);
                float[] zb = java.util.Arrays.copyOfRange(z, b * in, (b + 1) * in);
                float[] tb = decodeTimesteps == null ? null : new float[] {decodeTimesteps[b]};
                decoded[b] = decode(model, backend, zb, tb, rowSeeds[b], 1, lf, lh, lw, o.tileLatents(), o.vaeMemoryBytes(), listener);
            }
            raw = new float[batch * decoded[0].length];
            for (int b = 0; b < batch; b++) System.arraycopy(decoded[b], 0, raw, b * decoded[b].length, decoded[b].length);
        }
        int frames = vae.decodedFrames(lf), height = lh * vae.decoderSpatialUpscale(), width = lw * vae.decoderSpatialUpscale();
        float[] pixels = toFrames(raw, batch, frames, height, width);
        StageTimer.stageDone(listener, timings, "decode", t0);
        return new Video(batch, frames, height, width, pixels, latents, timings);
    }

    /**
     * prepare_latents' image half: each image (resized and scaled to [−1, 1]) through the VAE
     * encoder as a one-frame video, a sample mean + exp(logvar/2)·noise of its latent
     * distribution, normalised per channel; returned packed per video, (B, H'·W', C). With one
     * image for several prompts it is encoded and sampled once and shared (diffusers broadcasts
     * it), unless each video has its own seed: then each samples with its own noise.
     */
    private static float[] imageLatents(LtxModel model, ComputeBackend backend, List<LtxConditionImage> images, Options o, int batch,
                                        int lh, int lw, float[] givenNoise, long[] rowSeeds, ProgressListener listener) {
        LtxVaeEncoder encoder = model.vaeEncoder();
        int c = encoder.config().latentChannels(), plane = lh * lw, perImage = c * plane;
        int samples = rowSeeds != null ? batch : images.size();
        if (givenNoise != null && givenNoise.length != samples * perImage) {
            throw new IllegalArgumentException("image latent noise holds " + givenNoise.length + " values, expected " + samples + "×" + c + "×1×" + lh + "×" + lw);
        }
        LtxVaeEncoder.LatentDistribution[] encoded = new LtxVaeEncoder.LatentDistribution[images.size()];
        for (int i = 0; i < images.size(); i++) {
            if (i > 0) listener.checkCancelled("encoding image " + (i + 1));
            encoded[i] = encoder.encodeImage(backend, images.get(i).pixels(o.width(), o.height()), 1, o.height(), o.width());
            if (encoded[i].frames() != 1 || encoded[i].height() != lh || encoded[i].width() != lw) {
                throw new IllegalStateException("the VAE encoder gives " + encoded[i].frames() + "×" + encoded[i].height() + "×" + encoded[i].width()
                        + " latents for one " + o.width() + "×" + o.height() + " frame, the decoder expects 1×" + lh + "×" + lw);
            }
        }
        SplittableRandom shared = rowSeeds == null && givenNoise == null ? new SplittableRandom(o.seed() ^ IMAGE_NOISE_SALT) : null;
        float[][] sampled = new float[samples][];
        for (int s = 0; s < samples; s++) {
            float[] noise;
            if (givenNoise != null) {
                noise = java.util.Arrays.copyOfRange(givenNoise, s * perImage, (s + 1) * perImage);
            } else {
                noise = new float[perImage];
                gaussians(shared != null ? shared : new SplittableRandom(rowSeeds[s] ^ IMAGE_NOISE_SALT), noise, 0, perImage);
            }
            float[] latent = encoded[images.size() == 1 ? 0 : s].sample(noise);
            sampled[s] = encoder.normalize(latent, 1, 1, lh, lw);
        }
        float[] packed = new float[batch * perImage];
        for (int b = 0; b < batch; b++) {
            float[] frame = pack(sampled[samples == 1 ? 0 : b], 1, c, plane);
            System.arraycopy(frame, 0, packed, b * perImage, perImage);
        }
        return packed;
    }

    /** (B, C, T) → (B, T, C): _pack_latents with patch size 1. */
    static float[] pack(float[] unpacked, int batch, int channels, int tokens) {
        float[] out = new float[unpacked.length];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < channels; c++)
                for (int t = 0; t < tokens; t++) out[(b * tokens + t) * channels + c] = unpacked[(b * channels + c) * tokens + t];
        return out;
    }

    /** (B, T, C) → (B, C, T): _unpack_latents with patch size 1. */
    static float[] unpack(float[] packed, int batch, int channels, int tokens) {
        float[] out = new float[packed.length];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < tokens; t++)
                for (int c = 0; c < channels; c++) out[(b * channels + c) * tokens + t] = packed[(b * tokens + t) * channels + c];
        return out;
    }

    /**
     * The VAE decode: in spatial tiles of {@code tileLatents} when that is set, else whole when
     * its compute buffer fits the memory budget and in tiles sized to the budget when not;
     * {@code noiseSeed} seeds the decoder's injected noise.
     */
    private static float[] decode(LtxModel model, ComputeBackend backend, float[] z, float[] decodeTimesteps, long noiseSeed, int batch,
                                  int lf, int lh, int lw, int tileLatents, long vaeMemoryBytes, ProgressListener listener) {
        return tileLatents > 0
                ? model.vae().decodeTiled(backend, z, decodeTimesteps, noiseSeed, batch, lf, lh, lw, tileLatents, tileLatents,
                        Math.min(tileLatents - 1, Math.max(1, tileLatents / 4)), listener)
                : model.vae().decodeWithinBudget(backend, z, decodeTimesteps, noiseSeed, batch, lf, lh, lw, vaeMemoryBytes, listener);
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

}
