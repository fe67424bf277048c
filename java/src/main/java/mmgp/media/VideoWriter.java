package mmgp.media;

import java.nio.ByteBuffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Writes frames as an MP4 (H.264, yuv420p) through FFmpeg (javacv). Frames are RGB floats in
 * [0,1], laid out (F, H, W, 3) as the pipelines return them.
 */
public final class VideoWriter {
    static {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR); // FFmpeg's encoder chatter is not the user's business
    }

    private VideoWriter() {}

    /** The containers {@link #write} knows, by file extension. */
    public static final java.util.List<String> FORMATS = java.util.List.of("mp4", "webm", "gif");

    /** An MP4 (H.264, yuv420p). */
    public static void writeMp4(Path file, float[] rgb, int frames, int height, int width, double fps) throws IOException {
        write(file, "mp4", rgb, frames, height, width, fps);
    }

    /** In the format {@code file}'s extension names (one of {@link #FORMATS}). */
    public static void write(Path file, float[] rgb, int frames, int height, int width, double fps) throws IOException {
        String ext = Frames.extension(file);
        if (!FORMATS.contains(ext)) throw new IllegalArgumentException("cannot write a video as ." + ext + " (" + file + "); use one of " + String.join(", ", FORMATS));
        write(file, ext, rgb, frames, height, width, fps);
    }

    /**
     * mp4: H.264 in yuv420p (even sizes). webm: VP9 in yuv420p, when this FFmpeg build has an
     * encoder for it (else an error saying so). gif: FFmpeg's GIF encoder on a fixed 8-bit
     * (3-3-2) palette, no dithering: small and universally playable, with visible banding.
     */
    private static void write(Path file, String format, float[] rgb, int frames, int height, int width, double fps) throws IOException {
        if (!format.equals("gif") && (width % 2 != 0 || height % 2 != 0)) {
            throw new IllegalArgumentException(format + " (yuv420p) needs even width and height, got " + width + "×" + height);
        }
        if ((long) frames * height * width * 3 != rgb.length) {
            throw new IllegalArgumentException("expected " + frames + "×" + height + "×" + width + "×3 values, got " + rgb.length);
        }
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), width, height, 0);
             Frame frame = new Frame(width, height, Frame.DEPTH_UBYTE, 3)) {
            recorder.setFormat(format);
            recorder.setFrameRate(fps);
            switch (format) {
                case "gif" -> {
                    recorder.setVideoCodec(avcodec.AV_CODEC_ID_GIF);
                    recorder.setPixelFormat(avutil.AV_PIX_FMT_RGB8);
                }
                case "webm" -> {
                    if (avcodec.avcodec_find_encoder(avcodec.AV_CODEC_ID_VP9) == null && avcodec.avcodec_find_encoder(avcodec.AV_CODEC_ID_VP8) == null) {
                        throw new IOException("this FFmpeg build has no VP8/VP9 encoder for .webm; write .mp4 or .gif");
                    }
                    recorder.setVideoCodec(avcodec.avcodec_find_encoder(avcodec.AV_CODEC_ID_VP9) != null ? avcodec.AV_CODEC_ID_VP9 : avcodec.AV_CODEC_ID_VP8);
                    recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
                    recorder.setVideoBitrate((int) Math.max(500_000, 0.2 * width * height * fps));
                }
                default -> {
                    recorder.setVideoCodec(avcodec.AV_CODEC_ID_H264);
                    recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
                    // Bitrate, not crf: the LGPL FFmpeg build encodes H.264 with openh264, which has no crf.
                    recorder.setVideoBitrate((int) Math.max(500_000, 0.2 * width * height * fps));
                }
            }
            recorder.start();
            ByteBuffer bytes = (ByteBuffer) frame.image[0];
            int stride = frame.imageStride;
            for (int f = 0; f < frames; f++) {
                int base = f * height * width * 3;
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width * 3; x++) {
                        bytes.put(y * stride + x, (byte) Math.round(Math.clamp(rgb[base + y * width * 3 + x], 0f, 1f) * 255f));
                    }
                }
                recorder.record(frame, avutil.AV_PIX_FMT_RGB24);
            }
            recorder.stop();
        } catch (FFmpegFrameRecorder.Exception e) {
            throw new IOException("cannot encode " + file + ": " + e.getMessage(), e);
        }
    }
}
