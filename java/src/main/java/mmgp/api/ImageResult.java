package mmgp.api;

/** One generated image: RGB floats in [0,1], row-major (height, width, 3). */
public record ImageResult(int width, int height, float[] rgb, long seed, StageTimings timings, int batchSize) {
    public ImageResult {
        if (rgb.length != 3L * width * height) throw new IllegalArgumentException("rgb holds " + rgb.length + " values, not 3·" + width + "·" + height);
    }

    /** Writes the image as PNG, JPEG or BMP, by {@code file}'s extension (.png, .jpg/.jpeg, .bmp). */
    public void write(java.nio.file.Path file) throws java.io.IOException {
        mmgp.media.Frames.write(file, rgb, 0, height, width);
    }

    /** Writes the image as a PNG whatever {@code file} is called. */
    public void writePng(java.nio.file.Path file) throws java.io.IOException {
        mmgp.media.Frames.writePng(file, rgb, 0, height, width);
    }
}
