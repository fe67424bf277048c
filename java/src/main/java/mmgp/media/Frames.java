package mmgp.media;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** RGB float frames in [0,1] ((F, H, W, 3) order) to and from 8-bit images. */
public final class Frames {
    private Frames() {}

    /** Frame {@code f} as an 8-bit RGB image, rounding ×255 as PIL's numpy_to_pil does. */
    public static BufferedImage toImage(float[] rgb, int f, int height, int width) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        int base = f * height * width * 3;
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = base + (y * width + x) * 3;
                row[x] = 0xFF000000 | (to8(rgb[i]) << 16) | (to8(rgb[i + 1]) << 8) | to8(rgb[i + 2]);
            }
            img.setRGB(0, y, width, 1, row, 0, width);
        }
        return img;
    }

    private static int to8(float v) {
        return Math.round(Math.clamp(v, 0f, 1f) * 255f);
    }

    /** The lower-case extension of {@code file} without its dot, "" when it has none: the format a writer picks. */
    public static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(dot + 1).toLowerCase(java.util.Locale.ROOT) : "";
    }

    /** The image formats {@link #write} knows, by file extension (ImageIO's own writers). */
    public static final java.util.List<String> FORMATS = java.util.List.of("png", "jpg", "jpeg", "bmp");

    public static void writePng(Path file, float[] rgb, int f, int height, int width) throws IOException {
        write(file, "png", rgb, f, height, width);
    }

    /** Frame {@code f} in the format {@code file}'s extension names (one of {@link #FORMATS}). */
    public static void write(Path file, float[] rgb, int f, int height, int width) throws IOException {
        String ext = extension(file);
        if (!FORMATS.contains(ext)) throw new IllegalArgumentException("cannot write an image as ." + ext + " (" + file + "); use one of " + String.join(", ", FORMATS));
        write(file, ext.equals("jpg") ? "jpeg" : ext, rgb, f, height, width);
    }

    private static void write(Path file, String informal, float[] rgb, int f, int height, int width) throws IOException {
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(toImage(rgb, f, height, width), informal, file.toFile())) throw new IOException("no " + informal.toUpperCase(java.util.Locale.ROOT) + " writer available");
    }
}
