package mmgp.api;

/** One generated video: RGB floats in [0,1], (frames, height, width, 3). */
public record VideoResult(int frames, int width, int height, float frameRate, float[] rgb, long seed, StageTimings timings,
                          int batchSize) {
    public VideoResult {
        if (rgb.length != 3L * frames * width * height) {
            throw new IllegalArgumentException("rgb holds " + rgb.length + " values, not 3·" + frames + "·" + width + "·" + height);
        }
    }

    /** Writes the clip at its frame rate as MP4 (H.264), WebM or GIF, by {@code file}'s extension. */
    public void write(java.nio.file.Path file) throws java.io.IOException {
        mmgp.media.VideoWriter.write(file, rgb, frames, height, width, frameRate);
    }

    /** Writes the clip as an MP4 (H.264) whatever {@code file} is called. */
    public void writeMp4(java.nio.file.Path file) throws java.io.IOException {
        mmgp.media.VideoWriter.writeMp4(file, rgb, frames, height, width, frameRate);
    }
}
