package mmgp.api;

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
 */
public record VideoOptions(int frames, int width, int height, int steps, float guidanceScale, String negativePrompt,
                           float frameRate, long seed, long vaeMemoryBytes, float decodeTimestep, float decodeNoiseScale) {
    /** Steps value meaning "the model's recommended steps (or timestep list)". */
    public static final int MODEL_STEPS = 0;
    /** Guidance value meaning "the model's recommended guidance". */
    public static final float MODEL_GUIDANCE = Float.NaN;
    /** What the engine uses when the model recommends nothing (its manifest predates defaults, or it is a plain folder). */
    public static final int FALLBACK_STEPS = 8;
    public static final float FALLBACK_GUIDANCE = 3f;
    /** Decode timestep / noise scale value meaning "not given" (see the class comment for what applies). */
    public static final float MODEL_DECODE = Float.NaN;

    public VideoOptions {
        Objects.requireNonNull(negativePrompt, "negativePrompt");
        InvalidRequestException.checkRange("frames", frames, 1, 1024);
        InvalidRequestException.checkRange("width", width, 1, 8192);
        InvalidRequestException.checkRange("height", height, 1, 8192);
        InvalidRequestException.checkRange("steps", steps, MODEL_STEPS, 1000);
        if (!Float.isNaN(guidanceScale)) InvalidRequestException.checkRange("guidance_scale", guidanceScale, 0, 100);
        InvalidRequestException.checkRange("frame_rate", frameRate, 1, 240);
        if (vaeMemoryBytes < 0) throw new InvalidRequestException("vae_memory_bytes", "must be 0 (the default budget) or a positive number of bytes, got " + vaeMemoryBytes);
        if (!Float.isNaN(decodeTimestep)) InvalidRequestException.checkRange("decode_timestep", decodeTimestep, 0, 1);
        if (!Float.isNaN(decodeNoiseScale)) InvalidRequestException.checkRange("decode_noise_scale", decodeNoiseScale, 0, 1);
    }

    /** With the model's decode timestep and noise scale. */
    public VideoOptions(int frames, int width, int height, int steps, float guidanceScale, String negativePrompt, float frameRate, long seed,
                        long vaeMemoryBytes) {
        this(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, seed, vaeMemoryBytes, MODEL_DECODE, MODEL_DECODE);
    }

    /** With the default VAE memory budget (0): whole decode when it fits 2 GiB of planned compute buffer, else tiles. */
    public VideoOptions(int frames, int width, int height, int steps, float guidanceScale, String negativePrompt, float frameRate, long seed) {
        this(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, seed, 0L);
    }

    /** A CPU-sized default: 49 frames of 512×320, the model's own steps and guidance. */
    public static VideoOptions defaults() {
        return new VideoOptions(49, 512, 320, MODEL_STEPS, MODEL_GUIDANCE, "", 24f, 0L);
    }

    /** True when the steps are left to the model. */
    public boolean modelSteps() {
        return steps == MODEL_STEPS;
    }

    /** True when the guidance is left to the model. */
    public boolean modelGuidance() {
        return Float.isNaN(guidanceScale);
    }

    public VideoOptions withSize(int frameCount, int w, int h) {
        return new VideoOptions(frameCount, w, h, steps, guidanceScale, negativePrompt, frameRate, seed, vaeMemoryBytes, decodeTimestep, decodeNoiseScale);
    }

    public VideoOptions withSteps(int s) {
        return new VideoOptions(frames, width, height, s, guidanceScale, negativePrompt, frameRate, seed, vaeMemoryBytes, decodeTimestep, decodeNoiseScale);
    }

    public VideoOptions withGuidance(float g) {
        return new VideoOptions(frames, width, height, steps, g, negativePrompt, frameRate, seed, vaeMemoryBytes, decodeTimestep, decodeNoiseScale);
    }

    public VideoOptions withNegativePrompt(String n) {
        return new VideoOptions(frames, width, height, steps, guidanceScale, n, frameRate, seed, vaeMemoryBytes, decodeTimestep, decodeNoiseScale);
    }

    public VideoOptions withFrameRate(float fps) {
        return new VideoOptions(frames, width, height, steps, guidanceScale, negativePrompt, fps, seed, vaeMemoryBytes, decodeTimestep, decodeNoiseScale);
    }

    /**
     * The memory the VAE decode may plan for its compute buffer (bytes; 0 = the default 2 GiB):
     * whole when it fits, else in tiles sized to it, blended as diffusers' tiled decode.
     */
    public VideoOptions withVaeMemory(long bytes) {
        return new VideoOptions(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, seed, bytes, decodeTimestep, decodeNoiseScale);
    }

    public VideoOptions withSeed(long s) {
        return new VideoOptions(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, s, vaeMemoryBytes, decodeTimestep, decodeNoiseScale);
    }

    /**
     * The decode timestep and noise scale (each 0..1, or {@link #MODEL_DECODE} to leave it open;
     * an open noise scale takes the decode timestep).
     */
    public VideoOptions withDecode(float timestep, float noiseScale) {
        return new VideoOptions(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, seed, vaeMemoryBytes, timestep, noiseScale);
    }

    /** True when the request gives a decode timestep or noise scale, so the model's recommended pair does not apply as a whole. */
    public boolean decodeGiven() {
        return !Float.isNaN(decodeTimestep) || !Float.isNaN(decodeNoiseScale);
    }
}
