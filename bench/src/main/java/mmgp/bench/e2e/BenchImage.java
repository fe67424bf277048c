package mmgp.bench.e2e;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** The SmolVLM input: a deterministic 512×512 RGB picture (gradients and a checker), written once per run. */
final class BenchImage {
    static final int SIZE = 512;

    private BenchImage() {}

    static Path write(Path file) throws IOException {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int r = x * 255 / (SIZE - 1), g = y * 255 / (SIZE - 1), b = ((x / 32 + y / 32) % 2) * 200 + 30;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer available");
        return file;
    }
}
