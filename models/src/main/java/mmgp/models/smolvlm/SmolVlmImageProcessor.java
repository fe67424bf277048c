package mmgp.models.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * transformers' slow {@code SmolVLMImageProcessor} (4.52.0.dev0), with Pillow's resampling
 * reproduced on uint8 pixels so results match bit for bit.
 *
 * <p>Per image: resize so the longest edge is {@code size.longest_edge} (the short edge
 * {@code int(long/aspect)} rounded up to even); with splitting, resize both edges up to multiples of
 * {@code max_image_size} ({@link #resizeForVisionEncoder}) and cut rows × cols tiles of
 * max_image_size, row-major, then append the whole image resized to max_image_size (the global
 * image); without splitting, resize to a max_image_size square. Then convert to RGB, rescale,
 * normalize and lay out channels first. Every output image is max_image_size square, so the
 * reference's padding never pads and pixel_attention_mask is all ones.
 *
 * <p>Pillow details kept: RGBA images are resized premultiplied ({@code RGBa}); grayscale and
 * palette images are resized with NEAREST (the reference hands single-channel arrays to PIL as
 * mode "P"); RGB conversion happens after resizing, compositing RGBA over white.
 */
public final class SmolVlmImageProcessor {

    /** transformers' MAX_IMAGE_SIZE: an upper bound applied after the longest-edge resize. */
    static final int MAX_IMAGE_SIZE = 4096;

    private static final ObjectMapper JSON = new ObjectMapper();

    // ================================================================ images

    /** How the pixels of an {@link Image} are laid out, named after the PIL mode they stand for. */
    public enum Mode {
        /** 8-bit grayscale, 1 channel. */
        L(1),
        /** Palette image, stored already looked up as RGB (3 channels); resized with NEAREST like PIL "P". */
        P(3),
        RGB(3),
        /** RGB with straight (not premultiplied) alpha, 4 channels. */
        RGBA(4);

        private final int channels;

        Mode(int channels) {
            this.channels = channels;
        }

        public int channels() {
            return channels;
        }
    }

    /**
     * An 8-bit image, pixels row-major, channels interleaved ({@code (H, W, C)}, as numpy holds a
     * PIL image). Treated as immutable: nothing here writes to a pixel array it was given.
     */
    public record Image(int width, int height, Mode mode, byte[] pixels) {
        public Image {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(pixels, "pixels");
            if (width < 1 || height < 1) {
                throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
            }
            if (pixels.length != (long) width * height * mode.channels()) {
                throw new IllegalArgumentException("expected " + (long) width * height * mode.channels()
                        + " bytes for a " + width + "x" + height + " " + mode + " image, got " + pixels.length);
            }
        }

        /** An RGB image from {@code (H, W, 3)} bytes. */
        public static Image rgb(int width, int height, byte[] pixels) {
            return new Image(width, height, Mode.RGB, pixels);
        }

        /** Channel {@code c} of pixel (x, y), 0..255. */
        public int sample(int x, int y, int c) {
            return pixels[(y * width + x) * mode.channels() + c] & 0xFF;
        }

        /** Reads an image file (PNG, JPEG, ...) through javax.imageio. */
        /** The most pixels {@link #read} decodes: larger files are refused from their header, before any decoding. */
        public static final long MAX_PIXELS = 64L << 20;
        /** The longest side {@link #read} decodes. */
        public static final int MAX_SIDE = 16384;

        public static Image read(Path file) throws IOException {
            checkDimensions(file);
            BufferedImage image = ImageIO.read(file.toFile());
            if (image == null) {
                throw new IOException(file + ": no javax.imageio reader for this file");
            }
            return fromBufferedImage(image);
        }

        /**
         * Reads only the header's width and height and refuses images over {@link #MAX_PIXELS} or
         * {@link #MAX_SIDE}: a small file can declare a huge image (a "decompression bomb") whose
         * decoding would take gigabytes.
         */
        static void checkDimensions(Path file) throws IOException {
            try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
                if (in == null) throw new IOException(file + ": cannot open");
                java.util.Iterator<javax.imageio.ImageReader> readers = ImageIO.getImageReaders(in);
                if (!readers.hasNext()) throw new IOException(file + ": no javax.imageio reader for this file");
                javax.imageio.ImageReader reader = readers.next();
                try {
                    reader.setInput(in, true, true);
                    long w = reader.getWidth(0), h = reader.getHeight(0);
                    if (w > MAX_SIDE || h > MAX_SIDE || w * h > MAX_PIXELS) {
                        throw new IOException(file + " is " + w + "×" + h + " pixels; images up to " + MAX_SIDE + " pixels a side and "
                                + (MAX_PIXELS >> 20) + " megapixels are accepted");
                    }
                } finally {
                    reader.dispose();
                }
            }
        }

        /**
         * The pixels as PIL would open the same file: raw samples, no colour management (a
         * grayscale image is not gamma-converted as {@link BufferedImage#getRGB} would do), 16-bit
         * samples cut to their high byte. Palettes are looked up ignoring their alpha, as the
         * reference does ({@code getpalette()} is RGB); gray+alpha becomes RGBA (the reference
         * rejects 2-channel images).
         */
        public static Image fromBufferedImage(BufferedImage image) {
            int width = image.getWidth();
            int height = image.getHeight();
            ColorModel model = image.getColorModel();
            Raster raster = image.getRaster();
            if (model instanceof IndexColorModel palette) {
                byte[] out = new byte[width * height * 3];
                int[] indices = raster.getSamples(0, 0, width, height, 0, (int[]) null);
                for (int i = 0; i < indices.length; i++) {
                    out[i * 3] = (byte) palette.getRed(indices[i]);
                    out[i * 3 + 1] = (byte) palette.getGreen(indices[i]);
                    out[i * 3 + 2] = (byte) palette.getBlue(indices[i]);
                }
                return new Image(width, height, Mode.P, out);
            }
            boolean rawSamples = (model instanceof ComponentColorModel || model instanceof DirectColorModel)
                    && !model.isAlphaPremultiplied()
                    && raster.getNumBands() == model.getNumComponents();
            int colors = model.getNumColorComponents();
            int colorSpace = model.getColorSpace().getType();
            if (rawSamples && colors == 1 && colorSpace == ColorSpace.TYPE_GRAY) {
                byte[] gray = samples8(raster, model, width, height);
                if (!model.hasAlpha()) {
                    return new Image(width, height, Mode.L, gray);
                }
                byte[] out = new byte[width * height * 4];
                for (int i = 0; i < width * height; i++) {
                    out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = gray[i * 2];
                    out[i * 4 + 3] = gray[i * 2 + 1];
                }
                return new Image(width, height, Mode.RGBA, out);
            }
            if (rawSamples && colors == 3 && colorSpace == ColorSpace.TYPE_RGB) {
                return new Image(width, height, model.hasAlpha() ? Mode.RGBA : Mode.RGB,
                        samples8(raster, model, width, height));
            }
            // Anything else (CMYK, premultiplied, custom): let Java convert to sRGB.
            boolean alpha = model.hasAlpha();
            int channels = alpha ? 4 : 3;
            byte[] out = new byte[width * height * channels];
            int[] row = new int[width];
            for (int y = 0; y < height; y++) {
                image.getRGB(0, y, width, 1, row, 0, width);
                for (int x = 0; x < width; x++) {
                    int argb = row[x];
                    int o = (y * width + x) * channels;
                    out[o] = (byte) (argb >>> 16);
                    out[o + 1] = (byte) (argb >>> 8);
                    out[o + 2] = (byte) argb;
                    if (alpha) {
                        out[o + 3] = (byte) (argb >>> 24);
                    }
                }
            }
            return new Image(width, height, alpha ? Mode.RGBA : Mode.RGB, out);
        }

        /** All bands of the raster as 8-bit values (16-bit: high byte, like PIL's ";16B" unpackers). */
        private static byte[] samples8(Raster raster, ColorModel model, int width, int height) {
            int bands = raster.getNumBands();
            int[] values = raster.getPixels(0, 0, width, height, (int[]) null);
            byte[] out = new byte[values.length];
            for (int i = 0; i < values.length; i++) {
                int bits = model.getComponentSize(i % bands);
                int v = values[i];
                out[i] = (byte) (bits == 8 ? v : bits > 8 ? v >>> (bits - 8) : v * 255 / ((1 << bits) - 1));
            }
            return out;
        }

        private Image crop(int x0, int y0, int x1, int y1) {
            int channels = mode.channels();
            int w = x1 - x0;
            byte[] out = new byte[w * (y1 - y0) * channels];
            for (int y = y0; y < y1; y++) {
                System.arraycopy(pixels, (y * width + x0) * channels, out, (y - y0) * w * channels, w * channels);
            }
            return new Image(w, y1 - y0, mode, out);
        }
    }

    // ================================================================ configuration

    /** A size spec: {@code {"longest_edge": n}} or {@code {"height": h, "width": w}}. */
    public record Size(int longestEdge, int height, int width) {
        public Size {
            boolean longest = longestEdge > 0 && height == 0 && width == 0;
            boolean exact = longestEdge == 0 && height > 0 && width > 0;
            if (!longest && !exact) {
                throw new IllegalArgumentException("size needs longest_edge or height and width: "
                        + longestEdge + ", " + height + "x" + width);
            }
        }

        public static Size longestEdge(int longestEdge) {
            return new Size(longestEdge, 0, 0);
        }

        public static Size of(int height, int width) {
            return new Size(0, height, width);
        }

        static Size fromJson(JsonNode node, String what) {
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(what + " must be an object with longest_edge or height/width: " + node);
            }
            if (node.has("longest_edge")) {
                return longestEdge(node.get("longest_edge").asInt());
            }
            if (node.has("height") && node.has("width")) {
                return of(node.get("height").asInt(), node.get("width").asInt());
            }
            throw new IllegalArgumentException(what + " must have longest_edge or height and width: " + node);
        }
    }

    /** Pillow's resampling filters by their integer codes (PIL.Image.Resampling). */
    public enum Resample {
        NEAREST(0, 0.0),
        LANCZOS(1, 3.0),
        BILINEAR(2, 1.0),
        BICUBIC(3, 2.0),
        BOX(4, 0.5),
        HAMMING(5, 1.0);

        private final int pilCode;
        private final double support;

        Resample(int pilCode, double support) {
            this.pilCode = pilCode;
            this.support = support;
        }

        /** The filter's support radius at scale 1 (Pillow's {@code filter->support}). */
        double support() {
            return support;
        }

        public static Resample ofPilCode(int code) {
            for (Resample r : values()) {
                if (r.pilCode == code) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown PIL resampling filter " + code);
        }

        /** The filter kernels of Pillow's Resample.c. */
        double filter(double x) {
            switch (this) {
                case BOX:
                    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
                case BILINEAR: {
                    double ax = Math.abs(x);
                    return ax < 1.0 ? 1.0 - ax : 0.0;
                }
                case HAMMING: {
                    double ax = Math.abs(x);
                    if (ax == 0.0) {
                        return 1.0;
                    }
                    if (ax >= 1.0) {
                        return 0.0;
                    }
                    ax = ax * Math.PI;
                    return StrictMath.sin(ax) / ax * ((double) 0.54f + (double) 0.46f * StrictMath.cos(ax));
                }
                case BICUBIC: {
                    final double a = -0.5;
                    double ax = Math.abs(x);
                    if (ax < 1.0) {
                        return ((a + 2.0) * ax - (a + 3.0)) * ax * ax + 1;
                    }
                    if (ax < 2.0) {
                        return (((ax - 5) * ax + 8) * ax - 4) * a;
                    }
                    return 0.0;
                }
                case LANCZOS:
                    return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
                default:
                    throw new IllegalStateException("NEAREST has no convolution kernel");
            }
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return StrictMath.sin(x) / x;
        }
    }

    /** The fields of preprocessor_config.json this processor uses, with the reference's defaults. */
    public record Config(boolean doConvertRgb, boolean doResize, Size size, Resample resample,
                         boolean doImageSplitting, int maxImageSize, boolean doRescale, double rescaleFactor,
                         boolean doNormalize, float[] imageMean, float[] imageStd) {
        public Config {
            Objects.requireNonNull(size, "size");
            Objects.requireNonNull(resample, "resample");
            if (maxImageSize < 1) {
                throw new IllegalArgumentException("max_image_size must be positive: " + maxImageSize);
            }
            if (imageMean.length != 3 || imageStd.length != 3) {
                throw new IllegalArgumentException("image_mean and image_std need 3 values");
            }
            imageMean = imageMean.clone();
            imageStd = imageStd.clone();
        }

        /** Reads preprocessor_config.json; absent fields take SmolVLMImageProcessor's defaults. */
        public static Config load(Path preprocessorConfig) throws IOException {
            JsonNode root = JSON.readTree(preprocessorConfig.toFile());
            if (root == null || !root.isObject()) {
                throw new IOException(preprocessorConfig + ": expected a JSON object");
            }
            try {
                return new Config(
                        root.path("do_convert_rgb").asBoolean(true),
                        root.path("do_resize").asBoolean(true),
                        root.has("size") ? Size.fromJson(root.get("size"), "size") : Size.longestEdge(4 * 364),
                        Resample.ofPilCode(root.path("resample").asInt(Resample.LANCZOS.pilCode)),
                        root.path("do_image_splitting").asBoolean(true),
                        root.has("max_image_size")
                                ? Size.fromJson(root.get("max_image_size"), "max_image_size").longestEdge() : 364,
                        root.path("do_rescale").asBoolean(true),
                        root.path("rescale_factor").asDouble(1 / 255.0),
                        root.path("do_normalize").asBoolean(true),
                        floats3(root.get("image_mean"), 0.5f),
                        floats3(root.get("image_std"), 0.5f));
            } catch (IllegalArgumentException e) {
                throw new IOException(preprocessorConfig + ": " + e.getMessage(), e);
            }
        }

        /** The mean/std as numpy casts them for a float32 image: {@code np.array(mean, dtype=float32)}. */
        private static float[] floats3(JsonNode node, float fallback) {
            if (node == null || node.isNull()) {
                return new float[] {fallback, fallback, fallback};
            }
            if (node.isNumber()) {
                float v = (float) node.asDouble();
                return new float[] {v, v, v};
            }
            float[] values = new float[node.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) node.get(i).asDouble();
            }
            return values;
        }
    }

    /** Tiles of one image and how it was split (0 × 0 when it was not). */
    public record Split(List<Image> frames, int rows, int cols) {
        public Split {
            frames = List.copyOf(frames);
        }
    }

    /**
     * Preprocessed images: {@code pixelValues} is {@code (numImages, 3, size, size)} float32 in
     * the order of the prompt's image runs; {@code rows[i]} / {@code cols[i]} give the split of
     * input image i (0 / 0 for an unsplit one, which contributes a single image).
     */
    public record Result(float[] pixelValues, int numImages, int size, int[] rows, int[] cols) {
        public long[] shape() {
            return new long[] {numImages, 3, size, size};
        }

        /** pixel_attention_mask {@code (numImages, size, size)}: all ones, as nothing is ever padded. */
        public int[] pixelAttentionMask() {
            int[] mask = new int[numImages * size * size];
            Arrays.fill(mask, 1);
            return mask;
        }
    }

    private final Config config;

    public SmolVlmImageProcessor(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public static SmolVlmImageProcessor load(Path checkpointFolder) throws IOException {
        return new SmolVlmImageProcessor(Config.load(checkpointFolder.resolve("preprocessor_config.json")));
    }

    public Config config() {
        return config;
    }

    // ================================================================ preprocessing

    /** {@link #preprocess(List, Size)} with the configured {@code size}. */
    public Result preprocess(List<Image> images) {
        return preprocess(images, config.size());
    }

    /**
     * The reference's {@code preprocess(images, size=size)} for the images of one prompt; the
     * processor passes {@code video_sampling.video_size} as {@code size} for video frames.
     */
    public Result preprocess(List<Image> images, Size size) {
        int m = config.maxImageSize();
        List<Image> processed = new ArrayList<>();
        int[] rows = new int[images.size()];
        int[] cols = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            Image image = Objects.requireNonNull(images.get(i), "image " + i);
            if (!config.doConvertRgb() && image.mode() != Mode.RGB) {
                throw new IllegalArgumentException("do_convert_rgb is off but image " + i + " is " + image.mode());
            }
            if (config.doResize()) {
                image = resize(image, size);
            }
            if (config.doImageSplitting()) {
                Split split = splitImage(resizeForVisionEncoder(image));
                processed.addAll(split.frames());
                rows[i] = split.rows();
                cols[i] = split.cols();
            } else {
                processed.add(resize(image, Size.of(m, m)));
            }
        }

        float[] pixelValues = new float[processed.size() * 3 * m * m];
        for (int n = 0; n < processed.size(); n++) {
            Image image = convertToRgb(processed.get(n));
            if (image.width() != m || image.height() != m) {
                throw new IllegalStateException("a processed image is " + image.width() + "x" + image.height()
                        + ", expected " + m + "x" + m);
            }
            writeChannelsFirst(image, pixelValues, n * 3 * m * m);
        }
        return new Result(pixelValues, processed.size(), m, rows, cols);
    }

    /** Rescale (float64 multiply, float32 result) then normalize in float32, as numpy does. */
    private void writeChannelsFirst(Image image, float[] out, int offset) {
        int plane = image.width() * image.height();
        byte[] pixels = image.pixels();
        for (int c = 0; c < 3; c++) {
            float mean = config.imageMean()[c];
            float std = config.imageStd()[c];
            for (int p = 0; p < plane; p++) {
                int v = pixels[p * 3 + c] & 0xFF;
                float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : v;
                if (config.doNormalize()) {
                    x = (x - mean) / std;
                }
                out[offset + c * plane + p] = x;
            }
        }
    }

    /**
     * The reference's {@code resize}: to {@code size.height × size.width}, or for a longest-edge
     * size keeping the aspect ratio (short edge {@code int(long/aspect)}, rounded up to even, at
     * least 1), then bounded by {@link #MAX_IMAGE_SIZE}.
     */
    public Image resize(Image image, Size size) {
        int height;
        int width;
        if (size.longestEdge() > 0) {
            int[] hw = rescaleToMaxLen(image.height(), image.width(), size.longestEdge());
            hw = scaleBelowUpperBound(hw[0], hw[1], MAX_IMAGE_SIZE);
            height = hw[0];
            width = hw[1];
        } else {
            height = size.height();
            width = size.width();
        }
        return PillowResize.resize(image, width, height, config.resample());
    }

    /** {@code _resize_output_size_rescale_to_max_len}; returns {height, width}. */
    static int[] rescaleToMaxLen(int height, int width, int maxLen) {
        double aspectRatio = (double) width / height;
        if (width >= height) {
            width = maxLen;
            height = (int) (width / aspectRatio);
            if (height % 2 != 0) {
                height += 1;
            }
        } else {
            height = maxLen;
            width = (int) (height * aspectRatio);
            if (width % 2 != 0) {
                width += 1;
            }
        }
        return new int[] {Math.max(height, 1), Math.max(width, 1)};
    }

    /** {@code _resize_output_size_scale_below_upper_bound}; returns {height, width}. */
    static int[] scaleBelowUpperBound(int height, int width, int maxLen) {
        double aspectRatio = (double) width / height;
        if (width >= height && width > maxLen) {
            width = maxLen;
            height = (int) (width / aspectRatio);
        } else if (height > width && height > maxLen) {
            height = maxLen;
            width = (int) (height * aspectRatio);
        }
        return new int[] {Math.max(height, 1), Math.max(width, 1)};
    }

    /**
     * The reference's {@code resize_for_vision_encoder}: the long edge up to a multiple of
     * max_image_size, the short edge {@code int(long'/aspect)} up to a multiple too.
     */
    public Image resizeForVisionEncoder(Image image) {
        int m = config.maxImageSize();
        int height = image.height();
        int width = image.width();
        double aspectRatio = (double) width / height;
        if (width >= height) {
            width = ceilDiv(width, m) * m;
            height = (int) (width / aspectRatio);
            height = ceilDiv(height, m) * m;
        } else {
            height = ceilDiv(height, m) * m;
            width = (int) (height * aspectRatio);
            width = ceilDiv(width, m) * m;
        }
        return PillowResize.resize(image, width, height, config.resample());
    }

    /**
     * The reference's {@code split_image}: an image larger than max_image_size becomes
     * {@code ceil(H/m) × ceil(W/m)} tiles (row-major) plus itself resized to m × m; a smaller one
     * stays whole with 0 rows and 0 columns.
     */
    public Split splitImage(Image image) {
        int m = config.maxImageSize();
        int height = image.height();
        int width = image.width();
        if (height <= m && width <= m) {
            return new Split(List.of(image), 0, 0);
        }
        int rows = ceilDiv(height, m);
        int cols = ceilDiv(width, m);
        int tileHeight = ceilDiv(height, rows);
        int tileWidth = ceilDiv(width, cols);
        List<Image> frames = new ArrayList<>(rows * cols + 1);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int x0 = c * tileWidth;
                int y0 = r * tileHeight;
                frames.add(image.crop(x0, y0, Math.min(x0 + tileWidth, width), Math.min(y0 + tileHeight, height)));
            }
        }
        // The reference resizes the global image with split_image's default filter, LANCZOS.
        frames.add(PillowResize.resize(image, m, m, Resample.LANCZOS));
        return new Split(frames, rows, cols);
    }

    private static int ceilDiv(int a, int b) {
        return Math.ceilDiv(a, b); // math.ceil(a / b) for the positive ints used here
    }

    /**
     * The reference's {@code convert_to_rgb} after resizing: PIL {@code convert("RGBA")}, alpha
     * composite over opaque white, {@code convert("RGB")}. Gray is replicated, palette images are
     * already RGB, RGB is unchanged (compositing opaque pixels is exact).
     */
    public static Image convertToRgb(Image image) {
        int n = image.width() * image.height();
        byte[] in = image.pixels();
        switch (image.mode()) {
            case RGB, P -> {
                return image.mode() == Mode.RGB ? image : new Image(image.width(), image.height(), Mode.RGB, in);
            }
            case L -> {
                byte[] out = new byte[n * 3];
                for (int i = 0; i < n; i++) {
                    out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = in[i];
                }
                return new Image(image.width(), image.height(), Mode.RGB, out);
            }
            case RGBA -> {
                byte[] out = new byte[n * 3];
                for (int i = 0; i < n; i++) {
                    int alpha = in[i * 4 + 3] & 0xFF;
                    for (int c = 0; c < 3; c++) {
                        out[i * 3 + c] = (byte) compositeOverWhite(in[i * 4 + c] & 0xFF, alpha);
                    }
                }
                return new Image(image.width(), image.height(), Mode.RGB, out);
            }
            default -> throw new IllegalStateException("unhandled mode " + image.mode());
        }
    }

    /** One channel of Pillow's ImagingAlphaComposite with an opaque white destination. */
    static int compositeOverWhite(int value, int alpha) {
        if (alpha == 0) {
            return 255;
        }
        final int precisionBits = 7;
        long blend = 255L * (255 - alpha);
        long outa255 = alpha * 255L + blend;
        long coef1 = alpha * 255L * 255L * (1 << precisionBits) / outa255;
        long coef2 = 255L * (1 << precisionBits) - coef1;
        long tmp = value * coef1 + 255 * coef2 + (0x80L << precisionBits);
        return (int) ((((tmp >> 8) + tmp) >> 8) >> precisionBits);
    }
}
