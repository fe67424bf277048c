package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import mmgp.api.ProgressListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiled encode's placement, blends and crops ({@link VaeTilePlan#forEncode} run by
 * {@link TiledVae}) against {@link DiffusersTiledEncode}, the transcription of diffusers'
 * tiled_encode / _temporal_tiled_encode, over a stand-in encoder that gives each tile its own
 * random latents: every tile's latents must land, blend and crop where diffusers puts them.
 * No native code.
 */
class VaeTiledEncodeBlendTest {
    private static final int PLANES = 3;
    private static LtxVaeConfig config;

    @BeforeAll
    static void config() throws Exception {
        Path json = Path.of("src/test/resources/fixtures/ltx_video_095/checkpoint/vae/config.json");
        config = LtxVaeConfig.fromJson(new ObjectMapper().readTree(json.toFile()));
    }

    /** Random latents, a stream per tile box, of the shape the encoder gives for it. */
    private static DiffusersTiledEncode.T randomLatents(int f0, int nf, int y0, int h, int x0, int w) {
        SplittableRandom r = new SplittableRandom(((((f0 * 131L + nf) * 131 + y0) * 1031 + h) * 1031 + x0) * 1031 + w);
        DiffusersTiledEncode.T t = new DiffusersTiledEncode.T(PLANES, (nf - 1) / 8 + 1, h / 32, w / 32);
        for (int i = 0; i < t.d().length; i++) t.d()[i] = (float) (2 * r.nextDouble() - 1);
        return t;
    }

    /** TiledVae over the stand-in encoder; records the tile boxes it asks for. */
    private static final class StandIn extends TiledVae<TiledVae.TileGraph> {
        final List<String> boxes = new ArrayList<>();

        StandIn(VaeTilePlan plan) {
            super(plan, PLANES, 0, "encode_video");
        }

        @Override
        protected Block compute(int k, int i, int j) {
            VaeTilePlan.Axis fa = plan.frames, ra = plan.rows, ca = plan.cols;
            boxes.add(fa.start(k) + "+" + fa.size(k) + " " + ra.start(i) + "+" + ra.size(i) + " " + ca.start(j) + "+" + ca.size(j));
            DiffusersTiledEncode.T t = randomLatents(fa.start(k), fa.size(k), ra.start(i), ra.size(i), ca.start(j), ca.size(j));
            return new Block(t.d(), t.p(), t.f(), t.h(), t.w());
        }
    }

    private static float[] tiled(VaeTiling tiling, int f, int h, int w, ProgressListener listener) {
        try (StandIn run = new StandIn(VaeTilePlan.forEncode(tiling, config, f, h, w))) {
            return run.run(listener);
        }
    }

    @Test
    void everyTilingOnTheLatentGridMatchesDiffusersBlendAndCrop() {
        int cases = 0;
        List<VaeTiling> tilings = new ArrayList<>(List.of(VaeTiling.OFF));
        for (int min = 32; min <= 128; min += 32)
            for (int stride = 32; stride <= min; stride += 32)
                for (int minF = 8; minF <= 24; minF += 8)
                    for (int strideF = 8; strideF <= minF; strideF += 8) {
                        tilings.add(VaeTiling.diffusers(min, stride, minF, strideF));
                        tilings.add(new VaeTiling(false, min, min, stride, stride, true, minF, strideF, 0));
                    }
        tilings.add(VaeTiling.spatialOnly(64, 96, 32, 64));
        tilings.add(VaeTiling.spatialOnly(128, 32, 96, 32));
        for (VaeTiling t : tilings)
            for (int f : new int[] {1, 9, 17, 25, 41})
                for (int[] hw : new int[][] {{32, 32}, {64, 96}, {160, 128}, {96, 224}}) {
                    DiffusersTiledEncode.T expected = new DiffusersTiledEncode(t, 32, 8, VaeTiledEncodeBlendTest::randomLatents).encode(f, hw[0], hw[1]);
                    assertThat(new int[] {expected.f(), expected.h(), expected.w()}).containsExactly((f - 1) / 8 + 1, hw[0] / 32, hw[1] / 32);
                    assertThat(tiled(t, f, hw[0], hw[1], ProgressListener.NONE)).as("%s on %d×%d×%d", t, f, hw[0], hw[1]).isEqualTo(expected.d());
                    cases++;
                }
        assertThat(cases).isGreaterThan(500);
    }

    @Test
    void tilesAreReportedAndTheOnesDiffusersThrowsAwayAreNotEncoded() {
        // 25 frames in 17-frame tiles every 8: starts 0, 8, 16 (24 would be one frame, its one latent dropped).
        VaeTiling t = VaeTiling.diffusers(64, 32, 16, 8);
        List<String> steps = new ArrayList<>();
        ProgressListener listener = ProgressListener.onStep((stage, done, total, s) -> steps.add(stage + " " + done + "/" + total));
        try (StandIn run = new StandIn(VaeTilePlan.forEncode(t, config, 25, 64, 96))) {
            run.run(listener);
            assertThat(run.boxes).hasSize(3 * 2 * 3).startsWith("0+17 0+64 0+64", "0+17 0+64 32+64", "0+17 0+64 64+32", "0+17 32+32 0+64")
                    .endsWith("16+9 32+32 64+32").noneMatch(b -> b.startsWith("24+"));
        }
        assertThat(steps).hasSize(18).startsWith("encode_video 1/18").endsWith("encode_video 18/18");
        int[] done = {0};
        ProgressListener cancelAfterTwo = new ProgressListener() {
            @Override
            public void step(String stage, int d, int total, double seconds) {
                done[0] = d;
            }

            @Override
            public boolean cancelled() {
                return done[0] >= 2;
            }
        };
        assertThatThrownBy(() -> tiled(t, 25, 64, 96, cancelAfterTwo)).isInstanceOf(CancellationException.class)
                .hasMessageContaining("encode_video tile 3 of 18");
    }

    /**
     * diffusers blends the tiles' raw moments, log variance included, and clamps the log
     * variance to [−30, 20] after: a seam between a tile whose raw log variance is 60 and one
     * whose is 0 blends to 30 there, clamped to 20 (clamping each tile first would give 10).
     */
    @Test
    void theLogVarianceIsBlendedBeforeItIsClamped() {
        int c = config.latentChannels();
        // 128-px tiles every 64 over 192 px: columns 0–3 and 2–5, blended over latents 2 and 3 (weights 1, ½ on the left tile)
        VaeTilePlan plan = VaeTilePlan.forEncode(VaeTiling.spatialOnly(128, 128, 64, 64), config, 1, 32, 192);
        assertThat(plan.cols.blend()).isEqualTo(2);
        TiledVae<TiledVae.TileGraph> run = new TiledVae<>(plan, c + 1, 0, "encode_image") {
            @Override
            protected Block compute(int k, int i, int j) {
                boolean left = plan.cols.start(j) == 0;
                Block b = new Block(c + 1, 1, 1, plan.cols.size(j) / 32);
                int plane = b.width();
                for (int p = 0; p <= c; p++) java.util.Arrays.fill(b.data(), p * plane, (p + 1) * plane, p == c ? (left ? 60f : 0f) : (left ? 1f : 3f));
                return b;
            }
        };
        LtxVaeEncoder.LatentDistribution d;
        try (run) {
            d = LtxVaeEncoder.distribution(run, config, 1, new int[] {1, 1, 6}, ProgressListener.NONE);
        }
        for (int ch = 0; ch < c; ch++) {
            float[] mean = java.util.Arrays.copyOfRange(d.mean(), ch * 6, ch * 6 + 6), logvar = java.util.Arrays.copyOfRange(d.logvar(), ch * 6, ch * 6 + 6);
            assertThat(mean).containsExactly(1f, 1f, 1f, 2f, 3f, 3f);
            assertThat(logvar).containsExactly(20f, 20f, 20f, 20f, 0f, 0f);
        }
    }
}
