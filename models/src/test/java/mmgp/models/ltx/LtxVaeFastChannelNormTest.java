package mmgp.models.ltx;

import static mmgp.testing.TestArrays.relativeRms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.function.Supplier;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The LTX-Video 0.9.5 VAE (fixture ltx_video_095; and the 0.9.0 decoder, fixture ltx_video) under
 * FAST numerics with the fused channel norm ({@code mmgp.chnorm=fused}: the resnets' RMS norms with
 * modulation and SiLU, norm3, norm_out) against diffusers' fp32 goldens, next to the same decode and
 * encode with ggml's composed norms ({@code mmgp.chnorm=ggml}): the fused route must be taken (other
 * bits), stay as close to the golden as FAST's other approximations (F16 convolution operands) allow
 * and no further from it than ggml's norms.
 */
class LtxVaeFastChannelNormTest extends Vae095Fixture {
    /** Relative RMS bounds: to the fp32 golden (FAST as a whole), and between the two norm routes under FAST. */
    private static final double TO_GOLDEN = 2e-3, BETWEEN_ROUTES = 3e-4;

    private static ComputeBackend fast;
    private static WeightSet fastWeights;

    @BeforeAll
    static void openFast() throws Exception {
        assumeTrue(MmgpKernels.hasChannelNorm(), "the kernels library has no channel norm op");
        fast = ComputeBackend.cpu(2, Numerics.FAST);
        fastWeights = WeightSet.fromCheckpoint(fast, ckpt, false);
    }

    @AfterAll
    static void closeFast() {
        if (fastWeights != null) fastWeights.close();
        if (fast != null) fast.close();
        fastWeights = null;
        fast = null;
    }

    @Test
    void conditionedDecodeWithTheFusedNormMatchesTheGolden() throws Exception {
        try (SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/vae_decode.safetensors"))) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(config, fastWeights, "vae.");
            float[] z = golden.readFloats("z"), timestep = golden.readFloats("decode_timestep"); // (2, 16, 2, 1, 2), one timestep per row
            compare("decode", golden.readFloats("sample"), BETWEEN_ROUTES, () -> decoder.decode(fast, z, timestep, 0, 2, 2, 1, 2));
        }
    }

    @Test
    void unconditionedDecodeWithTheFusedNormMatchesTheGolden() throws Exception {
        // The 0.9.0 layout (fixture ltx_video): RMS norms without modulation, norm3 where the width changes.
        try (ComputeBackend own = ComputeBackend.cpu(2, Numerics.FAST);
             mmgp.convert.HfCheckpoint old = mmgp.convert.HfCheckpoint.open(java.nio.file.Path.of("src/test/resources/fixtures/ltx_video/checkpoint"));
             WeightSet w = WeightSet.fromCheckpoint(own, old, false);
             SafetensorsFile golden = SafetensorsFile.open(java.nio.file.Path.of("src/test/resources/fixtures/ltx_video/golden/vae_decode.safetensors"))) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(old.component("vae").config()), w, "vae.");
            float[] z = golden.readFloats("z"); // (1, 16, 3, 2, 3)
            // Its convs take F16 patches (frames below the Winograd threshold), whose rounding turns the norms'
            // last-bit differences into ~1e-3 between the routes: only the distance to the golden is compared.
            compare("0.9.0 decode", golden.readFloats("sample"), Double.NaN, () -> decoder.decode(own, z, 1, 3, 2, 3));
        }
    }

    @Test
    void encodeWithTheFusedNormMatchesTheGolden() throws Exception {
        try (SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/vae_encode.safetensors"))) {
            LtxVaeEncoder encoder = new LtxVaeEncoder(config, fastWeights, "vae.");
            float[] x = golden.readFloats("x"); // (1, 3, 9, 64, 64)
            compare("encode mean", golden.readFloats("latent_mean"), BETWEEN_ROUTES, () -> encoder.encodeVideo(fast, x, 1, 9, 64, 64).mean());
        }
    }

    /** Both routes against the golden: the fused one taken, within TO_GOLDEN, no further than ggml's (+2%) and within {@code between} of it (NaN: unchecked). */
    private static void compare(String what, float[] expected, double between, Supplier<float[]> run) {
        float[] fused = withRoute("fused", run), ggml = withRoute("ggml", run);
        double fusedErr = relativeRms(fused, expected), ggmlErr = relativeRms(ggml, expected), routes = relativeRms(fused, ggml);
        System.out.printf("FAST %s vs fp32 golden, relative RMS: fused channel norm %.2e, ggml's norms %.2e; between the routes %.2e%n",
                what, fusedErr, ggmlErr, routes);
        assertThat(fused).as("the fused route is taken").isNotEqualTo(ggml);
        assertThat(fusedErr).as(what + " fused vs golden").isLessThanOrEqualTo(TO_GOLDEN).isLessThanOrEqualTo(1.02 * ggmlErr);
        if (!Double.isNaN(between)) assertThat(routes).as(what + " fused vs ggml's norms").isLessThanOrEqualTo(between);
    }

    private static float[] withRoute(String route, Supplier<float[]> run) {
        String old = System.setProperty("mmgp.chnorm", route);
        try {
            return run.get();
        } finally {
            if (old == null) System.clearProperty("mmgp.chnorm");
            else System.setProperty("mmgp.chnorm", old);
        }
    }

}
