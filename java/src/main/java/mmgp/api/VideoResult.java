package mmgp.api;

/** One generated video: RGB floats in [0,1], (frames, height, width, 3). */
public record VideoResult(int frames, int width, int height, float frameRate, float[] rgb, long seed, StageTimings timings,
                          int batchSize) {
    public VideoResult {
        if (rgb.length != 3L * frames * width * height) {
            throw new IllegalArgumentException("rgb holds " + rgb.length + " values, not 3·" + frames + "·" + width + "·" + height);
        }
    }
}
