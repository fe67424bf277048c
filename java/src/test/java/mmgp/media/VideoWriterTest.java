package mmgp.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoWriterTest {
    @Test
    void writesAnH264Mp4ThatDecodesBackToTheFrames(@TempDir Path tmp) throws Exception {
        int frames = 9, h = 64, w = 96;
        float[] rgb = new float[frames * h * w * 3];
        for (int f = 0; f < frames; f++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int i = ((f * h + y) * w + x) * 3;
                    rgb[i] = x / (float) w;
                    rgb[i + 1] = y / (float) h;
                    rgb[i + 2] = f / (float) frames;
                }
        Path file = tmp.resolve("clip.mp4");
        VideoWriter.writeMp4(file, rgb, frames, h, w, 24);
        assertThat(Files.size(file)).isGreaterThan(500);
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
            grabber.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24);
            grabber.start();
            assertThat(grabber.getVideoCodecName()).contains("h264");
            assertThat(grabber.getImageWidth()).isEqualTo(w);
            assertThat(grabber.getImageHeight()).isEqualTo(h);
            assertThat(grabber.getFrameRate()).isCloseTo(24.0, org.assertj.core.data.Offset.offset(0.01));
            int n = 0;
            double maxErr = 0;
            for (Frame fr; (fr = grabber.grabImage()) != null; n++) {
                var buf = (java.nio.ByteBuffer) fr.image[0];
                int at = 32 * fr.imageStride + 48 * 3;
                int r = buf.get(at) & 0xFF, b = buf.get(at + 2) & 0xFF;
                maxErr = Math.max(maxErr, Math.abs(r / 255.0 - 0.5));
                maxErr = Math.max(maxErr, Math.abs(b / 255.0 - n / (double) frames));
            }
            assertThat(n).isEqualTo(frames);
            assertThat(maxErr).as("lossy H.264 of smooth gradients").isLessThan(0.06);
            grabber.stop();
        }
    }

    @Test
    void oddSizesAreRefusedWithAClearMessage(@TempDir Path tmp) {
        assertThatThrownBy(() -> VideoWriter.writeMp4(tmp.resolve("x.mp4"), new float[3 * 3 * 3], 1, 3, 3, 24))
                .hasMessageContaining("even");
    }
}
