package mmgp.models.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;

/**
 * SmolVLM2's video handling (transformers 4.52.0.dev0): which frames of a decoded video are used
 * ({@code smolvlm_sample_indices_fn}), the text announcing them (frame count in words via
 * num2words, duration as {@code str(timedelta)}, one {@code mm:ss} stamp per frame) and the
 * per-frame preprocessing (the image processor with {@code video_sampling.video_size} as size).
 *
 * <p>A video enters as a {@link Video}: metadata as a PyAV reader reports it (frame count from
 * the stream, fps = average rate, duration = frames / fps) plus random access to decoded frames,
 * so only the sampled frames need decoding.
 */
public final class SmolVlmVideoSampler {

    /** transformers' DEFAULT_VIDEO_INTRO. */
    static final String VIDEO_INTRO = "You are provided the following series of %s frames from a %s [H:MM:SS] video.\n";
    /** transformers' FRAME_TIMESTAMP_MESSAGE. */
    static final String FRAME_TIMESTAMP = "\nFrame from %s:";
    /** transformers' DEFAULT_MEDIA_OUTTRO. */
    static final String MEDIA_OUTTRO = "\n\n";

    /** What the video reader reports: total frames, native fps and duration in seconds. */
    public record VideoMetadata(int totalNumFrames, double fps, double duration) {
        /** The PyAV reader's metadata: {@code duration = total_num_frames / fps}. */
        public static VideoMetadata ofFrames(int totalNumFrames, double fps) {
            return new VideoMetadata(totalNumFrames, fps, fps != 0 ? totalNumFrames / fps : 0);
        }
    }

    /** A decoded (or decodable) video: metadata plus frame access by index. */
    public interface Video {
        VideoMetadata metadata();

        /** Frame {@code index} (0-based, < totalNumFrames) as RGB. */
        SmolVlmImageProcessor.Image frame(int index) throws IOException;

        /** A video held in memory, e.g. frames an MP4 decoder produced, at {@code fps}. */
        static Video ofFrames(List<SmolVlmImageProcessor.Image> frames, double fps) {
            List<SmolVlmImageProcessor.Image> copy = List.copyOf(frames);
            VideoMetadata metadata = VideoMetadata.ofFrames(copy.size(), fps);
            return new Video() {
                @Override
                public VideoMetadata metadata() {
                    return metadata;
                }

                @Override
                public SmolVlmImageProcessor.Image frame(int index) {
                    return copy.get(index);
                }
            };
        }

        /** {@link #ofFrames} for BufferedImages (converted as {@link SmolVlmImageProcessor.Image#fromBufferedImage}). */
        static Video ofBufferedImages(List<BufferedImage> frames, double fps) {
            List<SmolVlmImageProcessor.Image> images = new ArrayList<>(frames.size());
            for (BufferedImage frame : frames) {
                images.add(SmolVlmImageProcessor.Image.fromBufferedImage(frame));
            }
            return ofFrames(images, fps);
        }
    }

    /** The frames picked from one video and the prompt text describing them. */
    public record SampledVideo(VideoMetadata metadata, int[] frameIndices, List<SmolVlmImageProcessor.Image> frames) {
        public SampledVideo {
            frames = List.copyOf(frames);
            if (frames.size() != frameIndices.length) {
                throw new IllegalArgumentException(frameIndices.length + " indices but " + frames.size() + " frames");
            }
        }

        /** {@code mm:ss} of each sampled frame. */
        public List<String> timestamps() {
            List<String> stamps = new ArrayList<>(frameIndices.length);
            for (int index : frameIndices) {
                stamps.add(frameTimestamp(index, metadata.fps()));
            }
            return stamps;
        }

        /** The intro line that replaces the video item, e.g. "... series of four frames from a 0:00:12 ...". */
        public String intro() {
            return String.format(Locale.ROOT, VIDEO_INTRO, numberToWords(frames.size()),
                    durationText(metadata.duration()));
        }
    }

    /** preprocessor_config.json's {@code video_sampling}: target fps, frame cap and frame size. */
    public record Config(double fps, int maxFrames, SmolVlmImageProcessor.Size videoSize) {
        public Config {
            Objects.requireNonNull(videoSize, "videoSize");
            if (maxFrames < 1) {
                throw new IllegalArgumentException("max_frames must be positive: " + maxFrames);
            }
        }

        public static Config load(Path preprocessorConfig) throws IOException {
            JsonNode root = new ObjectMapper().readTree(preprocessorConfig.toFile());
            JsonNode sampling = root == null ? null : root.get("video_sampling");
            if (sampling == null || !sampling.isObject()) {
                throw new IOException(preprocessorConfig + ": no video_sampling object");
            }
            for (String key : List.of("fps", "max_frames", "video_size")) {
                if (!sampling.has(key)) {
                    throw new IOException(preprocessorConfig + ": video_sampling has no " + key);
                }
            }
            try {
                return new Config(sampling.get("fps").asDouble(), sampling.get("max_frames").asInt(),
                        SmolVlmImageProcessor.Size.fromJson(sampling.get("video_size"), "video_sampling.video_size"));
            } catch (IllegalArgumentException e) {
                throw new IOException(preprocessorConfig + ": " + e.getMessage(), e);
            }
        }
    }

    private final Config config;
    private final double skipSecs;

    /** @param skipSecs seconds skipped at both ends of long videos (the processor's default is 1) */
    public SmolVlmVideoSampler(Config config, double skipSecs) {
        this.config = Objects.requireNonNull(config, "config");
        this.skipSecs = skipSecs;
    }

    public Config config() {
        return config;
    }

    /** Picks and decodes the frames of {@code video} the model will see. */
    public SampledVideo sample(Video video) throws IOException {
        VideoMetadata metadata = video.metadata();
        int[] indices = sampleIndices(metadata, config.maxFrames(), config.fps(), skipSecs);
        List<SmolVlmImageProcessor.Image> frames = new ArrayList<>(indices.length);
        for (int index : indices) {
            frames.add(Objects.requireNonNull(video.frame(index), "frame " + index));
        }
        return new SampledVideo(metadata, indices, frames);
    }

    /** The sampled frames preprocessed as the processor does: the image processor at video_size. */
    public SmolVlmImageProcessor.Result preprocess(SmolVlmImageProcessor imageProcessor,
                                                   List<SmolVlmImageProcessor.Image> frames) {
        return imageProcessor.preprocess(frames, config.videoSize());
    }

    /**
     * {@code smolvlm_sample_indices_fn}: {@code round(targetFps × duration)} frames (at most
     * maxFrames, at least 1), spread evenly with {@code np.linspace(...).astype(int)} over the video,
     * or over [skip, end − skip] when {@code duration − 2·skip > maxFrames × targetFps}; repeated
     * indices collapse (np.unique), so a short video can give fewer frames.
     */
    public static int[] sampleIndices(VideoMetadata metadata, int maxFrames, double targetFps, double skipSecs) {
        int total = metadata.totalNumFrames();
        if (total <= 0) {
            throw new IllegalArgumentException("Invalid total_num_frames=" + total + " in metadata.");
        }
        double nativeFps = metadata.fps();
        double duration = metadata.duration();
        if (duration <= 0) {
            throw new IllegalArgumentException("Invalid duration_seconds=" + duration + " in metadata.");
        }
        long estimated = (long) Math.rint(targetFps * duration); // Python round(): half to even
        int desired = (int) Math.max(1, Math.min(estimated, maxFrames));

        int start = 0;
        int end = total - 1;
        if (skipSecs > 0 && (duration - 2 * skipSecs) > (maxFrames * targetFps)) {
            start = (int) (skipSecs * nativeFps);
            end = (int) (total - skipSecs * nativeFps);
        }
        start = Math.max(0, start);
        end = Math.min(end, total - 1);
        if (start >= end) {
            start = 0;
            end = total - 1;
        }
        TreeSet<Integer> unique = new TreeSet<>();
        for (double value : linspace(start, end, desired)) {
            unique.add((int) Math.floor(value)); // numpy >= 1.20 floors for integer dtypes
        }
        return unique.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@code np.linspace(start, stop, num)} in float64, endpoint included. */
    static double[] linspace(double start, double stop, int num) {
        double[] values = new double[num];
        if (num == 1) {
            values[0] = start;
            return values;
        }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) {
            values[i] = step == 0 ? i / (double) (num - 1) * (stop - start) + start : i * step + start;
        }
        values[num - 1] = stop;
        return values;
    }

    /** {@code f"{int(sec // 60):02d}:{int(sec % 60):02d}"} with {@code sec = index / fps}. */
    public static String frameTimestamp(int index, double fps) {
        double[] divMod = pythonDivMod(index / fps, 60);
        return String.format(Locale.ROOT, "%02d:%02d", (long) divMod[0], (long) divMod[1]);
    }

    /** Python's float {@code divmod} (CPython's float_divmod): floor quotient, remainder with the divisor's sign. */
    static double[] pythonDivMod(double a, double b) {
        double mod = a % b;
        double div = (a - mod) / b;
        if (mod != 0) {
            if ((b < 0) != (mod < 0)) {
                mod += b;
                div -= 1.0;
            }
        } else {
            mod = Math.copySign(0.0, b);
        }
        double floorDiv;
        if (div != 0) {
            floorDiv = Math.floor(div);
            if (div - floorDiv > 0.5) {
                floorDiv += 1.0;
            }
        } else {
            floorDiv = Math.copySign(0.0, a / b);
        }
        return new double[] {floorDiv, mod};
    }

    /** {@code str(timedelta(seconds=int(duration)))}: "H:MM:SS", or "D day(s), H:MM:SS". */
    public static String durationText(double durationSeconds) {
        long seconds = (long) durationSeconds; // int() truncates toward zero
        long days = Math.floorDiv(seconds, 86400);
        long rest = Math.floorMod(seconds, 86400);
        String clock = String.format(Locale.ROOT, "%d:%02d:%02d", rest / 3600, rest % 3600 / 60, rest % 60);
        if (days == 0) {
            return clock;
        }
        return days + (Math.abs(days) == 1 ? " day, " : " days, ") + clock;
    }

    // ---------------------------------------------------------------- num2words (English cardinals)

    private static final long[] CARD_VALUES;
    private static final String[] CARD_WORDS;

    static {
        // num2words' Num2Word_EN cards, largest first; "illion" names stop where a long ends.
        List<Long> values = new ArrayList<>();
        List<String> words = new ArrayList<>();
        String[] high = {"quintillion", "quadrillion", "trillion", "billion", "million"};
        long value = 1_000_000_000_000_000_000L;
        for (String word : high) {
            values.add(value);
            words.add(word);
            value /= 1000;
        }
        long[] mid = {1000, 100, 90, 80, 70, 60, 50, 40, 30};
        String[] midWords = {"thousand", "hundred", "ninety", "eighty", "seventy", "sixty", "fifty", "forty", "thirty"};
        for (int i = 0; i < mid.length; i++) {
            values.add(mid[i]);
            words.add(midWords[i]);
        }
        String[] low = {"twenty", "nineteen", "eighteen", "seventeen", "sixteen", "fifteen", "fourteen",
                "thirteen", "twelve", "eleven", "ten", "nine", "eight", "seven", "six", "five", "four", "three",
                "two", "one", "zero"};
        for (int i = 0; i < low.length; i++) {
            values.add((long) (low.length - 1 - i));
            words.add(low[i]);
        }
        CARD_VALUES = values.stream().mapToLong(Long::longValue).toArray();
        CARD_WORDS = words.toArray(String[]::new);
    }

    private record Words(String text, long value) {}

    /**
     * {@code num2words(n)} in English, e.g. 4 → "four", 21 → "twenty-one", 105 → "one hundred and
     * five", 1100 → "one thousand, one hundred" (num2words' splitnum/merge rules).
     */
    public static String numberToWords(long n) {
        if (n < 0) {
            if (n == Long.MIN_VALUE) {
                throw new IllegalArgumentException("number out of range: " + n);
            }
            return "minus " + numberToWords(-n);
        }
        return cardinal(n).text();
    }

    /** merge(merge(words(div) or "one", card), words(mod)) over the largest card not above n. */
    private static Words cardinal(long n) {
        for (int i = 0; i < CARD_VALUES.length; i++) {
            long card = CARD_VALUES[i];
            if (card > n) {
                continue;
            }
            long div = n == 0 ? 1 : n / card;
            long mod = n == 0 ? 0 : n % card;
            Words left = div == 1 ? new Words("one", 1) : cardinal(div);
            Words merged = merge(left, new Words(CARD_WORDS[i], card));
            return mod == 0 ? merged : merge(merged, cardinal(mod));
        }
        throw new IllegalStateException("no card for " + n);
    }

    /** Num2Word_EN.merge. */
    private static Words merge(Words left, Words right) {
        long l = left.value();
        long r = right.value();
        if (l == 1 && r < 100) {
            return right;
        } else if (100 > l && l > r) {
            return new Words(left.text() + "-" + right.text(), l + r);
        } else if (l >= 100 && 100 > r) {
            return new Words(left.text() + " and " + right.text(), l + r);
        } else if (r > l) {
            return new Words(left.text() + " " + right.text(), l * r);
        }
        return new Words(left.text() + ", " + right.text(), l + r);
    }
}
