package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Config;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Size;
import org.junit.jupiter.api.Test;

/** The cost's tile count against the tiles the image processor really produces. */
class SmolVlmCostTest {
    private static final int[][] SIZES = {{1, 1}, {96, 96}, {97, 40}, {200, 90}, {90, 200}, {300, 300}, {1000, 12}, {12, 1000}, {500, 333}};

    private static void checkAgainstPreprocess(SmolVlmImageProcessor processor, Size size) {
        Config c = processor.config();
        int bound = SmolVlmCost.imageTiles(c, size, 0, 0);
        for (int[] wh : SIZES) {
            int measured = processor.preprocess(List.of(SmolVlmImageProcessorTest.pattern(wh[0], wh[1])), size).numImages();
            assertThat(SmolVlmCost.imageTiles(c, size, wh[0], wh[1])).as("%d×%d with %s", wh[0], wh[1], size).isEqualTo(measured);
            assertThat(bound).as("the unknown-size bound with %s over %d×%d", size, wh[0], wh[1]).isGreaterThanOrEqualTo(measured);
        }
    }

    @Test
    void countsTheTilesTheFixtureProcessorMakes() throws IOException {
        SmolVlmImageProcessor processor = SmolVlmImageProcessor.load(SmolVlmProcessorGoldenTest.CHECKPOINT); // longest edge 288, tiles of 96
        checkAgainstPreprocess(processor, processor.config().size());
        checkAgainstPreprocess(processor, Size.longestEdge(96)); // the video size: one tile a frame
        assertThat(SmolVlmCost.imageTiles(processor.config(), processor.config().size(), 0, 0)).isEqualTo(10);
        assertThat(SmolVlmCost.imageTiles(processor.config(), Size.longestEdge(96), 0, 0)).isEqualTo(1);
    }

    @Test
    void countsTilesForOtherLayouts() throws IOException {
        Config fixture = SmolVlmImageProcessor.load(SmolVlmProcessorGoldenTest.CHECKPOINT).config();
        // a longest edge that is not a whole number of tiles, and no splitting at all
        Config odd = new Config(true, true, Size.longestEdge(250), fixture.resample(), true, 96, true, 1 / 255.0, true,
                fixture.imageMean(), fixture.imageStd());
        checkAgainstPreprocess(new SmolVlmImageProcessor(odd), odd.size());
        Config whole = new Config(true, true, Size.longestEdge(250), fixture.resample(), false, 96, true, 1 / 255.0, true,
                fixture.imageMean(), fixture.imageStd());
        checkAgainstPreprocess(new SmolVlmImageProcessor(whole), whole.size());
        // SmolVLM2's own layout: 2048 longest edge in tiles of 512, 4 × 4 and the global image at most
        Config smolvlm2 = new Config(true, true, Size.longestEdge(2048), fixture.resample(), true, 512, true, 1 / 255.0, true,
                fixture.imageMean(), fixture.imageStd());
        assertThat(SmolVlmCost.imageTiles(smolvlm2, smolvlm2.size(), 0, 0)).isEqualTo(17);
        assertThat(SmolVlmCost.imageTiles(smolvlm2, smolvlm2.size(), 1920, 1080)).isEqualTo(4 * 3 + 1);
    }

    @Test
    void boundsPromptPositionsAndFlops() {
        SmolVlmCost.VisionTower tower = new SmolVlmCost.VisionTower(96, 8, 32, 2, 50_000);
        assertThat(tower.patches()).isEqualTo(144);
        assertThat(tower.tileFlops()).isEqualTo(2.0 * 50_000 * 144 + 4.0 * 144 * 144 * 32 * 2);
        // a byte-level BPE token covers at least one byte: "héllo" is 6 bytes
        assertThat(SmolVlmCost.promptPositions("héllo", 2, 9)).isEqualTo(6 + SmolVlmCost.TEMPLATE_TOKENS + 2 * (9 + SmolVlmCost.TOKENS_PER_TILE));
        assertThat(SmolVlmCost.flops(100, 20, 2, 1000, tower)).isEqualTo(2.0 * 1000 * 120 + 2 * tower.tileFlops());
        assertThat(SmolVlmCost.mediaBytes(3, 96, 9, 48)).isEqualTo(3L * (3 * 96 * 96 * 4 + 9 * 48 * 4));
    }
}
