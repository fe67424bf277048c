package mmgp.media;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Decodes the frames of a video file (MP4, WebM, MOV... whatever FFmpeg opens) as 8-bit RGB
 * through javacv, reporting its metadata the way PyAV's reader in transformers does: frame count
 * from the stream ({@code stream.frames}), fps = the stream's average frame rate, duration =
 * frames / fps.
 *
 * <p>Frames are numbered in decode order from 0, as transformers enumerates
 * {@code container.decode(video=0)}. {@link #frame(int)} reads forward: skipped frames are decoded
 * but not converted to RGB; asking for an earlier frame than the last one reopens the file. Jumps
 * of more than {@link #SEEK_GAP_FRAMES} frames seek instead (to the keyframe before the target,
 * then decoding forward), which only pays off for jumps longer than a typical GOP.
 *
 * <p>Not thread-safe. Missing, unreadable or corrupt files raise {@link IOException}s naming the
 * file; FFmpeg's own errors never reach the JVM as crashes.
 */
public final class VideoReader implements AutoCloseable {
    /** Forward jumps longer than this many frames seek rather than decode every frame in between. */
    public static final int SEEK_GAP_FRAMES = 600;

    static {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR); // FFmpeg's decoder chatter is not the user's business
    }

    /** One decoded frame: {@code (height, width, 3)} bytes, row-major RGB. */
    public record RgbFrame(int index, int width, int height, byte[] rgb) {
        public RgbFrame {
            Objects.requireNonNull(rgb, "rgb");
            if (rgb.length != 3L * width * height) {
                throw new IllegalArgumentException("expected " + 3L * width * height + " bytes, got " + rgb.length);
            }
        }

        public BufferedImage toBufferedImage() {
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            int[] row = new int[width];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int i = (y * width + x) * 3;
                    row[x] = (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF);
                }
                image.setRGB(0, y, width, 1, row, 0, width);
            }
            return image;
        }
    }

    private final Path file;
    private final int frameCount;
    private final double fps;
    private final int width, height;
    private final int seekGapFrames;
    private FFmpegFrameGrabber grabber;
    /** Decode index of the frame the next grab returns. */
    private int nextIndex;

    private VideoReader(Path file, int seekGapFrames) throws IOException {
        this.file = file;
        this.seekGapFrames = seekGapFrames;
        this.grabber = start(file);
        try {
            AVStream stream = videoStream(grabber);
            AVRational rate = stream.avg_frame_rate();
            double averageRate = rate.den() != 0 ? avutil.av_q2d(rate) : 0;
            this.fps = averageRate > 0 ? averageRate : grabber.getVideoFrameRate();
            long streamFrames = stream.nb_frames();
            // Containers without a frame count (some WebM/MKV): estimate it from the duration, as javacv does.
            this.frameCount = streamFrames > 0 ? Math.toIntExact(streamFrames) : grabber.getLengthInVideoFrames();
            this.width = grabber.getImageWidth();
            this.height = grabber.getImageHeight();
        } catch (IOException | RuntimeException e) {
            closeQuietly(grabber);
            throw e;
        }
        if (frameCount <= 0 || !(fps > 0) || width <= 0 || height <= 0) {
            closeQuietly(grabber);
            throw new IOException(file + ": the video stream reports " + frameCount + " frames at " + fps + " fps, "
                    + width + "x" + height + "; cannot read frames from it");
        }
    }

    /** Opens {@code file} and reads its video stream's metadata. */
    public static VideoReader open(Path file) throws IOException {
        return new VideoReader(file, SEEK_GAP_FRAMES);
    }

    /** {@link #open} with another seek threshold (tests use a small one to exercise seeking). */
    static VideoReader open(Path file, int seekGapFrames) throws IOException {
        return new VideoReader(file, seekGapFrames);
    }

    public Path file() {
        return file;
    }

    /** Frames in the video stream, as the container reports them. */
    public int frameCount() {
        return frameCount;
    }

    /** The stream's average frame rate. */
    public double fps() {
        return fps;
    }

    /** {@code frameCount / fps}, PyAV's metadata duration. */
    public double durationSeconds() {
        return frameCount / fps;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /**
     * Frame {@code index} (decode order). Reading forward is cheapest; an earlier index reopens
     * the file.
     *
     * @throws IOException when the stream ends before that frame, or decoding fails
     */
    public RgbFrame frame(int index) throws IOException {
        if (index < 0 || index >= frameCount) {
            throw new IndexOutOfBoundsException("frame " + index + " outside the " + frameCount + " frames of " + file);
        }
        try {
            if (index < nextIndex) {
                closeQuietly(grabber);
                grabber = null;
                grabber = start(file);
                nextIndex = 0;
            }
            if (index - nextIndex > seekGapFrames) seekTo(index);
            while (nextIndex < index) {
                if (grabber.grabFrame(false, true, false, false, false) == null) throw endedEarly(index);
                nextIndex++;
            }
            Frame frame = grabber.grabFrame(false, true, true, false, false);
            if (frame == null || frame.image == null) throw endedEarly(index);
            nextIndex++;
            return new RgbFrame(index, frame.imageWidth, frame.imageHeight, packedRgb(frame));
        } catch (FrameGrabber.Exception e) {
            throw new IOException(file + ": cannot decode frame " + index + ": " + e.getMessage(), e);
        }
    }

    /** The frames at {@code indices} (any order, repeats allowed), each decoded once, in the order asked. */
    public List<RgbFrame> frames(int... indices) throws IOException {
        int[] sorted = Arrays.stream(indices).distinct().sorted().toArray();
        RgbFrame[] decoded = new RgbFrame[sorted.length];
        for (int i = 0; i < sorted.length; i++) decoded[i] = frame(sorted[i]);
        List<RgbFrame> out = new ArrayList<>(indices.length);
        for (int index : indices) out.add(decoded[Arrays.binarySearch(sorted, index)]);
        return out;
    }

    /** Seeks to the timestamp of frame {@code index}; javacv decodes forward from the keyframe before it. */
    private void seekTo(int index) throws FrameGrabber.Exception {
        grabber.setVideoFrameNumber(index);
        nextIndex = index;
    }

    private IOException endedEarly(int index) {
        return new IOException(file + ": the video ended after " + nextIndex + " frames, before frame " + index
                + " (the container announced " + frameCount + ")");
    }

    /** The frame's RGB bytes without the row padding FFmpeg adds (imageStride ≥ width × 3). */
    private static byte[] packedRgb(Frame frame) {
        int w = frame.imageWidth, h = frame.imageHeight, stride = frame.imageStride;
        ByteBuffer buffer = (ByteBuffer) frame.image[0];
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) buffer.get(y * stride, out, y * w * 3, w * 3);
        return out;
    }

    private static FFmpegFrameGrabber start(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(Files.exists(file) ? file + " is not a regular file" : "no such video file: " + file);
        }
        if (!Files.isReadable(file)) throw new IOException("cannot read " + file);
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
        grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        try {
            grabber.start();
        } catch (FrameGrabber.Exception | RuntimeException e) {
            closeQuietly(grabber);
            throw new IOException(file + " is not a video FFmpeg can open (corrupt or unsupported): " + e.getMessage(), e);
        }
        if (!grabber.hasVideo()) {
            closeQuietly(grabber);
            throw new IOException(file + " has no video stream");
        }
        return grabber;
    }

    /** The stream javacv decodes (the first video stream with a known codec). */
    private static AVStream videoStream(FFmpegFrameGrabber grabber) throws IOException {
        AVFormatContext format = grabber.getFormatContext();
        int index = grabber.getVideoStream();
        if (index < 0 || index >= format.nb_streams()) throw new IOException("no decodable video stream");
        return format.streams(index);
    }

    private static void closeQuietly(FFmpegFrameGrabber grabber) {
        if (grabber == null) return;
        try {
            grabber.close();
        } catch (FrameGrabber.Exception | RuntimeException ignored) {
            // closing after a failure: the first error is the one worth reporting
        }
    }

    @Override
    public void close() {
        closeQuietly(grabber);
        grabber = null;
    }
}
