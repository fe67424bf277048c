package mmgp.api;

/** One generated image: RGB floats in [0,1], row-major (height, width, 3). */
public record ImageResult(int width, int height, float[] rgb, long seed, StageTimings timings, int batchSize) {
    public ImageResult {
        if (rgb.length != 3L * width * height) throw new IllegalArgumentException("rgb holds " + rgb.length + " values, not 3·" + width + "·" + height);
    }
}
