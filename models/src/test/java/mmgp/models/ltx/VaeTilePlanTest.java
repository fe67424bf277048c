package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tile placement of diffusers 0.33.1's tiled LTX-Video decode on the ltx_video_095 VAE config
 * (spatial ratio 32, temporal 8), worked by hand from tiled_decode and _temporal_tiled_decode;
 * and the budget → tiles search on a synthetic cost (no native code).
 */
class VaeTilePlanTest {
    private static LtxVaeConfig config;

    @BeforeAll
    static void config() throws Exception {
        Path json = Path.of("src/test/resources/fixtures/ltx_video_095/checkpoint/vae/config.json");
        config = LtxVaeConfig.fromJson(new ObjectMapper().readTree(json.toFile()));
        assertThat(config.spatialCompressionRatio()).isEqualTo(32);
        assertThat(config.temporalCompressionRatio()).isEqualTo(8);
    }

    @Test
    void theFixtureCaseHasFourTemporalTilesOfThreeByFourSpatialTiles() {
        VaePlanView p = view(VaeTilePlan.of(VaeTiling.diffusers(64, 32, 16, 8), config, 5, 3, 4));
        // z[:, :, i:i+3] for i = 0..4; the tile at 4 (one latent frame) has no frame left after dropping its last.
        assertThat(p.frames.start()).containsExactly(0, 1, 2, 3);
        assertThat(p.frames.size()).containsExactly(3, 3, 3, 2);
        assertThat(p.frames.length()).containsExactly(17, 16, 16, 8);
        assertThat(p.frames.keep()).containsExactly(9, 8, 8, 8);
        assertThat(p.frames.offset()).containsExactly(0, 9, 17, 25);
        assertThat(p.frames.blend()).isEqualTo(8);
        assertThat(p.frames.samples()).isEqualTo(33);
        assertThat(p.rows.start()).containsExactly(0, 1, 2);
        assertThat(p.rows.size()).containsExactly(2, 2, 1); // clipped at the edge
        assertThat(p.rows.keep()).containsExactly(32, 32, 32);
        assertThat(p.rows.offset()).containsExactly(0, 32, 64);
        assertThat(p.rows.blend()).isEqualTo(32);
        assertThat(p.cols.start()).containsExactly(0, 1, 2, 3);
        assertThat(p.cols.length()).containsExactly(64, 64, 64, 32);
        assertThat(p.plan.tileCount()).isEqualTo(48);
        assertThat(p.plan.work()).isEqualTo((3 + 3 + 3 + 2) * (2 + 2 + 1) * (2 + 2 + 2 + 1));
    }

    @Test
    void anUnevenEdgeGetsAShortLastTileAndTilesPastTheCropAreLeftOut() {
        // 128-pixel tiles every 96 over 7 latents (224 px): starts 0, 3, 6; the last spans 1 latent.
        VaeTilePlan.Axis rows = VaeTilePlan.of(VaeTiling.spatialOnly(128, 128, 96, 96), config, 2, 7, 7).rows;
        assertThat(rows.start()).containsExactly(0, 3, 6);
        assertThat(rows.size()).containsExactly(4, 4, 1);
        assertThat(rows.keep()).containsExactly(96, 96, 32);
        assertThat(rows.offset()).containsExactly(0, 96, 192);
        // A stride that is no multiple of 32 (80 px = 2 latents) keeps 80 px per tile: two tiles
        // fill 160 px, so diffusers' third tile (start 4) lands past the crop.
        VaeTilePlan.Axis odd = VaeTilePlan.of(VaeTiling.spatialOnly(96, 96, 80, 80), config, 2, 5, 5).rows;
        assertThat(odd.start()).containsExactly(0, 2);
        assertThat(odd.keep()).containsExactly(80, 80);
        assertThat(odd.blend()).isEqualTo(16);
        // Temporal: 24-frame tiles every 16 over 7 latent frames (49 frames): tiles of 4 latent frames at 0, 2, 4.
        VaeTilePlan.Axis frames = VaeTilePlan.of(VaeTiling.diffusers(512, 448, 24, 16), config, 7, 2, 2).frames;
        assertThat(frames.start()).containsExactly(0, 2, 4);
        assertThat(frames.size()).containsExactly(4, 4, 3);
        assertThat(frames.keep()).containsExactly(17, 16, 16);
        assertThat(frames.offset()).containsExactly(0, 17, 33);
    }

    @Test
    void diffusersDecodePathChoicesAreKept() {
        // Off, or frames ≤ minFrames // 8 with the sizes within a tile: one tile.
        for (VaeTilePlan p : List.of(VaeTilePlan.of(VaeTiling.OFF, config, 5, 3, 4), VaeTilePlan.of(VaeTiling.diffusers(128, 64, 16, 8), config, 2, 3, 2))) {
            assertThat(p.tileCount()).isEqualTo(1);
            assertThat(p.frames.length()).containsExactly(p.frames.samples());
        }
        // _decode compares the width with the stride (sic): 3 latents > 64 // 32 tiles though a 128-px tile covers them.
        VaeTilePlan quirk = VaeTilePlan.of(VaeTiling.spatialOnly(128, 128, 64, 64), config, 2, 2, 3);
        assertThat(quirk.cols.start()).containsExactly(0, 2);
        assertThat(quirk.cols.keep()).containsExactly(64, 32);
        assertThat(quirk.rows.count()).isEqualTo(1);
        // ... while the temporal path compares it with the min width: no spatial tiles.
        assertThat(VaeTilePlan.of(new VaeTiling(true, 128, 128, 64, 64, true, 16, 8, 0), config, 4, 2, 3).cols.count()).isEqualTo(1);
    }

    @Test
    void badSettingsAreNamed() {
        assertThatThrownBy(() -> VaeTiling.diffusers(64, 96, 16, 8)).hasMessageContaining("strideHeight 96 must not exceed minHeight 64");
        assertThatThrownBy(() -> VaeTiling.diffusers(0, 32, 16, 8)).hasMessageContaining("minHeight must be ≥ 1");
        assertThatThrownBy(() -> VaeTiling.diffusers(64, 32, 16, 24)).hasMessageContaining("strideFrames 24 must not exceed minFrames 16");
        assertThatThrownBy(() -> VaeTiling.OFF.withMemoryBytes(-1)).hasMessageContaining("memoryBytes");
        assertThatThrownBy(() -> VaeTilePlan.of(VaeTiling.diffusers(64, 16, 16, 8), config, 5, 3, 4))
                .hasMessageContaining("strideHeight 16 is below the spatial compression ratio 32");
        assertThatThrownBy(() -> VaeTilePlan.of(VaeTiling.diffusers(64, 32, 4, 4), config, 5, 3, 4))
                .hasMessageContaining("minFrames 4 is below the temporal compression ratio 8");
        assertThatThrownBy(() -> VaeTilePlan.of(VaeTiling.OFF, config, 0, 3, 4)).hasMessageContaining("latent sizes must be positive");
    }

    @Test
    void encodeTilesArePlacedAsDiffusersTiledEncodePlacesThem() {
        // 25 frames × 64 × 96 px, 64-px tiles every 32, 17-frame tiles every 8 (worked from _temporal_tiled_encode).
        VaePlanView p = view(VaeTilePlan.forEncode(VaeTiling.diffusers(64, 32, 16, 8), config, 25, 64, 96));
        assertThat(p.frames.start()).containsExactly(0, 8, 16); // 24 would hold one frame: its one latent frame is dropped
        assertThat(p.frames.size()).containsExactly(17, 17, 9);
        assertThat(p.frames.skip()).containsExactly(0, 1, 1);
        assertThat(p.frames.length()).containsExactly(3, 2, 1);
        assertThat(p.frames.keep()).containsExactly(2, 1, 1);
        assertThat(p.frames.offset()).containsExactly(0, 2, 3);
        assertThat(p.frames.blend()).isEqualTo(1);
        assertThat(p.frames.samples()).isEqualTo(4);
        assertThat(p.rows.start()).containsExactly(0, 32);
        assertThat(p.rows.size()).containsExactly(64, 32);
        assertThat(p.rows.length()).containsExactly(2, 1);
        assertThat(p.rows.keep()).containsExactly(1, 1);
        assertThat(p.rows.blend()).isEqualTo(1);
        assertThat(p.cols.start()).containsExactly(0, 32, 64);
        assertThat(p.cols.length()).containsExactly(2, 2, 1);
        assertThat(p.plan.tileCount()).isEqualTo(18);
        assertThat(p.plan.work()).isEqualTo((17 + 17 + 9) * (64 + 32) * (64 + 64 + 32));
        // 128-px tiles every 96 over 224 px: starts 0, 96, 192; the last 32 px.
        VaeTilePlan.Axis cols = VaeTilePlan.forEncode(VaeTiling.spatialOnly(128, 128, 96, 96), config, 1, 32, 224).cols;
        assertThat(cols.start()).containsExactly(0, 96, 192);
        assertThat(cols.length()).containsExactly(4, 4, 1);
        assertThat(cols.keep()).containsExactly(3, 3, 1);
        assertThat(cols.blend()).isEqualTo(1);
    }

    @Test
    void diffusersEncodePathChoicesAreKept() {
        // _encode compares frames with tile_sample_min_num_frames in frames: 17 > 16 tiles, 9 does not.
        assertThat(VaeTilePlan.forEncode(VaeTiling.diffusers(512, 448, 16, 8), config, 17, 64, 64).frames.count()).isEqualTo(2);
        assertThat(VaeTilePlan.forEncode(VaeTiling.diffusers(512, 448, 16, 8), config, 9, 64, 64).tileCount()).isEqualTo(1);
        // ... and the width with the min width, not the stride (the decode's quirk is not the encode's).
        VaeTilePlan noQuirk = VaeTilePlan.forEncode(VaeTiling.spatialOnly(128, 128, 64, 64), config, 1, 64, 96);
        assertThat(noQuirk.tileCount()).isEqualTo(1);
        assertThat(noQuirk.cols.length()).containsExactly(3);
        // Off: one tile of the whole video.
        VaeTilePlan off = VaeTilePlan.forEncode(VaeTiling.OFF, config, 49, 512, 768);
        assertThat(off.tileCount()).isEqualTo(1);
        assertThat(new int[] {off.frames.samples(), off.rows.samples(), off.cols.samples()}).containsExactly(7, 16, 24);
    }

    @Test
    void encodeTilesOffTheLatentGridAreRefused() {
        assertThatThrownBy(() -> VaeTilePlan.forEncode(VaeTiling.diffusers(48, 32, 16, 8), config, 9, 64, 64))
                .hasMessageContaining("minHeight 48 is not a multiple of the spatial compression ratio 32");
        assertThatThrownBy(() -> VaeTilePlan.forEncode(VaeTiling.diffusers(64, 32, 16, 12), config, 25, 64, 64))
                .hasMessageContaining("strideFrames 12 is not a multiple of the temporal compression ratio 8");
        // On the grid by contract: the plan of a video on it.
        assertThatThrownBy(() -> VaeTilePlan.forEncode(VaeTiling.OFF, config, 10, 64, 64)).hasMessageContaining("is off the latent grid");
        // With the whole encode's latents, only a split axis must lie on the grid.
        int[] latent = {3, 2, 2}; // any encoder's shape for these sizes: the plan takes it as given
        assertThatThrownBy(() -> VaeTilePlan.forEncode(VaeTiling.diffusers(512, 448, 8, 8), config, 10, 64, 64, latent))
                .hasMessageContaining("a 10×64×64 video is off the latent grid: encoding it in temporal tiles needs 1 + 8·k frames");
        assertThatThrownBy(() -> VaeTilePlan.forEncode(VaeTiling.spatialOnly(32, 32, 32, 32), config, 9, 64, 48, latent))
                .hasMessageContaining("a 9×64×48 video is off the latent grid: encoding it in spatial tiles needs multiples of 32 pixels");
    }

    @Test
    void unsplitAxesOffTheGridAreEncodedWhole() {
        int[] latent = {3, 2, 2};
        for (VaeTiling t : List.of(VaeTiling.OFF, VaeTiling.diffusers(64, 64, 16, 8), VaeTiling.spatialOnly(64, 64, 32, 32))) {
            VaeTilePlan p = VaeTilePlan.forEncode(t, config, 10, 64, 64, latent);
            assertThat(p.tileCount()).as("%s", t).isEqualTo(1);
            assertThat(new int[] {p.frames.size(0), p.rows.size(0), p.cols.size(0)}).containsExactly(10, 64, 64);
            assertThat(new int[] {p.frames.samples(), p.rows.samples(), p.cols.samples()}).containsExactly(3, 2, 2);
        }
        // frames off the grid, pixels on it: spatial tiles over every frame
        VaeTilePlan spatial = VaeTilePlan.forEncode(VaeTiling.spatialOnly(32, 32, 32, 32), config, 10, 64, 64, latent);
        assertThat(new int[] {spatial.frames.count(), spatial.rows.count(), spatial.cols.count()}).containsExactly(1, 2, 2);
        assertThat(spatial.frames.samples()).isEqualTo(3);
        // a latent shape the tiles cannot give is a fault
        assertThatThrownBy(() -> VaeTilePlan.forEncode(VaeTiling.spatialOnly(32, 32, 32, 32), config, 9, 64, 64, new int[] {2, 3, 2}))
                .hasMessageContaining("the whole encode [2, 3, 2]");
    }

    /**
     * A tile cost that falls from one latent to two (a one-latent tile's convolutions take
     * another route) and then rises: the sizer must try the small sides, not bisect over them.
     */
    @Test
    void smallSidesAreTriedWhereTheCostIsNotMonotonic() {
        long mib = 1 << 20;
        VaeTiling.TileCost cost = (f, h, w) -> Math.max(h, w) == 1 ? 1863 * mib : 400 * mib + 30L * mib * (h * w - 4);
        long budget = 450 * mib; // 2×2 (400) fits, 1×1 (1863) and 3×3 (550) do not
        for (boolean encode : new boolean[] {false, true}) {
            VaeTiling t = encode ? VaeTiling.forEncodeBudget(budget, config, 1, 6, 6, cost) : VaeTiling.forBudget(budget, config, 1, 6, 6, cost);
            assertThat(t.minHeight()).as(encode ? "encode" : "decode").isEqualTo(64);
            assertThat(t.minWidth()).isEqualTo(64);
            VaeTilePlan p = encode ? VaeTilePlan.forEncode(t, config, 1, 192, 192) : VaeTilePlan.of(t, config, 1, 6, 6);
            assertThat(p.tileCount()).isGreaterThan(1);
        }
        // above the small sides the bisection still finds the largest fitting side
        VaeTiling.TileCost dipAtOne = (f, h, w) -> Math.max(h, w) == 1 ? 1863 * mib : 10L * mib * h * w;
        assertThat(VaeTiling.forBudget(650 * mib, config, 1, 16, 16, dipAtOne).minHeight()).isEqualTo(8 * 32);
        // and below every small side the refusal names the cheapest tile, which does not fit either
        assertThatThrownBy(() -> VaeTiling.forBudget(300 * mib, config, 1, 6, 6, cost)).isInstanceOf(VaeBudgetTooSmallException.class)
                .hasMessageContaining("the cheapest, 1×2×2: 400.0 MiB");
    }

    @Test
    void encodeBudgetsSizeTheTilesOnTheSameLatentGrid() {
        // cost ∝ the pixels a tile reads: an encode tile of f latent frames reads 8(f − 1) + 1 frames.
        VaeTiling.TileCost pixels = (f, h, w) -> 10L * (8 * (f - 1) + 1) * h * 32 * w * 32;
        int f = 7, h = 16, w = 24; // 49 × 512 × 768
        long whole = pixels.bytes(f, h, w);
        assertThat(VaeTiling.forEncodeBudget(whole, config, f, h, w, pixels)).isEqualTo(VaeTiling.OFF);
        for (long budget : new long[] {whole / 2, whole / 9, whole / 40}) {
            VaeTiling t = VaeTiling.forEncodeBudget(budget, config, f, h, w, pixels);
            VaeTilePlan p = VaeTilePlan.forEncode(t, config, 49, 512, 768);
            assertThat(10L * p.frames.size(0) * p.rows.size(0) * p.cols.size(0)).as("largest tile of %s", t).isLessThanOrEqualTo(budget);
            assertThat(p.tileCount()).isGreaterThan(1);
        }
        // an image has no frames to split
        VaeTiling image = VaeTiling.forEncodeBudget(pixels.bytes(1, h, w) / 4, config, 1, h, w, pixels);
        assertThat(image.spatial()).isTrue();
        assertThat(VaeTilePlan.forEncode(image, config, 1, 512, 768).frames.count()).isEqualTo(1);
        assertThatThrownBy(() -> VaeTiling.forEncodeBudget(100, config, 1, h, w, pixels)).isInstanceOf(VaeBudgetTooSmallException.class)
                .hasMessageContaining("below the compute buffer of the smallest tile (encoding 1×1×1 latents)");
    }

    /** Cost ∝ tile volume: 1000 bytes per latent. */
    private static final VaeTiling.TileCost VOLUME = (f, h, w) -> 1000L * f * h * w;

    @Test
    void aSmallerBudgetGivesSmallerTilesAndABudgetAboveTheWholeDecodeGivesNoTiles() {
        int f = 21, h = 16, w = 22;
        long whole = VOLUME.bytes(f, h, w);
        assertThat(VaeTiling.forBudget(whole, config, f, h, w, VOLUME)).isEqualTo(VaeTiling.OFF);
        assertThat(VaeTiling.forBudget(whole * 10, config, f, h, w, VOLUME).enabled()).isFalse();
        List<Integer> counts = new ArrayList<>();
        long previousLargest = Long.MAX_VALUE;
        for (long budget : new long[] {whole - 1, whole / 2, whole / 5, whole / 20, whole / 100}) {
            VaeTiling t = VaeTiling.forBudget(budget, config, f, h, w, VOLUME);
            VaeTilePlan p = VaeTilePlan.of(t, config, f, h, w);
            long largest = VOLUME.bytes(p.frames.size(0), p.rows.size(0), p.cols.size(0));
            assertThat(largest).as("largest tile of %s", t).isLessThanOrEqualTo(budget).isLessThanOrEqualTo(previousLargest);
            assertThat(t.memoryBytes()).isEqualTo(budget);
            counts.add(p.tileCount());
            previousLargest = largest;
        }
        assertThat(counts).isSorted();
        assertThat(counts.getLast()).isGreaterThan(counts.getFirst());
        assertThatThrownBy(() -> VaeTiling.forBudget(1000, config, f, h, w, VOLUME)).isInstanceOf(VaeBudgetTooSmallException.class)
                .hasMessageContaining("below the compute buffer of the smallest tile");
        // other refusals are not "too small": callers tell them apart by type
        assertThatThrownBy(() -> VaeTiling.forBudget(0, config, f, h, w, VOLUME)).isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(VaeBudgetTooSmallException.class);
        assertThatThrownBy(() -> VaeTiling.forBudget(1L << 40, config, 0, h, w, VOLUME)).isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(VaeBudgetTooSmallException.class);
        assertThatThrownBy(() -> VaeTiling.forBudget(0, config, f, h, w, VOLUME)).hasMessageContaining("must be positive");
    }

    private record VaePlanView(VaeTilePlan plan, VaeTilePlan.Axis frames, VaeTilePlan.Axis rows, VaeTilePlan.Axis cols) {}

    private static VaePlanView view(VaeTilePlan p) {
        return new VaePlanView(p, p.frames, p.rows, p.cols);
    }
}
