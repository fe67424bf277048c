package mmgp.api;

import java.util.Objects;

/**
 * Knobs of an image request, with aMUSEd's (diffusers' AmusedPipeline) defaults.
 *
 * @param steps            denoising steps
 * @param guidanceScale    classifier-free guidance; 1 or less turns it off
 * @param negativePrompt   the unconditional prompt under guidance
 * @param width            image width in pixels; 0 is the model's default size
 * @param height           image height in pixels; 0 is the model's default size
 * @param seed             seed of the image's own random stream
 * @param temperatureStart start of the MaskGIT temperature annealing (diffusers' {@code temperature} pair)
 * @param temperatureEnd   its end; a single diffusers {@code temperature=t} is the pair (t, 0.01), see {@link Builder#temperature(float)}
 * @param aestheticScore   micro-conditioning: the aesthetic score the model is told (diffusers' {@code micro_conditioning_aesthetic_score})
 * @param cropX            micro-conditioning: the crop's left edge (diffusers' {@code micro_conditioning_crop_coord})
 * @param cropY            micro-conditioning: the crop's top edge
 */
public record ImageOptions(int steps, float guidanceScale, String negativePrompt, int width, int height, long seed,
                           float temperatureStart, float temperatureEnd, float aestheticScore, int cropX, int cropY) {
    public ImageOptions {
        Objects.requireNonNull(negativePrompt, "negativePrompt");
        InvalidRequestException.checkRange("steps", steps, 1, 1000);
        InvalidRequestException.checkRange("guidance_scale", guidanceScale, 0, 100);
        InvalidRequestException.checkRange("width", width, 0, 8192);
        InvalidRequestException.checkRange("height", height, 0, 8192);
        InvalidRequestException.checkRange("temperature_start", temperatureStart, 0, 100);
        InvalidRequestException.checkRange("temperature_end", temperatureEnd, 0, 100);
        InvalidRequestException.checkRange("aesthetic_score", aestheticScore, 0, 10);
        InvalidRequestException.checkRange("crop_x", cropX, 0, 8192);
        InvalidRequestException.checkRange("crop_y", cropY, 0, 8192);
    }

    /** 12 steps, guidance 10, the model's size, temperature annealed 2 → 0, aesthetic score 6, crop (0, 0). */
    public static ImageOptions defaults() {
        return new ImageOptions(12, 10f, "", 0, 0, 0L, 2f, 0f, 6f, 0, 0);
    }

    /** True when classifier-free guidance runs (an unconditional row per image). */
    public boolean guided() {
        return guidanceScale > 1f;
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public ImageOptions withSteps(int s) {
        return toBuilder().steps(s).build();
    }

    public ImageOptions withGuidance(float g) {
        return toBuilder().guidanceScale(g).build();
    }

    public ImageOptions withNegativePrompt(String n) {
        return toBuilder().negativePrompt(n).build();
    }

    public ImageOptions withSize(int w, int h) {
        return toBuilder().size(w, h).build();
    }

    public ImageOptions withSeed(long s) {
        return toBuilder().seed(s).build();
    }

    /** A copy under construction; {@link #build()} validates it. */
    public static final class Builder {
        private int steps, width, height, cropX, cropY;
        private float guidanceScale, temperatureStart, temperatureEnd, aestheticScore;
        private String negativePrompt;
        private long seed;

        private Builder(ImageOptions o) {
            steps = o.steps;
            guidanceScale = o.guidanceScale;
            negativePrompt = o.negativePrompt;
            width = o.width;
            height = o.height;
            seed = o.seed;
            temperatureStart = o.temperatureStart;
            temperatureEnd = o.temperatureEnd;
            aestheticScore = o.aestheticScore;
            cropX = o.cropX;
            cropY = o.cropY;
        }

        public Builder steps(int v) { steps = v; return this; }
        public Builder guidanceScale(float v) { guidanceScale = v; return this; }
        public Builder negativePrompt(String v) { negativePrompt = v; return this; }
        public Builder size(int w, int h) { width = w; height = h; return this; }
        public Builder seed(long v) { seed = v; return this; }

        /** The annealing from {@code start} to {@code end}, diffusers' {@code temperature=(start, end)}. */
        public Builder temperature(float start, float end) { temperatureStart = start; temperatureEnd = end; return this; }

        /** Diffusers' scalar {@code temperature=t}: annealed from t to 0.01. */
        public Builder temperature(float t) { return temperature(t, 0.01f); }

        /** The micro-conditioning: aesthetic score and crop coordinates (x, y). */
        public Builder microConditioning(float aesthetic, int x, int y) { aestheticScore = aesthetic; cropX = x; cropY = y; return this; }

        public ImageOptions build() {
            return new ImageOptions(steps, guidanceScale, negativePrompt, width, height, seed, temperatureStart, temperatureEnd, aestheticScore, cropX, cropY);
        }
    }
}
