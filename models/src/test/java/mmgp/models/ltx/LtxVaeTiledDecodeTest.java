package mmgp.models.ltx;

import static mmgp.testing.TestArrays.maxAbsDiff;
import static mmgp.testing.TestArrays.normal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import mmgp.api.ProgressListener;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.TensorComparison;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.safetensors.SafetensorsFile;
import mmgp.testing.GoldenCases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * diffusers 0.33.1's own tiled decode (golden case "vae_decode_tiled" of ltx_video_095:
 * {@code enable_tiling(...)} + {@code use_framewise_decoding}) reproduced within the case's
 * tolerance; the planned compute buffer against the allocated one; budget → tiles on the real
 * graph; untiled settings giving the plain decode bit for bit; progress and cancellation.
 */
class LtxVaeTiledDecodeTest extends Vae095Fixture {
    private static LtxVaeDecoder decoder;

    @BeforeAll
    static void open() {
        decoder = new LtxVaeDecoder(config, weights, "vae.");
    }

    private static JsonNode tiledCase() throws Exception {
        for (JsonNode c : new ObjectMapper().readTree(FIXTURE.resolve("golden/cases.json").toFile()).path("cases")) {
            if (c.path("name").asText().equals("vae_decode_tiled")) return c;
        }
        throw new AssertionError("no vae_decode_tiled case in the fixture");
    }

    @Test
    void tiledDecodeReproducesDiffusersTiledDecode() throws Exception {
        JsonNode spec = tiledCase();
        double atol = spec.path("tolerance").path("fp32_atol").asDouble(), rtol = spec.path("tolerance").path("fp32_rtol").asDouble();
        assertThat(atol).isPositive();
        try (SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve(spec.path("file").asText()))) {
            long[] s = golden.tensor("z").shape();
            int b = (int) s[0], f = (int) s[2], h = (int) s[3], w = (int) s[4];
            float[] z = golden.readFloats("z"), t = golden.readFloats("decode_timestep");
            VaeTiling tiling = LtxTiledDecodeCase.tiling(spec.path("tiling"));
            List<String> steps = new ArrayList<>();
            ProgressListener listener = new ProgressListener() {
                @Override
                public void step(String stage, int done, int total, double seconds) {
                    steps.add(stage + " " + done + "/" + total);
                }
            };
            float[] tiled = decoder.decode(backend, z, t, 0, b, f, h, w, tiling, listener);
            float[] expected = golden.readFloats("sample_tiled");
            TensorComparison c = TensorComparison.floats("sample_tiled", tiled, expected, atol, rtol);
            System.out.println("vae_decode_tiled: " + c);
            assertThat(c.passed()).as(c.toString()).isTrue();
            int tiles = VaeTilePlan.of(tiling, decoder.config(), f, h, w).tileCount();
            assertThat(steps).hasSize(tiles).endsWith("decode " + tiles + "/" + tiles);
            // The same z decoded whole is the untiled algorithm: as far from the tiled video as diffusers measured.
            float[] whole = decoder.decode(backend, z, t, 0, b, f, h, w);
            assertThat(maxAbsDiff(tiled, whole)).isCloseTo(spec.path("max_abs_tiled_minus_untiled").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
        }
    }

    @Test
    void theCheckRunnerPassesTheCase() throws Exception {
        FixtureCases fixture = FixtureCases.load(FIXTURE);
        FixtureCases.Case c = GoldenCases.named(fixture, "vae_decode_tiled");
        CaseResult r = FixtureRunner.forModel(fixture.model()).run(fixture, c, backend);
        assertThat(r.passed()).as(r.error() + " " + r.comparisons()).isTrue();
        assertThat(r.comparisons()).extracting(TensorComparison::name).containsExactly("sample_tiled");
    }

    @Test
    void untiledSettingsGiveThePlainDecodeBitForBit() {
        int b = 1, f = 2, h = 3, w = 2;
        float[] z = normal(new SplittableRandom(5), b * 16 * f * h * w);
        float[] t = {0.05f};
        float[] plain = decoder.decode(backend, z, t, 0, b, f, h, w);
        assertThat(decoder.decode(backend, z, t, 0, b, f, h, w, VaeTiling.OFF, ProgressListener.NONE)).isEqualTo(plain);
        // Tiling on, but F' ≤ minFrames // 8 and the sizes within one tile: diffusers decodes whole.
        assertThat(decoder.decode(backend, z, t, 0, b, f, h, w, VaeTiling.diffusers(128, 64, 16, 8), ProgressListener.NONE)).isEqualTo(plain);
        assertThat(decoder.decodeTiled(backend, z, t, 0, b, f, h, w, 3, 2, 1, ProgressListener.NONE)).isEqualTo(plain);
    }

    @Test
    void thePlannedComputeBufferIsTheOneAllocated() {
        int b = 1, f = 3, h = 2, w = 2;
        long planned = decoder.plannedComputeBytes(backend, b, f, h, w);
        try (Graph g = decoder.newGraph(backend, f)) {
            Tensor in = g.inputF32("latents", w, h, f, 16L * b);
            Tensor t = g.inputF32("decode_timestep", b);
            g.output(decoder.build(g, in, t, b).video());
            assertThat(g.plannedBufferBytes()).isEqualTo(planned);
            g.set(in, normal(new SplittableRandom(1), 16 * b * f * h * w));
            g.set(t, new float[] {0.05f});
            g.compute();
            assertThat(g.computeBufferBytes()).isEqualTo(planned);
        }
        assertThat(decoder.plannedComputeBytes(backend, b, 5, 3, 4)).isGreaterThan(planned);
        assertThat(decoder.plannedComputeBytes(backend, 2, f, h, w)).isGreaterThan(planned);
    }

    @Test
    void aBudgetSizesTheTilesOnTheRealGraph() {
        int b = 1, f = 5, h = 3, w = 4;
        long whole = decoder.plannedComputeBytes(backend, b, f, h, w);
        assertThat(decoder.tilingForBudget(backend, whole, b, f, h, w)).isEqualTo(VaeTiling.OFF);
        VaeTiling half = decoder.tilingForBudget(backend, whole / 2, b, f, h, w);
        VaeTiling tenth = decoder.tilingForBudget(backend, whole / 10, b, f, h, w);
        VaeTilePlan halfPlan = VaeTilePlan.of(half, decoder.config(), f, h, w), tenthPlan = VaeTilePlan.of(tenth, decoder.config(), f, h, w);
        assertThat(decoder.plannedComputeBytes(backend, b, halfPlan.frames.size(0), halfPlan.rows.size(0), halfPlan.cols.size(0))).isLessThanOrEqualTo(whole / 2);
        assertThat(decoder.plannedComputeBytes(backend, b, tenthPlan.frames.size(0), tenthPlan.rows.size(0), tenthPlan.cols.size(0))).isLessThanOrEqualTo(whole / 10);
        assertThat(tenthPlan.tileCount()).isGreaterThan(halfPlan.tileCount()).isGreaterThan(1);
        // The tiles decode, to the video's shape; a budget the whole decode fits in gives the plain decode.
        float[] z = normal(new SplittableRandom(9), b * 16 * f * h * w);
        float[] t = {0.05f};
        float[] tiled = decoder.decodeWithinBudget(backend, z, t, 0, b, f, h, w, whole / 10, ProgressListener.NONE);
        assertThat(tiled).isEqualTo(decoder.decode(backend, z, t, 0, b, f, h, w, tenth, ProgressListener.NONE))
                .hasSize(b * 3 * decoder.config().decodedFrames(f) * h * 32 * w * 32);
        assertThat(decoder.decodeWithinBudget(backend, z, t, 0, b, f, h, w, 0, ProgressListener.NONE)).isEqualTo(decoder.decode(backend, z, t, 0, b, f, h, w));
    }

    @Test
    void tiledDecodingStopsWhenCancelled() {
        int[] done = {0};
        ProgressListener cancelAfterOne = new ProgressListener() {
            @Override
            public void step(String stage, int d, int total, double seconds) {
                done[0] = d;
            }

            @Override
            public boolean cancelled() {
                return done[0] >= 1;
            }
        };
        float[] z = normal(new SplittableRandom(3), 16 * 5 * 3 * 4);
        assertThatThrownBy(() -> decoder.decode(backend, z, new float[] {0.05f}, 0, 1, 5, 3, 4, VaeTiling.diffusers(64, 32, 16, 8), cancelAfterOne))
                .isInstanceOf(CancellationException.class).hasMessageContaining("decode tile 2 of 48");
        assertThatThrownBy(() -> decoder.decodeTiled(backend, z, new float[] {0.05f}, 0, 1, 5, 3, 4, 2, 2, 2, ProgressListener.NONE))
                .hasMessageContaining("overlap 2 must be in [0, smaller tile side 2)");
    }
}
