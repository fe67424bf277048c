package mmgp.models.smolvlm;

import java.io.IOException;
import java.nio.file.Path;
import mmgp.media.VideoWriter;

/** The short MP4 the SmolVLM2 video tests understand: frames that differ, so sampling them matters. */
public final class SampleClip {
    private SampleClip() {}

    /**
     * 3 s at 4 fps, 48×32: a square (RGB 0.95, 0.1, {@code squareBlue}) moving right across a
     * gradient (red along x, green along y, blue 0.5), written to {@code file}, which is returned.
     */
    public static Path write(Path file, float squareBlue) throws IOException {
        int frames = 12, h = 32, w = 48;
        float[] rgb = new float[frames * h * w * 3];
        for (int f = 0; f < frames; f++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = ((f * h + y) * w + x) * 3;
                    boolean square = x >= f * 3 && x < f * 3 + 10 && y >= 8 && y < 18;
                    rgb[i] = square ? 0.95f : x / (float) w;
                    rgb[i + 1] = square ? 0.1f : y / (float) h;
                    rgb[i + 2] = square ? squareBlue : 0.5f;
                }
            }
        }
        VideoWriter.writeMp4(file, rgb, frames, h, w, 4);
        return file;
    }

    /** The clip with the square's blue at the background's 0.5. */
    public static Path write(Path file) throws IOException {
        return write(file, 0.5f);
    }
}
