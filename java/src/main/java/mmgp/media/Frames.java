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

    public static void writePng(Path file, float[] rgb, int f, int height, int width) throws IOException {
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(toImage(rgb, f, height, width), "png", file.toFile())) throw new IOException("no PNG writer available");
    }
}
