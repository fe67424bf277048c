package mmgp.models.smolvlm;

import mmgp.models.smolvlm.SmolVlmImageProcessor.Image;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Mode;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Resample;

/** Pillow's {@code Image.resize}, bit for bit: what the Hugging Face image processors (and LTX's image conditioning) resize with. */
public final class PillowResize {
    private PillowResize() {}

    /**
     * {@code PIL.Image.resize((width, height), resample)} for the image's mode: same size is a
     * copy; palette and grayscale images use NEAREST (as the reference's "P" conversion makes
     * PIL do); RGBA is resized premultiplied; everything else by Pillow's 8-bit two-pass
     * convolution (horizontal first) with 22-bit fixed-point coefficients.
     */
    public static Image resize(Image image, int width, int height, Resample resample) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("height and width must be > 0: " + width + "x" + height);
        }
        if (width == image.width() && height == image.height()) {
            return image;
        }
        if (image.mode() == Mode.L || image.mode() == Mode.P) {
            resample = Resample.NEAREST;
        }
        int channels = image.mode().channels();
        if (resample == Resample.NEAREST) {
            return new Image(width, height, image.mode(),
                    nearest(image.pixels(), image.width(), image.height(), channels, width, height));
        }
        byte[] pixels = image.pixels();
        if (image.mode() == Mode.RGBA) {
            pixels = premultiply(pixels);
        }
        byte[] out = convolve(pixels, image.width(), image.height(), channels, width, height, resample);
        if (image.mode() == Mode.RGBA) {
            unpremultiplyInPlace(out);
        }
        return new Image(width, height, image.mode(), out);
    }

    /** Pillow's RGBA -> RGBa conversion: each colour times alpha / 255, rounded. */
    private static byte[] premultiply(byte[] rgba) {
        byte[] out = new byte[rgba.length];
        for (int i = 0; i < rgba.length; i += 4) {
            int alpha = rgba[i + 3] & 0xFF;
            for (int c = 0; c < 3; c++) {
                int tmp = (rgba[i + c] & 0xFF) * alpha + 128;
                out[i + c] = (byte) (((tmp >> 8) + tmp) >> 8);
            }
            out[i + 3] = rgba[i + 3];
        }
        return out;
    }

    /** Pillow's RGBa -> RGBA conversion: colour × 255 / alpha, truncated and clipped. */
    private static void unpremultiplyInPlace(byte[] rgba) {
        for (int i = 0; i < rgba.length; i += 4) {
            int alpha = rgba[i + 3] & 0xFF;
            if (alpha == 255 || alpha == 0) {
                continue;
            }
            for (int c = 0; c < 3; c++) {
                rgba[i + c] = (byte) Math.min(255, (255 * (rgba[i + c] & 0xFF)) / alpha);
            }
        }
    }

    /** Pillow's ImagingScaleAffine (NEAREST resize): source positions accumulated in double. */
    private static byte[] nearest(byte[] in, int inWidth, int inHeight, int channels, int width, int height) {
        double scaleX = (double) (float) inWidth / width;
        double scaleY = (double) (float) inHeight / height;
        int[] sourceX = new int[width];
        double xo = scaleX * 0.5;
        for (int x = 0; x < width; x++) {
            sourceX[x] = xo < 0.0 ? -1 : (int) xo;
            xo += scaleX;
        }
        byte[] out = new byte[width * height * channels]; // positions outside the source stay 0 (fill)
        double yo = scaleY * 0.5;
        for (int y = 0; y < height; y++) {
            int yi = yo < 0.0 ? -1 : (int) yo;
            if (yi >= 0 && yi < inHeight) {
                for (int x = 0; x < width; x++) {
                    int xi = sourceX[x];
                    if (xi >= 0 && xi < inWidth) {
                        System.arraycopy(in, (yi * inWidth + xi) * channels, out, (y * width + x) * channels, channels);
                    }
                }
            }
            yo += scaleY;
        }
        return out;
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** Filter taps for one axis: per output index, first source index, tap count and 22-bit weights. */
    private record Coefficients(int ksize, int[] bounds, int[] weights) {}

    /** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box (0, inSize). */
    private static Coefficients coefficients(int inSize, int outSize, Resample resample) {
        double scale = (double) (float) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = resample.support() * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = resample.filter((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                double w = ww != 0.0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                        : (int) (0.5 + w * (1 << PRECISION_BITS));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Coefficients(ksize, bounds, weights);
    }

    private static int clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Pillow's ImagingResampleInner with the 8bpc passes; only source rows that matter are filtered. */
    private static byte[] convolve(byte[] in, int inWidth, int inHeight, int channels,
                                   int width, int height, Resample resample) {
        boolean horizontal = width != inWidth;
        boolean vertical = height != inHeight;
        Coefficients vert = coefficients(inHeight, height, resample);
        int firstRow = vert.bounds()[0];
        int lastRow = vert.bounds()[height * 2 - 2] + vert.bounds()[height * 2 - 1];
        byte[] current = in;
        int rowShift = 0;
        if (horizontal) {
            Coefficients horiz = coefficients(inWidth, width, resample);
            int rows = lastRow - firstRow;
            byte[] temp = new byte[width * rows * channels];
            for (int yy = 0; yy < rows; yy++) {
                int rowBase = (yy + firstRow) * inWidth;
                for (int xx = 0; xx < width; xx++) {
                    int xmin = horiz.bounds()[xx * 2];
                    int xmax = horiz.bounds()[xx * 2 + 1];
                    int kBase = xx * horiz.ksize();
                    for (int c = 0; c < channels; c++) {
                        int ss = 1 << (PRECISION_BITS - 1);
                        for (int x = 0; x < xmax; x++) {
                            ss += (in[(rowBase + x + xmin) * channels + c] & 0xFF) * horiz.weights()[kBase + x];
                        }
                        temp[(yy * width + xx) * channels + c] = (byte) clip8(ss);
                    }
                }
            }
            current = temp;
            rowShift = firstRow;
        }
        if (!vertical) {
            return current == in ? in.clone() : current;
        }
        int rowWidth = horizontal ? width : inWidth;
        byte[] out = new byte[rowWidth * height * channels];
        for (int yy = 0; yy < height; yy++) {
            int ymin = vert.bounds()[yy * 2] - rowShift;
            int ymax = vert.bounds()[yy * 2 + 1];
            int kBase = yy * vert.ksize();
            for (int xx = 0; xx < rowWidth; xx++) {
                for (int c = 0; c < channels; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int y = 0; y < ymax; y++) {
                        ss += (current[((y + ymin) * rowWidth + xx) * channels + c] & 0xFF) * vert.weights()[kBase + y];
                    }
                    out[(yy * rowWidth + xx) * channels + c] = (byte) clip8(ss);
                }
            }
        }
        return out;
    }
}
