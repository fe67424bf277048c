package mmgp.models.ltx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.models.smolvlm.PillowResize;
import mmgp.models.smolvlm.SmolVlmImageProcessor;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Image;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Resample;

/**
 * The first frame of an image-to-video generation, prepared as diffusers' (0.33.1)
 * {@code LTXImageToVideoPipeline} prepares a PIL image with its {@code VideoProcessor}
 * (VaeImageProcessor defaults: do_resize, resample "lanczos", do_normalize): resized to the
 * output size with PIL's {@code Image.resize((width, height), LANCZOS)} when its size differs
 * (Pillow's 8-bit two-pass convolution, bit-exact; the aspect ratio is not kept, as
 * resize_mode "default" does not), then {@code pixels / 255 · 2 − 1} in float32, channels first.
 *
 * <p>One difference on purpose: diffusers' processor does not convert colour modes
 * (do_convert_rgb is off), so a grayscale or RGBA PIL image fails inside the VAE. Here gray is
 * replicated to RGB and alpha is composited over white before resizing, as PIL's
 * {@code convert("RGB")} after an alpha composite would.
 */
public record LtxConditionImage(Image image) {
    public LtxConditionImage {
        if (image == null) throw new IllegalArgumentException("image must not be null");
    }

    /** Reads a PNG, JPEG, BMP or GIF file; the error names the file when it cannot be decoded. */
    public static LtxConditionImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("image file not found: " + file);
        Image image;
        try {
            image = Image.read(file);
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot read image " + file + ": " + e.getMessage(), e);
        }
        return new LtxConditionImage(image);
    }

    /** An RGB image from (H, W, 3) bytes, as numpy holds a PIL image. */
    public static LtxConditionImage rgb(int width, int height, byte[] pixels) {
        return new LtxConditionImage(Image.rgb(width, height, pixels));
    }

    public int width() {
        return image.width();
    }

    public int height() {
        return image.height();
    }

    /** (3, height, width) float32 in [−1, 1]: RGB, PIL-LANCZOS-resized when the size differs, then x/255·2 − 1. */
    public float[] pixels(int width, int height) {
        Image rgb = SmolVlmImageProcessor.convertToRgb(image);
        Image sized = PillowResize.resize(rgb, width, height, Resample.LANCZOS);
        byte[] p = sized.pixels();
        int plane = width * height;
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                float x = (p[i * 3 + c] & 0xFF) / 255f; // pil_to_numpy: float32 / 255
                out[c * plane + i] = 2f * x - 1f;       // normalize: 2·x − 1
            }
        }
        return out;
    }
}
