package mmgp.api;

import java.util.Objects;

/** Knobs of a video request (frames are the model's 8·n+1; sizes multiples of its spatial factor). */
public record VideoOptions(int frames, int width, int height, int steps, float guidanceScale, String negativePrompt,
                           float frameRate, long seed) {
    public VideoOptions {
        Objects.requireNonNull(negativePrompt, "negativePrompt");
        InvalidRequestException.checkRange("frames", frames, 1, 1024);
        InvalidRequestException.checkRange("width", width, 1, 8192);
        InvalidRequestException.checkRange("height", height, 1, 8192);
        InvalidRequestException.checkRange("steps", steps, 1, 1000);
        InvalidRequestException.checkRange("guidance_scale", guidanceScale, 0, 100);
        InvalidRequestException.checkRange("frame_rate", frameRate, 1, 240);
    }

    /** A CPU-sized default: 49 frames of 512×320, 8 steps, guidance 3. */
    public static VideoOptions defaults() {
        return new VideoOptions(49, 512, 320, 8, 3f, "", 24f, 0L);
    }

    public VideoOptions withSize(int frameCount, int w, int h) {
        return new VideoOptions(frameCount, w, h, steps, guidanceScale, negativePrompt, frameRate, seed);
    }

    public VideoOptions withSteps(int s) {
        return new VideoOptions(frames, width, height, s, guidanceScale, negativePrompt, frameRate, seed);
    }

    public VideoOptions withGuidance(float g) {
        return new VideoOptions(frames, width, height, steps, g, negativePrompt, frameRate, seed);
    }

    public VideoOptions withNegativePrompt(String n) {
        return new VideoOptions(frames, width, height, steps, guidanceScale, n, frameRate, seed);
    }

    public VideoOptions withFrameRate(float fps) {
        return new VideoOptions(frames, width, height, steps, guidanceScale, negativePrompt, fps, seed);
    }

    public VideoOptions withSeed(long s) {
        return new VideoOptions(frames, width, height, steps, guidanceScale, negativePrompt, frameRate, s);
    }
}
