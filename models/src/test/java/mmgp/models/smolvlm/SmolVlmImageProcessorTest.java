package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.util.List;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Image;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Mode;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Resample;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Shapes, splits and Pillow details the golden image (200×90 RGB) does not exercise. */
class SmolVlmImageProcessorTest {

    private static SmolVlmImageProcessor processor; // fixture config: longest edge 288, tiles 96

    @BeforeAll
    static void load() throws IOException {
        processor = SmolVlmImageProcessor.load(SmolVlmProcessorGoldenTest.CHECKPOINT);
    }

    /** A deterministic RGB pattern. */
    static Image pattern(int width, int height) {
        byte[] pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                pixels[i] = (byte) (x * 255 / Math.max(1, width - 1));
                pixels[i + 1] = (byte) (y * 255 / Math.max(1, height - 1));
                pixels[i + 2] = (byte) ((x * 7 + y * 13) % 256);
            }
        }
        return Image.rgb(width, height, pixels);
    }

    @Test
    void configIsReadFromThePreprocessorConfig() {
        SmolVlmImageProcessor.Config config = processor.config();
        assertThat(config.size()).isEqualTo(SmolVlmImageProcessor.Size.longestEdge(288));
        assertThat(config.maxImageSize()).isEqualTo(96);
        assertThat(config.resample()).isEqualTo(Resample.LANCZOS);
        assertThat(config.imageMean()).containsExactly(0.5f, 0.5f, 0.5f);
        assertThat(config.rescaleFactor()).isEqualTo(0.00392156862745098);
    }

    @Test
    void oddSizesSplitAsTheReferenceComputes() {
        // {width, height, rows, cols}: 1x1 -> 288x288 -> 3x3; 300x7 -> 288x6 -> 288x96 -> 1x3;
        // 97x301 -> 92x288 -> 96x288 -> 3x1; 96x95 -> 288x286 -> 288x288 -> 3x3; 50x40 -> 288x230 -> 288x288.
        int[][] cases = {{1, 1, 3, 3}, {300, 7, 1, 3}, {97, 301, 3, 1}, {96, 95, 3, 3}, {50, 40, 3, 3}};
        for (int[] c : cases) {
            SmolVlmImageProcessor.Result result = processor.preprocess(List.of(pattern(c[0], c[1])));
            assertThat(result.rows()).as("%dx%d rows", c[0], c[1]).containsExactly(c[2]);
            assertThat(result.cols()).as("%dx%d cols", c[0], c[1]).containsExactly(c[3]);
            assertThat(result.numImages()).isEqualTo(c[2] * c[3] + 1);
            assertThat(result.shape()).containsExactly(c[2] * c[3] + 1, 3, 96, 96);
            for (float v : result.pixelValues()) {
                assertThat(v).isBetween(-1f, 1f);
            }
        }
    }

    @Test
    void longestEdgeResizeRoundsTheShortEdgeUpToEven() {
        assertThat(SmolVlmImageProcessor.rescaleToMaxLen(90, 200, 288)).containsExactly(130, 288);
        assertThat(SmolVlmImageProcessor.rescaleToMaxLen(301, 97, 288)).containsExactly(288, 92);
        assertThat(SmolVlmImageProcessor.rescaleToMaxLen(7, 300, 288)).containsExactly(6, 288);
        assertThat(SmolVlmImageProcessor.rescaleToMaxLen(1, 1000, 288)).containsExactly(1, 288);
        assertThat(SmolVlmImageProcessor.scaleBelowUpperBound(3000, 6000, 4096)).containsExactly(2048, 4096);
    }

    @Test
    void smallImagesStayWholeWithoutSplitting() {
        SmolVlmImageProcessor noSplit = new SmolVlmImageProcessor(new SmolVlmImageProcessor.Config(true, true,
                SmolVlmImageProcessor.Size.longestEdge(96), Resample.LANCZOS, true, 96, true, 1 / 255.0, true,
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f}));
        SmolVlmImageProcessor.Result result = noSplit.preprocess(List.of(pattern(48, 32), pattern(17, 90)));
        assertThat(result.rows()).containsExactly(0, 0);
        assertThat(result.cols()).containsExactly(0, 0);
        assertThat(result.numImages()).isEqualTo(2);
    }

    @Test
    void opaqueCompositingIsExactAndTransparentBecomesWhite() {
        for (int v = 0; v < 256; v++) {
            assertThat(SmolVlmImageProcessor.compositeOverWhite(v, 255)).isEqualTo(v);
            assertThat(SmolVlmImageProcessor.compositeOverWhite(v, 0)).isEqualTo(255);
        }
        assertThat(SmolVlmImageProcessor.compositeOverWhite(0, 128)).isEqualTo(127);
    }

    @Test
    void opaqueRgbaProcessesLikeRgb() {
        Image rgb = pattern(40, 30);
        byte[] rgba = new byte[40 * 30 * 4];
        for (int i = 0; i < 40 * 30; i++) {
            System.arraycopy(rgb.pixels(), i * 3, rgba, i * 4, 3);
            rgba[i * 4 + 3] = (byte) 255;
        }
        float[] fromRgb = processor.preprocess(List.of(rgb)).pixelValues();
        float[] fromRgba = processor.preprocess(List.of(new Image(40, 30, Mode.RGBA, rgba))).pixelValues();
        assertThat(fromRgba).isEqualTo(fromRgb);
    }

    @Test
    void grayscaleIsResizedNearestAndReplicated() {
        byte[] gray = new byte[] {0, 100, (byte) 200, (byte) 255};
        Image image = new Image(2, 2, Mode.L, gray);
        Image up = PillowResize.resize(image, 4, 4, Resample.LANCZOS);
        assertThat(up.mode()).isEqualTo(Mode.L);
        assertThat(up.pixels()).containsExactly(0, 0, 100, 100, 0, 0, 100, 100,
                -56, -56, -1, -1, -56, -56, -1, -1);
        Image rgb = SmolVlmImageProcessor.convertToRgb(up);
        assertThat(rgb.sample(3, 3, 0)).isEqualTo(255);
        assertThat(rgb.sample(2, 0, 2)).isEqualTo(100);
    }

    @Test
    void lanczosKeepsAConstantImageConstant() {
        byte[] pixels = new byte[31 * 17 * 3];
        java.util.Arrays.fill(pixels, (byte) 200);
        Image resized = PillowResize.resize(Image.rgb(31, 17, pixels), 96, 40, Resample.LANCZOS);
        for (byte b : resized.pixels()) {
            assertThat(b & 0xFF).isEqualTo(200);
        }
        assertThat(PillowResize.resize(resized, 96, 40, Resample.LANCZOS)).isSameAs(resized);
    }

    @Test
    void bufferedImagesKeepRawSamples() {
        BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 77);
        gray.getRaster().setSample(1, 0, 0, 200);
        Image fromGray = Image.fromBufferedImage(gray);
        assertThat(fromGray.mode()).isEqualTo(Mode.L);
        assertThat(fromGray.pixels()).containsExactly(77, -56); // not gamma-converted as getRGB would

        BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x80102030);
        Image fromArgb = Image.fromBufferedImage(argb);
        assertThat(fromArgb.mode()).isEqualTo(Mode.RGBA);
        assertThat(fromArgb.pixels()).containsExactly(0x10, 0x20, 0x30, (byte) 0x80);

        IndexColorModel palette = new IndexColorModel(8, 2, new byte[] {10, 20}, new byte[] {30, 40},
                new byte[] {50, 60});
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, palette);
        indexed.getRaster().setSample(1, 0, 0, 1);
        Image fromIndexed = Image.fromBufferedImage(indexed);
        assertThat(fromIndexed.mode()).isEqualTo(Mode.P);
        assertThat(fromIndexed.pixels()).containsExactly(10, 30, 50, 20, 40, 60);

        BufferedImage bgr = new BufferedImage(1, 1, BufferedImage.TYPE_3BYTE_BGR);
        bgr.setRGB(0, 0, 0x112233);
        assertThat(Image.fromBufferedImage(bgr).pixels()).containsExactly(0x11, 0x22, 0x33);
    }

    @Test
    void rejectsInconsistentImages() {
        assertThatThrownBy(() -> Image.rgb(2, 2, new byte[11])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Image.rgb(0, 2, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    /** A PNG that declares {@code w}×{@code h} pixels in its header (its image data is not needed to read the size). */
    static byte[] pngHeader(int w, int h) throws java.io.IOException {
        var out = new java.io.ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        var ihdr = java.nio.ByteBuffer.allocate(17).put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        var crc = new java.util.zip.CRC32();
        crc.update(ihdr.array());
        out.write(java.nio.ByteBuffer.allocate(4).putInt(13).array());
        out.write(ihdr.array());
        out.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return out.toByteArray();
    }

    @Test
    void aHugeDeclaredImageIsRefusedFromItsHeaderBeforeDecoding(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path bomb = java.nio.file.Files.write(tmp.resolve("bomb.png"), pngHeader(20000, 20000));
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SmolVlmImageProcessor.Image.read(bomb))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("20000×20000 pixels").hasMessageContaining("megapixels are accepted");
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        org.assertj.core.api.Assertions.assertThat(after - before).as("no 1.2 GB raster was allocated").isLessThan(256L << 20);
        // The LTX start image goes through the same reader.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> mmgp.models.ltx.LtxConditionImage.read(bomb)).hasMessageContaining("megapixels are accepted");
    }
}
