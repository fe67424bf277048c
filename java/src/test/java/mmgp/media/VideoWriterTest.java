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

    static float[] gradient(int frames, int h, int w) {
        float[] rgb = new float[frames * h * w * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (i % 251) / 250f;
        return rgb;
    }

    @Test
    void theExtensionPicksTheContainer(@TempDir Path tmp) throws Exception {
        float[] rgb = gradient(5, 32, 48);
        Path gif = tmp.resolve("clip.GIF");
        VideoWriter.write(gif, rgb, 5, 32, 48, 12);
        assertThat(new String(Files.readAllBytes(gif), 0, 6, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("GIF89a");
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(gif.toFile())) {
            grabber.start();
            int n = 0;
            while (grabber.grabImage() != null) n++;
            assertThat(n).isEqualTo(5);
            grabber.stop();
        }
        Path mp4 = tmp.resolve("clip.mp4");
        VideoWriter.write(mp4, rgb, 5, 32, 48, 12);
        assertThat(new String(Files.readAllBytes(mp4), 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ftyp");
        Path webm = tmp.resolve("clip.webm");
        try {
            VideoWriter.write(webm, rgb, 5, 32, 48, 12);
            byte[] b = Files.readAllBytes(webm);
            assertThat(new byte[] {b[0], b[1], b[2], b[3]}).containsExactly(0x1A, 0x45, (byte) 0xDF, (byte) 0xA3); // EBML
        } catch (java.io.IOException e) {
            assertThat(e).hasMessageContaining("no VP8/VP9 encoder");
        }
        assertThatThrownBy(() -> VideoWriter.write(tmp.resolve("clip.avi"), rgb, 5, 32, 48, 12)).hasMessageContaining("use one of mp4, webm, gif");
    }

    @Test
    void imagesTooPickTheirFormatByExtension(@TempDir Path tmp) throws Exception {
        float[] rgb = gradient(1, 8, 8);
        Path jpg = tmp.resolve("a.jpeg");
        Frames.write(jpg, rgb, 0, 8, 8);
        byte[] b = Files.readAllBytes(jpg);
        assertThat(b[0] & 0xff).isEqualTo(0xFF);
        assertThat(b[1] & 0xff).isEqualTo(0xD8);
        Path png = tmp.resolve("a.png");
        new mmgp.api.ImageResult(8, 8, rgb, 1, null, 1).write(png);
        assertThat(javax.imageio.ImageIO.read(png.toFile()).getWidth()).isEqualTo(8);
        assertThatThrownBy(() -> Frames.write(tmp.resolve("a.tiff"), rgb, 0, 8, 8)).hasMessageContaining("use one of png, jpg, jpeg, bmp");
    }

    @Test
    void aProgressListenerCanBeALambda() {
        java.util.List<String> seen = new java.util.ArrayList<>();
        mmgp.api.ProgressListener l = mmgp.api.ProgressListener.onStep((stage, done, total, s) -> seen.add(stage + " " + done + "/" + total));
        l.step("denoise", 1, 4, 0.5);
        l.stage("decode", 1); // not a step: ignored
        assertThat(seen).containsExactly("denoise 1/4");
        assertThat(l.cancelled()).isFalse();
    }
}
