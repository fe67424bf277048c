package mmgp.api;

import java.util.Objects;

/** Knobs of an image request; {@code width}/{@code height} 0 mean the model's default size. */
public record ImageOptions(int steps, float guidanceScale, String negativePrompt, int width, int height, long seed) {
    public ImageOptions {
        Objects.requireNonNull(negativePrompt, "negativePrompt");
        InvalidRequestException.checkRange("steps", steps, 1, 1000);
        InvalidRequestException.checkRange("guidance_scale", guidanceScale, 0, 100);
        InvalidRequestException.checkRange("width", width, 0, 8192);
        InvalidRequestException.checkRange("height", height, 0, 8192);
    }

    public static ImageOptions defaults() {
        return new ImageOptions(12, 10f, "", 0, 0, 0L);
    }

    public ImageOptions withSteps(int s) {
        return new ImageOptions(s, guidanceScale, negativePrompt, width, height, seed);
    }

    public ImageOptions withGuidance(float g) {
        return new ImageOptions(steps, g, negativePrompt, width, height, seed);
    }

    public ImageOptions withNegativePrompt(String n) {
        return new ImageOptions(steps, guidanceScale, n, width, height, seed);
    }

    public ImageOptions withSize(int w, int h) {
        return new ImageOptions(steps, guidanceScale, negativePrompt, w, h, seed);
    }

    public ImageOptions withSeed(long s) {
        return new ImageOptions(steps, guidanceScale, negativePrompt, width, height, s);
    }
}
