package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.api.InvalidRequestException;
import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;
import mmgp.api.VideoOptions;
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

    /**
     * What a run can report besides progress: the tensors the golden cases record. These are the
     * host-side values between graphs (the Euler step runs in Java), which {@code Graph.traceTo}
     * cannot see. All arrays are fresh copies.
     */
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

    /** Text → video, every video from one stream seeded with {@code o.seed()}. */
    public static Video generate(LtxModel model, ComputeBackend backend, List<String> prompts, VideoOptions o, ProgressListener listener) {
        return generate(model, backend, prompts, null, o, listener);
    }

    /**
     * Image → video as diffusers' {@code LTXImageToVideoPipeline}: each video starts from its
     * image (one per prompt, or one for all), which becomes the first latent frame and stays
     * fixed while the rest is denoised; see {@link LtxConditionImage} for the preprocessing.
     * With {@code images} null this is text → video.
     */
    public static Video generate(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images, VideoOptions o,
                                 ProgressListener listener) {
        return generate(model, backend, prompts, images, Collections.nCopies(prompts.size(), o), listener, Draws.NONE, Trace.NONE);
    }

    /**
     * Everything: images (null for text → video), one options per video, replayed draws and a
     * trace. The videos share one seed stream, so they must share one seed (for one seed per video:
     * {@link #generateWithSeeds}); their options may differ only in the decode timestep and noise
     * scale ({@link #perVideo}). What they leave open comes from the model's own defaults
     * ({@link LtxModel#defaults}), as in the engine.
     */
    public static Video generate(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images, List<VideoOptions> videos,
                                 ProgressListener listener, Draws draws, Trace trace) {
        return new Run(model, backend, prompts, images, videos, false, listener, draws, trace).video();
    }

    /**
     * One seed per video, each its options' own: video {@code i}'s initial latents, decode noise
     * and VAE noise come from {@code videos.get(i).seed()} exactly as for a batch of one with that
     * seed, and with several videos the VAE decodes them one by one (its injected noise is one
     * stream per call), so each video is the one its prompt, options (and image) give alone. The
     * options may differ only in the seed and the decode timestep and noise scale.
     */
    public static Video generateWithSeeds(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images,
                                          List<VideoOptions> videos, ProgressListener listener) {
        return new Run(model, backend, prompts, images, videos, true, listener, Draws.NONE, Trace.NONE).video();
    }

    /** {@link #generateWithSeeds(LtxModel, ComputeBackend, List, List, List, ProgressListener)} with {@code o} and one seed per prompt. */
    public static Video generateWithSeeds(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images, VideoOptions o,
                                          ProgressListener listener, long[] seeds) {
        if (seeds.length != prompts.size()) throw new IllegalArgumentException(seeds.length + " seeds for " + prompts.size() + " prompts; give one per prompt");
        List<VideoOptions> videos = new ArrayList<>(seeds.length);
        for (long seed : seeds) videos.add(o.withSeed(seed));
        return generateWithSeeds(model, backend, prompts, images, videos, listener);
    }

    /** Text → video with one seed per prompt. */
    public static Video generateWithSeeds(LtxModel model, ComputeBackend backend, List<String> prompts, VideoOptions o, ProgressListener listener,
                                          long[] seeds) {
        return generateWithSeeds(model, backend, prompts, null, o, listener, seeds);
    }

    /**
     * {@code o} once per video with decode timesteps and noise scales each given once for all or
     * once per video (diffusers' {@code decode_timestep} / {@code decode_noise_scale} lists);
     * null leaves that setting as {@code o} has it.
     */
    public static List<VideoOptions> perVideo(VideoOptions o, int videos, float[] decodeTimesteps, float[] decodeNoiseScales) {
        checkPerVideo("decode timesteps", decodeTimesteps, videos);
        checkPerVideo("decode noise scales", decodeNoiseScales, videos);
        List<VideoOptions> out = new ArrayList<>(videos);
        for (int i = 0; i < videos; i++) {
            out.add(o.withDecode(valueOf(decodeTimesteps, i, o.decodeTimestep()), valueOf(decodeNoiseScales, i, o.decodeNoiseScale())));
        }
        return out;
    }

    private static void checkPerVideo(String what, float[] values, int videos) {
        if (values == null) return;
        if (values.length != 1 && values.length != videos) {
            throw new IllegalArgumentException(values.length + " " + what + " for " + videos + " prompts; give one, or one per prompt");
        }
    }

    private static float valueOf(float[] values, int video, float otherwise) {
        return values == null ? otherwise : values[values.length == 1 ? 0 : video];
    }

    /** Refuses a frame count or size the VAE cannot take, naming the field: the engine's admission and the pipeline check here. */
    public static void checkShape(LtxModel model, VideoOptions o) {
        LtxVaeConfig vae = model.vae().config();
        int temporal = vae.temporalCompressionRatio(), spatial = vae.spatialCompressionRatio();
        if ((o.frames() - 1) % temporal != 0) {
            throw new InvalidRequestException("frames", "must be " + temporal + "·n + 1 (e.g. " + (temporal + 1) + ", " + (2 * temporal + 1) + ", "
                    + (6 * temporal + 1) + "), got " + o.frames());
        }
        if (o.width() % spatial != 0) throw new InvalidRequestException("width", "must be a multiple of " + spatial + " (the VAE's spatial factor), got " + o.width());
        if (o.height() % spatial != 0) throw new InvalidRequestException("height", "must be a multiple of " + spatial + " (the VAE's spatial factor), got " + o.height());
    }

    /**
     * The spatial tiling of {@link VideoOptions#tileLatents()}: square tiles of that many latents
     * overlapping by a quarter of a tile (at least one latent, less than a tile), blended as
     * diffusers' tiled decode (and, for the image's encode, tiled encode); the run and its cost
     * estimate share it.
     */
    public static VaeTiling spatialTiling(LtxVaeDecoder vae, int latentHeight, int latentWidth, int tileLatents) {
        return vae.spatialTiling(latentHeight, latentWidth, tileLatents, tileLatents, Math.min(tileLatents - 1, Math.max(1, tileLatents / 4)));
    }

    /**
     * The tiling of image to video's VAE encode of its {@code width × height} start image: the
     * spatial tiles of {@code tileLatents} when that is set ({@link #spatialTiling}), else
     * {@link VaeTiling#OFF} when the whole encode's compute buffer fits {@code vaeMemoryBytes}
     * (≤ 0: {@link VaeTiling#DEFAULT_BUDGET_BYTES}) and tiles sized to it when not (the decode's
     * rule); the run and its cost estimate share it.
     *
     * @throws VaeBudgetTooSmallException when even the smallest tile's buffer exceeds the budget
     */
    static VaeTiling imageEncodeTiling(LtxModel model, ComputeBackend backend, int height, int width, int tileLatents, long vaeMemoryBytes) {
        LtxVaeEncoder encoder = model.vaeEncoder();
        if (tileLatents > 0) {
            int[] latent = encoder.latentShape(1, height, width);
            return spatialTiling(model.vae(), latent[1], latent[2], tileLatents);
        }
        return encoder.tilingForBudget(backend, vaeMemoryBytes > 0 ? vaeMemoryBytes : VaeTiling.DEFAULT_BUDGET_BYTES, 1, 1, height, width);
    }

    /**
     * {@code listener} with the steps of part {@code part} of {@code parts} equal parts shifted
     * after the earlier parts': a step k of n becomes part·n + k of parts·n.
     */
    static ProgressListener offsetSteps(ProgressListener listener, int part, int parts) {
        if (parts == 1) return listener;
        return new ProgressListener() {
            @Override
            public void started(String stage) {
                listener.started(stage);
            }

            @Override
            public void stageStarted(String stage) {
                listener.stageStarted(stage);
            }

            @Override
            public void step(String stage, int done, int total, double seconds) {
                listener.step(stage, part * total + done, parts * total, seconds);
            }

            @Override
            public void stage(String stage, double seconds) {
                listener.stage(stage, seconds);
            }

            @Override
            public void text(String stage, String piece) {
                listener.text(stage, piece);
            }

            @Override
            public boolean cancelled() {
                return listener.cancelled();
            }

            @Override
            public void checkCancelled(String where) {
                listener.checkCancelled(where + " (part " + (part + 1) + " of " + parts + ")");
            }
        };
    }

    /** The options with the seed and decode pair cleared: what the videos of one run must agree on. */
    public static VideoOptions shared(VideoOptions o) {
        return o.toBuilder().seed(0).decode(VideoOptions.MODEL_DECODE, VideoOptions.MODEL_DECODE).build();
    }

    /** One call: the resolved options, the latent grid's shape and the stage timings, with a method per stage. */
    private static final class Run {
        private final LtxModel model;
        private final ComputeBackend backend;
        private final List<String> prompts;
        private final List<LtxConditionImage> images;
        private final List<VideoOptions> videos;
        /** What all videos share; its seed is the batch's stream. */
        private final VideoOptions o;
        /** Each video's own seed, or null when the batch draws from one stream. */
        private final long[] rowSeeds;
        private final ProgressListener listener;
        private final Draws draws;
        private final Trace trace;
        private final boolean fromImage, guided;
        private final int batch, rows, temporal, spatial, lf, lh, lw, tokens, frameTokens, channels;
        private final StageTimings timings = new StageTimings();

        Run(LtxModel model, ComputeBackend backend, List<String> prompts, List<LtxConditionImage> images, List<VideoOptions> videos, boolean seedPerVideo,
            ProgressListener listener, Draws draws, Trace trace) {
            if (prompts.isEmpty()) throw new IllegalArgumentException("at least one prompt is needed");
            if (videos.size() != prompts.size()) throw new IllegalArgumentException(videos.size() + " video options for " + prompts.size() + " prompts; give one per prompt");
            this.model = model;
            this.backend = backend;
            this.prompts = prompts;
            this.images = images;
            this.videos = videos.stream().map(v -> LtxDefaults.resolve(v, model.defaults())).toList();
            this.o = this.videos.getFirst();
            VideoOptions common = shared(o);
            for (VideoOptions v : this.videos) {
                if (!shared(v).equals(common)) throw new IllegalArgumentException("the videos of one run may differ only in seed and decode settings: " + v + " vs " + o);
                // one stream for the batch reads only the first seed: a different one would be silently ignored
                if (!seedPerVideo && v.seed() != o.seed()) {
                    throw new IllegalArgumentException("the videos have different seeds (" + o.seed() + ", " + v.seed() + ") but this call draws the batch "
                            + "from one stream seeded by the first; give them one seed, or call generateWithSeeds for one seed per video");
                }
            }
            this.rowSeeds = seedPerVideo ? this.videos.stream().mapToLong(VideoOptions::seed).toArray() : null;
            this.listener = listener;
            this.draws = draws;
            this.trace = trace;
            checkShape(model, o);
            LtxVaeConfig vae = model.vae().config();
            spatial = vae.spatialCompressionRatio();
            temporal = vae.temporalCompressionRatio();
            batch = prompts.size();
            fromImage = images != null;
            if (fromImage && images.size() != 1 && images.size() != batch) {
                throw new IllegalArgumentException(images.size() + " images for " + batch + " prompts; give one image, or one per prompt");
            }
            if (fromImage && draws.initialLatents() != null) throw new IllegalArgumentException("image to video draws its own initial latents; give initialNoise");
            if (fromImage && model.transformer().config().patchSize() * model.transformer().config().patchSizeT() != 1) {
                throw new IllegalArgumentException("image to video needs a transformer with patch size 1 (LTX-Video's); this one has "
                        + model.transformer().config().patchSize() + "×" + model.transformer().config().patchSizeT());
            }
            lf = (o.frames() - 1) / temporal + 1;
            lh = o.height() / spatial;
            lw = o.width() / spatial;
            tokens = lf * lh * lw;
            frameTokens = lh * lw;
            channels = model.transformer().config().inChannels();
            guided = o.guided();
            rows = guided ? 2 * batch : batch;
        }

        Video video() {
            PromptEmbeds text = encode(tokenize());
            float[] latents = initialLatents();
            float[] firstFrame = fromImage ? encodeImages(latents) : null;
            denoise(text, latents, firstFrame);
            return decode(latents);
        }

        /** T5 ids, negative rows first under guidance (diffusers' concat order), and the attention mask. */
        private Tokens tokenize() {
            long t0 = System.nanoTime();
            List<String> texts = new ArrayList<>();
            if (guided) for (int i = 0; i < batch; i++) texts.add(o.negativePrompt());
            texts.addAll(prompts);
            int length = o.maxSequenceLength();
            int[][] ids = new int[rows][];
            boolean[] mask = new boolean[rows * length];
            for (int r = 0; r < rows; r++) {
                T5Tokenizer.Encoding e = model.tokenizer().encode(texts.get(r), length);
                ids[r] = e.inputIds();
                for (int t = 0; t < ids[r].length; t++) mask[r * length + t] = e.attentionMask()[t] != 0;
            }
            StageTimer.stageDone(listener, timings, "tokenize", t0);
            return new Tokens(ids, mask);
        }

        private PromptEmbeds encode(Tokens tokens) {
            listener.stageStarted("encode");
            long t0 = System.nanoTime();
            float[] embeds = model.textEncoder().encode(backend, tokens.ids());
            // T5-XXL is most of the checkpoint and is not needed again until the next prompt: its
            // mapped pages leave the process now, so denoising and decoding run without them resident.
            model.weights().releasePages("text_encoder.");
            StageTimer.stageDone(listener, timings, "encode", t0);
            listener.checkCancelled("text encoding");
            return new PromptEmbeds(embeds, tokens.mask());
        }

        /** Packed (B, tokens, C) with tokens in (f, h, w) order: given, from given noise, else Gaussian from the seed(s). */
        private float[] initialLatents() {
            if (draws.initialLatents() != null) {
                if (draws.initialLatents().length != batch * tokens * channels) {
                    throw new IllegalArgumentException("initial latents hold " + draws.initialLatents().length + " values, expected " + batch + "×" + tokens + "×" + channels);
                }
                return draws.initialLatents().clone();
            }
            if (draws.initialNoise() != null) {
                if (draws.initialNoise().length != batch * tokens * channels) {
                    throw new IllegalArgumentException("initial noise holds " + draws.initialNoise().length + " values, expected " + batch + "×" + channels + "×" + tokens);
                }
                return pack(draws.initialNoise(), batch, channels, tokens);
            }
            float[] latents = new float[batch * tokens * channels];
            seededGaussians(latents, 0);
            return latents;
        }

        /**
         * {@code into} filled with standard normal draws: from {@code o.seed() ^ salt} in one
         * stream, or each video's part from its own {@code seed ^ salt}.
         */
        private void seededGaussians(float[] into, long salt) {
            if (rowSeeds == null) {
                gaussians(new SplittableRandom(o.seed() ^ salt), into, 0, into.length);
            } else {
                int perRow = into.length / batch;
                for (int b = 0; b < batch; b++) gaussians(new SplittableRandom(rowSeeds[b] ^ salt), into, b * perRow, perRow);
            }
        }

        /**
         * Image to video: the images' normalised latents, packed (B, H'·W', C), put in as latent
         * frame 0 (latents = init·mask + noise·(1 − mask), mask 1 on frame 0 only).
         */
        private float[] encodeImages(float[] latents) {
            listener.stageStarted("encode_image");
            long t0 = System.nanoTime();
            float[] firstFrame = imageLatents();
            keepFirstFrame(latents, firstFrame);
            StageTimer.stageDone(listener, timings, "encode_image", t0);
            listener.checkCancelled("image encoding");
            return firstFrame;
        }

        /**
         * prepare_latents' image half: each image (resized and scaled to [−1, 1]) through the VAE
         * encoder as a one-frame video, a sample mean + exp(logvar/2)·noise of its latent
         * distribution, normalised per channel; returned packed per video, (B, H'·W', C). With one
         * image for several prompts it is encoded and sampled once and shared (diffusers broadcasts
         * it), unless each video has its own seed: then each samples with its own noise.
         */
        private float[] imageLatents() {
            float[] givenNoise = draws.imageLatentNoise();
            LtxVaeEncoder encoder = model.vaeEncoder();
            int c = encoder.config().latentChannels(), plane = lh * lw, perImage = c * plane;
            int samples = rowSeeds != null ? batch : images.size();
            if (givenNoise != null && givenNoise.length != samples * perImage) {
                throw new IllegalArgumentException("image latent noise holds " + givenNoise.length + " values, expected " + samples + "×" + c + "×1×" + lh + "×" + lw);
            }
            LtxVaeEncoder.LatentDistribution[] encoded = new LtxVaeEncoder.LatentDistribution[images.size()];
            VaeTiling tiling = imageEncodeTiling(model, backend, o.height(), o.width(), o.tileLatents(), o.vaeMemoryBytes());
            for (int i = 0; i < images.size(); i++) {
                // every image has the same tiles: its steps continue the previous images' (the tiles check for cancelling)
                ProgressListener steps = offsetSteps(listener, i, images.size());
                encoded[i] = encoder.encodeVideo(backend, images.get(i).pixels(o.width(), o.height()), 1, 1, o.height(), o.width(), tiling, steps);
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
                    noise = Arrays.copyOfRange(givenNoise, s * perImage, (s + 1) * perImage);
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

        private void keepFirstFrame(float[] latents, float[] firstFrame) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(firstFrame, b * frameTokens * channels, latents, b * tokens * channels, frameTokens * channels);
            }
        }

        /** The flow-matching Euler loop: one transformer graph, recomputed each step with new latents and timestep. */
        private void denoise(PromptEmbeds text, float[] latents, float[] firstFrame) {
            FlowMatchEulerScheduler scheduler = scheduler();
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
                transformer.setConditioning(g, in, text.embeds(), text.mask(), lf, lh, lw, rope);
                for (int step = 0; step < scheduler.steps(); step++) {
                    long s0 = System.nanoTime();
                    for (int copy = 0; copy < rows / batch; copy++) System.arraycopy(latents, 0, modelInput, copy * n, n);
                    Arrays.fill(timestep, scheduler.timestep(step));
                    if (fromImage) for (int r = 0; r < rows; r++) Arrays.fill(timestep, r * tokens, r * tokens + frameTokens, 0f);
                    transformer.setStep(g, in, modelInput, timestep);
                    g.compute();
                    float[] prediction = g.floats(out);
                    if (guided) prediction = BatchedGuidance.combine(prediction, o.guidanceScale()); // uncond + g·(cond − uncond)
                    trace.step(step, latents.clone(), prediction.clone(), timestep.clone());
                    FlowMatchEulerStep.step(latents, prediction, scheduler.sigma(step), scheduler.sigma(step + 1));
                    if (fromImage) keepFirstFrame(latents, firstFrame); // the scheduler steps frames 1.. only
                    StageTimer.stepDone(listener, timings, step, scheduler.steps(), s0);
                }
            }
        }

        /** An explicit timestep or sigma list, else the pipeline's linspace, shifted for the latent token count. */
        private FlowMatchEulerScheduler scheduler() {
            FlowMatchEulerScheduler.Config sc = model.schedulerConfig();
            double mu = FlowMatchEulerScheduler.calculateShift(tokens, sc);
            return o.timestepArray() != null ? FlowMatchEulerScheduler.fromTimesteps(sc, o.timestepArray(), mu)
                    : o.sigmaArray() != null ? FlowMatchEulerScheduler.fromSigmas(sc, o.sigmaArray(), mu)
                    : FlowMatchEulerScheduler.forPipeline(sc, o.steps(), tokens);
        }

        /** Unpack (B, tokens, C) → (B, C, F', H', W'), de-normalise, mix in the decode noise, decode, map to [0,1] frames. */
        private Video decode(float[] latents) {
            listener.stageStarted("decode");
            long t0 = System.nanoTime();
            float[] z = model.vae().denormalize(unpack(latents, batch, channels, tokens), batch, lf, lh, lw);
            float[] denormalized = z.clone();
            float[] decodeTimesteps = model.vae().timestepConditioned() ? mixDecodeNoise(z) : null;
            trace.decodeInput(denormalized, z.clone(), decodeTimesteps == null ? null : decodeTimesteps.clone());
            float[] raw = rowSeeds == null ? vaeDecode(z, decodeTimesteps, o.seed(), batch) : vaeDecodeEach(z, decodeTimesteps);
            LtxVaeConfig vae = model.vae().config();
            int frames = vae.decodedFrames(lf), height = lh * vae.decoderSpatialUpscale(), width = lw * vae.decoderSpatialUpscale();
            float[] pixels = toFrames(raw, batch, frames, height, width);
            StageTimer.stageDone(listener, timings, "decode", t0);
            return new Video(batch, frames, height, width, pixels, latents, timings);
        }

        /**
         * z = (1 − s)·latents + s·noise per video, in place; returns each video's decode timestep,
         * which the VAE is conditioned on.
         */
        private float[] mixDecodeNoise(float[] z) {
            int perRow = z.length / batch;
            float[] noise = draws.decodeNoise();
            if (noise == null) {
                noise = new float[z.length];
                seededGaussians(noise, DECODE_NOISE_SALT);
            } else if (noise.length != z.length) {
                throw new IllegalArgumentException("decode noise holds " + noise.length + " values, expected " + z.length);
            }
            float[] timesteps = new float[batch];
            for (int b = 0; b < batch; b++) {
                timesteps[b] = videos.get(b).decodeTimestep();
                float s = videos.get(b).decodeNoiseScale();
                for (int i = b * perRow; i < (b + 1) * perRow; i++) z[i] = (1 - s) * z[i] + s * noise[i];
            }
            return timesteps;
        }

        /** One video at a time, each with its own seed's decoder noise, so a video does not depend on its batch. */
        private float[] vaeDecodeEach(float[] z, float[] decodeTimesteps) {
            int in = z.length / batch;
            float[] raw = null;
            for (int b = 0; b < batch; b++) {
                if (b > 0) listener.checkCancelled("decode of video " + (b + 1) + " of " + batch);
                float[] zb = Arrays.copyOfRange(z, b * in, (b + 1) * in);
                float[] tb = decodeTimesteps == null ? null : new float[] {decodeTimesteps[b]};
                float[] decoded = vaeDecode(zb, tb, rowSeeds[b], 1);
                if (raw == null) raw = new float[batch * decoded.length];
                System.arraycopy(decoded, 0, raw, b * decoded.length, decoded.length);
            }
            return raw;
        }

        /**
         * The VAE decode: in spatial tiles of {@code tileLatents} when that is set, else whole when
         * its compute buffer fits the memory budget and in tiles sized to the budget when not;
         * {@code noiseSeed} seeds the decoder's injected noise.
         */
        private float[] vaeDecode(float[] z, float[] decodeTimesteps, long noiseSeed, int videos) {
            int tile = o.tileLatents();
            LtxVaeDecoder vae = model.vae();
            return tile > 0
                    ? vae.decode(backend, z, decodeTimesteps, noiseSeed, videos, lf, lh, lw, spatialTiling(vae, lh, lw, tile), listener)
                    : vae.decodeWithinBudget(backend, z, decodeTimesteps, noiseSeed, videos, lf, lh, lw, o.vaeMemoryBytes(), listener);
        }
    }

    /** The T5 ids of all rows and their attention mask (rows × max sequence length). */
    private record Tokens(int[][] ids, boolean[] mask) {}

    /** The T5 embeddings of all rows and the attention mask that biases cross-attention. */
    private record PromptEmbeds(float[] embeds, boolean[] mask) {}

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
