package mmgp.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Knobs of a video request (frames are the model's 8·n+1; sizes multiples of its spatial factor).
 * {@code steps} 0 ({@link #MODEL_STEPS}) and {@code guidanceScale} NaN ({@link #MODEL_GUIDANCE})
 * mean "the model's own default": the one its manifest recommends (e.g. a distilled model's fixed
 * timestep list and no guidance), else 8 steps / guidance 3.
 *
 * <p>{@code decodeTimestep} and {@code decodeNoiseScale} (each in 0..1) condition the decode of a
 * timestep-conditioned VAE (LTX-Video 0.9.1+; others ignore them): the latents are mixed with
 * that much noise, z = (1 − s)·latents + s·noise, and the decoder is told the timestep. NaN
 * ({@link #MODEL_DECODE}) is "not given": with neither given the model's recommended pair
 * applies (its manifest, else timestep 0.05); a noise scale left open takes the decode timestep,
 * as diffusers' {@code decode_noise_scale=None} does; a timestep left open is the model's.
 *
 * @param vaeMemoryBytes    the memory the VAE decode (and the start image's VAE encode) may plan for its compute
 *                          buffer (0: the default budget): whole when it fits, else in tiles sized to it, blended as
 *                          diffusers' tiled decode and tiled encode
 * @param maxSequenceLength T5 tokens the prompt is padded or cut to (diffusers' {@code max_sequence_length})
 * @param tileLatents       decode (and encode the start image) in spatial tiles of this many latents per side; 0 lets
 *                          {@code vaeMemoryBytes} decide
 * @param timesteps         an explicit timestep list (e.g. {@link #DISTILLED_TIMESTEPS}); empty: the pipeline's linspace.
 *                          Its length is the step count.
 * @param sigmas            an explicit sigma list instead (one of the two); empty: none
 */
public record VideoOptions(int frames, int width, int height, int steps, float guidanceScale, String negativePrompt,
                           float frameRate, long seed, long vaeMemoryBytes, float decodeTimestep, float decodeNoiseScale,
                           int maxSequenceLength, int tileLatents, List<Double> timesteps, List<Double> sigmas) {
    /** Steps value meaning "the model's recommended steps (or timestep list)". */
    public static final int MODEL_STEPS = 0;
    /** Guidance value meaning "the model's recommended guidance". */
    public static final float MODEL_GUIDANCE = Float.NaN;
    /** What the engine uses when the model recommends nothing (its manifest predates defaults, or it is a plain folder). */
    public static final int FALLBACK_STEPS = 8;
    public static final float FALLBACK_GUIDANCE = 3f;
    /** The decode timestep when neither the request nor the model gives one (diffusers' LTX default). */
    public static final float FALLBACK_DECODE_TIMESTEP = 0.05f;
    /** Decode timestep / noise scale value meaning "not given" (see the class comment for what applies). */
    public static final float MODEL_DECODE = Float.NaN;
    /** The 7-step timestep list of the distilled LTX releases (guidance off). */
    public static final List<Double> DISTILLED_TIMESTEPS = List.of(1000d, 993d, 987d, 981d, 975d, 909d, 725d);

    public VideoOptions {
        Objects.requireNonNull(negativePrompt, "negativePrompt");
        timesteps = copyOf("timesteps", timesteps);
        sigmas = copyOf("sigmas", sigmas);
        // the schedule first: with one, the steps are its length, and a list too long is the list's fault
        if (!timesteps.isEmpty() && !sigmas.isEmpty()) throw new InvalidRequestException("timesteps", "give timesteps or sigmas, not both");
        checkSchedule("timesteps", timesteps, 1000, steps);
        checkSchedule("sigmas", sigmas, 1, steps);
        InvalidRequestException.checkRange("frames", frames, 1, 1024);
        InvalidRequestException.checkRange("width", width, 1, 8192);
        InvalidRequestException.checkRange("height", height, 1, 8192);
        InvalidRequestException.checkRange("steps", steps, MODEL_STEPS, 1000);
        if (!Float.isNaN(guidanceScale)) InvalidRequestException.checkRange("guidance_scale", guidanceScale, 0, 100);
        InvalidRequestException.checkRange("frame_rate", frameRate, 1, 240);
        if (vaeMemoryBytes < 0) throw new InvalidRequestException("vae_memory_bytes", "must be 0 (the default budget) or a positive number of bytes, got " + vaeMemoryBytes);
        if (!Float.isNaN(decodeTimestep)) InvalidRequestException.checkRange("decode_timestep", decodeTimestep, 0, 1);
        if (!Float.isNaN(decodeNoiseScale)) InvalidRequestException.checkRange("decode_noise_scale", decodeNoiseScale, 0, 1);
        InvalidRequestException.checkRange("max_sequence_length", maxSequenceLength, 1, 1024);
        InvalidRequestException.checkRange("tile_latents", tileLatents, 0, 1024);
    }

    /** An unmodifiable copy; a missing value is the caller's request to fix, not a NullPointerException from List.copyOf. */
    private static List<Double> copyOf(String field, List<Double> values) {
        Objects.requireNonNull(values, field);
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) == null) throw new InvalidRequestException(field, "value " + (i + 1) + " of " + values.size() + " is missing (null)");
        }
        return List.copyOf(values);
    }

    /** A schedule list: at most 1000 values in [0, max], as many as the steps. */
    private static void checkSchedule(String field, List<Double> values, double max, int steps) {
        if (values.isEmpty()) return;
        if (values.size() > 1000) throw new InvalidRequestException(field, "at most 1000 values, got " + values.size());
        for (double v : values) InvalidRequestException.checkRange(field, v, 0, max);
        if (steps != values.size()) throw new InvalidRequestException("steps", "must be the " + values.size() + " " + field + " given, got " + steps);
    }

    /** A CPU-sized default: 49 frames of 512×320 at 24 fps, the model's own steps, guidance and decode settings, 128 T5 tokens. */
    public static VideoOptions defaults() {
        return new VideoOptions(49, 512, 320, MODEL_STEPS, MODEL_GUIDANCE, "", 24f, 0L, 0L, MODEL_DECODE, MODEL_DECODE, 128, 0, List.of(), List.of());
    }

    /** True when the steps are left to the model. */
    public boolean modelSteps() {
        return steps == MODEL_STEPS;
    }

    /** True when the guidance is left to the model. */
    public boolean modelGuidance() {
        return Float.isNaN(guidanceScale);
    }

    /** True when the request gives a decode timestep or noise scale, so the model's recommended pair does not apply as a whole. */
    public boolean decodeGiven() {
        return !Float.isNaN(decodeTimestep) || !Float.isNaN(decodeNoiseScale);
    }

    /** True when classifier-free guidance runs (an unconditional row per video); false while the guidance is left to the model. */
    public boolean guided() {
        return guidanceScale > 1f;
    }

    /** The explicit timesteps as an array, or null when there are none. */
    public double[] timestepArray() {
        return array(timesteps);
    }

    /** The explicit sigmas as an array, or null when there are none. */
    public double[] sigmaArray() {
        return array(sigmas);
    }

    private static double[] array(List<Double> values) {
        return values.isEmpty() ? null : values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public VideoOptions withSize(int frameCount, int w, int h) {
        return toBuilder().size(frameCount, w, h).build();
    }

    public VideoOptions withSteps(int s) {
        return toBuilder().steps(s).build();
    }

    public VideoOptions withGuidance(float g) {
        return toBuilder().guidanceScale(g).build();
    }

    public VideoOptions withNegativePrompt(String n) {
        return toBuilder().negativePrompt(n).build();
    }

    public VideoOptions withFrameRate(float fps) {
        return toBuilder().frameRate(fps).build();
    }

    /** See {@code vaeMemoryBytes}. */
    public VideoOptions withVaeMemory(long bytes) {
        return toBuilder().vaeMemoryBytes(bytes).build();
    }

    public VideoOptions withSeed(long s) {
        return toBuilder().seed(s).build();
    }

    /**
     * The decode timestep and noise scale (each 0..1, or {@link #MODEL_DECODE} to leave it open;
     * an open noise scale takes the decode timestep).
     */
    public VideoOptions withDecode(float timestep, float noiseScale) {
        return toBuilder().decode(timestep, noiseScale).build();
    }

    /** A copy under construction; {@link #build()} validates it. */
    public static final class Builder {
        private int frames, width, height, steps, maxSequenceLength, tileLatents;
        private float guidanceScale, frameRate, decodeTimestep, decodeNoiseScale;
        private String negativePrompt;
        private long seed, vaeMemoryBytes;
        private List<Double> timesteps, sigmas;

        private Builder(VideoOptions o) {
            frames = o.frames;
            width = o.width;
            height = o.height;
            steps = o.steps;
            guidanceScale = o.guidanceScale;
            negativePrompt = o.negativePrompt;
            frameRate = o.frameRate;
            seed = o.seed;
            vaeMemoryBytes = o.vaeMemoryBytes;
            decodeTimestep = o.decodeTimestep;
            decodeNoiseScale = o.decodeNoiseScale;
            maxSequenceLength = o.maxSequenceLength;
            tileLatents = o.tileLatents;
            timesteps = o.timesteps;
            sigmas = o.sigmas;
        }

        public Builder size(int frameCount, int w, int h) { frames = frameCount; width = w; height = h; return this; }
        public Builder guidanceScale(float v) { guidanceScale = v; return this; }
        public Builder negativePrompt(String v) { negativePrompt = v; return this; }
        public Builder frameRate(float v) { frameRate = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder vaeMemoryBytes(long v) { vaeMemoryBytes = v; return this; }
        public Builder decode(float timestep, float noiseScale) { decodeTimestep = timestep; decodeNoiseScale = noiseScale; return this; }
        public Builder maxSequenceLength(int v) { maxSequenceLength = v; return this; }
        public Builder tileLatents(int v) { tileLatents = v; return this; }

        /** Linspace steps ({@link #MODEL_STEPS} for the model's): drops an explicit schedule. */
        public Builder steps(int v) {
            steps = v;
            timesteps = List.of();
            sigmas = List.of();
            return this;
        }

        /** An explicit timestep list; the steps become its length. */
        public Builder timesteps(List<Double> values) {
            steps(values.size());
            timesteps = values;
            return this;
        }

        public Builder timesteps(double... values) {
            return timesteps(list(values));
        }

        /** An explicit sigma list; the steps become its length. */
        public Builder sigmas(double... values) {
            steps(values.length);
            sigmas = list(values);
            return this;
        }

        private static List<Double> list(double[] values) {
            List<Double> out = new ArrayList<>(values.length);
            for (double v : values) out.add(v);
            return out;
        }

        public VideoOptions build() {
            return new VideoOptions(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, seed, vaeMemoryBytes, decodeTimestep,
                    decodeNoiseScale, maxSequenceLength, tileLatents, timesteps, sigmas);
        }
    }
}
