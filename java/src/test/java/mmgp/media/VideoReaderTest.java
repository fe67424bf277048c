package mmgp.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small MP4 written with {@link VideoWriter}, read back frame by frame. */
class VideoReaderTest {
    static final int FRAMES = 12, WIDTH = 64, HEIGHT = 48;
    static final double FPS = 4;

    @TempDir
    static Path dir;

    static Path video;

    @BeforeAll
    static void writeVideo() throws IOException {
        float[] rgb = new float[FRAMES * HEIGHT * WIDTH * 3];
        for (int f = 0; f < FRAMES; f++) {
            float[] color = color(f);
            for (int p = 0; p < HEIGHT * WIDTH; p++) System.arraycopy(color, 0, rgb, (f * HEIGHT * WIDTH + p) * 3, 3);
        }
        video = dir.resolve("clip.mp4");
        VideoWriter.writeMp4(video, rgb, FRAMES, HEIGHT, WIDTH, FPS);
    }

    /** A flat colour that tells the frames apart after H.264 (red ramps up, green down). */
    static float[] color(int frame) {
        return new float[] {(20 + frame * 18) / 255f, (230 - frame * 18) / 255f, 128 / 255f};
    }

    @Test
    void metadataLikePyAv() throws IOException {
        try (VideoReader reader = VideoReader.open(video)) {
            assertThat(reader.frameCount()).isEqualTo(FRAMES);
            assertThat(reader.fps()).isEqualTo(FPS);
            assertThat(reader.durationSeconds()).isEqualTo(FRAMES / FPS);
            assertThat(reader.width()).isEqualTo(WIDTH);
            assertThat(reader.height()).isEqualTo(HEIGHT);
        }
    }

    @Test
    void decodesRequestedFramesInTheOrderAsked() throws IOException {
        try (VideoReader reader = VideoReader.open(video)) {
            int[] wanted = {7, 0, 11, 7, 3};
            List<VideoReader.RgbFrame> frames = reader.frames(wanted);
            assertThat(frames).hasSize(wanted.length);
            for (int i = 0; i < wanted.length; i++) {
                assertThat(frames.get(i).index()).isEqualTo(wanted[i]);
                assertThat(frames.get(i).width()).isEqualTo(WIDTH);
                assertThat(frames.get(i).height()).isEqualTo(HEIGHT);
                assertColor(frames.get(i), color(wanted[i]));
            }
            assertThat(frames.get(0)).isSameAs(frames.get(3));
        }
    }

    @Test
    void goingBackReopensAndSeekingGivesTheSameFrames() throws IOException {
        byte[][] sequential = new byte[FRAMES][];
        try (VideoReader reader = VideoReader.open(video)) {
            for (int f = 0; f < FRAMES; f++) sequential[f] = reader.frame(f).rgb();
            assertThat(reader.frame(2).rgb()).isEqualTo(sequential[2]);
            assertThat(reader.frame(9).rgb()).isEqualTo(sequential[9]);
        }
        try (VideoReader seeking = VideoReader.open(video, 2)) {
            for (int f : new int[] {1, 6, 10}) assertThat(seeking.frame(f).rgb()).as("frame %d after a seek", f).isEqualTo(sequential[f]);
        }
    }

    @Test
    void toBufferedImageKeepsThePixels() throws IOException {
        try (VideoReader reader = VideoReader.open(video)) {
            VideoReader.RgbFrame frame = reader.frame(5);
            int argb = frame.toBufferedImage().getRGB(10, 20);
            int i = (20 * WIDTH + 10) * 3;
            assertThat(argb & 0xFFFFFF).isEqualTo((frame.rgb()[i] & 0xFF) << 16 | (frame.rgb()[i + 1] & 0xFF) << 8 | (frame.rgb()[i + 2] & 0xFF));
        }
    }

    @Test
    void clearErrors() throws IOException {
        assertThatThrownBy(() -> VideoReader.open(dir.resolve("missing.mp4")))
                .isInstanceOf(IOException.class).hasMessageContaining("no such video file");
        Path garbage = dir.resolve("garbage.mp4");
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        Files.write(garbage, noise);
        assertThatThrownBy(() -> VideoReader.open(garbage)).isInstanceOf(IOException.class).hasMessageContaining(garbage.toString());
        Path truncated = dir.resolve("truncated.mp4");
        byte[] whole = Files.readAllBytes(video);
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 3));
        assertThatThrownBy(() -> {
            try (VideoReader reader = VideoReader.open(truncated)) {
                for (int f = 0; f < reader.frameCount(); f++) reader.frame(f);
            }
        }).isInstanceOf(IOException.class).hasMessageContaining(truncated.toString());
        try (VideoReader reader = VideoReader.open(video)) {
            assertThatThrownBy(() -> reader.frame(FRAMES)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    /** Every pixel within H.264's error of the drawn colour. */
    static void assertColor(VideoReader.RgbFrame frame, float[] expected) {
        byte[] rgb = frame.rgb();
        for (int p = 0; p < rgb.length; p++) {
            int want = Math.round(expected[p % 3] * 255);
            assertThat(rgb[p] & 0xFF).as("frame %d byte %d", frame.index(), p).isCloseTo(want, org.assertj.core.data.Offset.offset(8));
        }
    }
}
