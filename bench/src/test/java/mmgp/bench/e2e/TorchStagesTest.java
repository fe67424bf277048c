package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import mmgp.bench.TorchKernels;
import org.assertj.core.data.Offset;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Parsing what bench/python/torch_stages.py printed (a recorded --quick run with a 1 s cap, so some passes were capped;
 * its ltx_vae stage from a later --quick run of that stage alone, same cap), the LTX VAE decoder's FLOPs, and the
 * script itself when a Python with torch is there.
 */
class TorchStagesTest {
    private static String sample() throws Exception {
        try (InputStream in = TorchStagesTest.class.getResourceAsStream("/torch_stages-sample.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void parsesTheRecordedSample() throws Exception {
        TorchStages t = TorchStages.parse(sample());
        assertThat(t.threads()).isEqualTo(2);
        assertThat(t.torch()).isEqualTo("1.13.0a0");
        assertThat(t.blas()).isEqualTo("OpenBLAS");
        assertThat(t.blasNote()).isNull();
        assertThat(t.cpuCapability()).isEqualTo("AVX2");
        assertThat(t.bf16()).startsWith("emulated");
        assertThat(t.quick()).isTrue();
        assertThat(t.capSeconds()).isEqualTo(1.0);
        assertThat(t.stages()).extracting(TorchStages.Stage::key).containsExactly("amused", "t5", "ltx", "vq", "ltx_vae");

        TorchStages.Stage amused = t.stage("amused");
        assertThat(amused.gflop()).isCloseTo(1.262, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(amused.layers()).isEqualTo(2);
        TorchStages.Result fp32 = amused.result("fp32");
        assertThat(fp32.ok()).isTrue();
        assertThat(fp32.capped()).isTrue();
        assertThat(fp32.estimated()).isFalse();
        assertThat(fp32.note()).startsWith("warm-up pass only");
        TorchStages.Result bf16 = amused.result("bf16");
        assertThat(bf16.ok()).isTrue();
        assertThat(bf16.estimated()).isTrue();
        assertThat(bf16.reps()).isZero();
        assertThat(bf16.lowerBoundSeconds()).isGreaterThan(1.0);
        assertThat(bf16.seconds()).isGreaterThan(bf16.lowerBoundSeconds());
        assertThat(bf16.describe()).startsWith("≈ ").endsWith(" (capped)");
        assertThat(t.stage("nope")).isNull();

        TorchStages.Stage vae = t.stage("ltx_vae");
        assertThat(vae.label()).startsWith("LTX 0.9.5 VAE decode").endsWith("[--quick: reduced model]");
        assertThat(vae.layers()).isZero(); // built whole: not a stack of identical layers
        assertThat(vae.gflop()).isCloseTo(ltxVaeGflop(128, new int[] {16, 32, 64}, new int[] {1, 1, 1, 1}, 2, 5, 8), Percentage.withPercentage(1e-6));
        assertThat(vae.results()).containsOnlyKeys("fp32", "bf16");
        assertThat(vae.result("fp32").estimated()).isTrue();
        assertThat(vae.result("fp32").note()).startsWith("the warm-up pass was stopped at the 1 s cap");
    }

    @Test
    void aFailedDtypeAndAReferenceBlasAreCarried() throws Exception {
        String json = """
                {"torch": "1.13.1", "threads": 1, "blas": {"kind": "reference BLAS", "warning": "install libopenblas0-openmp"},
                 "quick": false, "cap_seconds": 120,
                 "stages": [{"stage": "t5", "label": "T5", "gflop": 1191.9, "layers": 24, "layers_timed": 15,
                             "results": {"fp32": {"seconds": 40.5, "reps": 2, "gflops": 29.4},
                                         "bf16": {"error": "RuntimeException: bf16 not supported"}}}]}
                """;
        TorchStages t = TorchStages.parse(json);
        assertThat(t.blasNote()).isEqualTo("install libopenblas0-openmp");
        TorchStages.Stage s = t.stage("t5");
        assertThat(s.layersTimed()).isEqualTo(15);
        assertThat(s.result("fp32").describe()).isEqualTo("40.5 s");
        assertThat(s.result("bf16").ok()).isFalse();
        assertThat(s.result("bf16").describe()).isEqualTo("failed: RuntimeException: bf16 not supported");
    }

    @Test
    void outputWithoutStagesIsAnError() {
        assertThatThrownBy(() -> TorchStages.parse("{\"torch\": \"1.13\"}")).hasMessageContaining("no \"stages\" list");
    }

    @Test
    void thePeerStagesFollowTheModels() {
        assertThat(PythonPeer.stagesFor(List.of("amused"))).containsExactly("amused", "vq");
        assertThat(PythonPeer.stagesFor(List.of("smolvlm", "ltx", "amused"))).containsExactly("t5", "ltx", "ltx_vae", "amused", "vq");
        assertThat(PythonPeer.stagesFor(List.of("smolvlm"))).isEmpty();
    }

    @Test
    void theLtxVaeDecoderHasMmgpsStageFlops() {
        // 0.9.5 at 512×320×49: the 10.3 TFLOP mmgp's GraphStats counts for its VAE decode stage.
        assertThat(ltxVaeGflop(128, new int[] {256, 512, 1024}, new int[] {5, 5, 5, 5}, 7, 10, 16)).isCloseTo(10321.0, Offset.offset(1.0));
    }

    @Test
    void theLtxVaeStageRunsQuickAndStopsAtTheCapWhenAPythonWithTorchIsThere() throws Exception {
        TorchKernels.Probe probe = PythonPeer.detect();
        Assumptions.assumeTrue(probe.python() != null, () -> "skipped: " + probe.reason());
        Path script = PythonPeer.script();
        assertThat(script).as(PythonPeer.SCRIPT + " found from " + Path.of("").toAbsolutePath()).isNotNull();
        double cap = 0.05; // well under one quick pass: every dtype ends capped, bf16 (a generic path on AVX2) included
        TorchStages run = PythonPeer.run(probe.python(), script, List.of("ltx_vae"), 1, true, cap);
        assertThat(run.threads()).isEqualTo(1);
        assertThat(run.quick()).isTrue();
        assertThat(run.stages()).extracting(TorchStages.Stage::key).containsExactly("ltx_vae");
        TorchStages.Stage vae = run.stage("ltx_vae");
        // --quick: widths (16, 32, 64), one resnet per block, latents 128×2×5×8 (mmgp's quick size 256×160×9).
        assertThat(vae.gflop()).isCloseTo(ltxVaeGflop(128, new int[] {16, 32, 64}, new int[] {1, 1, 1, 1}, 2, 5, 8), Percentage.withPercentage(1e-6));
        for (String dtype : List.of("fp32", "bf16")) {
            TorchStages.Result r = vae.result(dtype);
            assertThat(r.ok()).as(dtype + ": " + r.describe()).isTrue();
            assertThat(r.capped()).as(dtype + ": " + r.note()).isTrue();
            assertThat(r.seconds() * r.gflops()).isCloseTo(vae.gflop(), Percentage.withPercentage(1e-6));
            // Stopped at the cap, not after the pass: an op of the quick model takes milliseconds.
            if (r.estimated()) assertThat(r.lowerBoundSeconds()).as(dtype + ": " + r.note()).isLessThan(cap + 1.0);
        }
    }

    @Test
    void theLtxVaeStageIsDiffusersDecoderWithTheFixturesWeights() throws Exception {
        TorchKernels.Probe probe = PythonPeer.detect();
        Assumptions.assumeTrue(probe.python() != null, () -> "skipped: " + probe.reason());
        Path golden = TorchKernels.findInTree("models/src/test/resources/fixtures/ltx_video_095/golden/vae_decode.safetensors");
        assertThat(golden).as("the ltx_video_095 fixture").isNotNull();
        Process p = new ProcessBuilder(probe.python().command(), PythonPeer.script().toString(), "--threads", "1", "--check-ltx-vae",
                golden.getParent().getParent().toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        JsonNode json = new ObjectMapper().readTree(out);
        for (String output : List.of("sample", "sample_timestep_zero")) {
            // diffusers' own output to float32 rounding (outputs up to ~2.3): the peer computes what the 0.9.5 decoder computes.
            assertThat(json.path(output).path("max_abs").asDouble()).as(output).isGreaterThan(0.5);
            assertThat(json.path(output).path("max_abs_diff").asDouble(Double.NaN)).as(output).isLessThan(1e-4);
        }
    }

    /**
     * GFLOP of diffusers' LTXVideoDecoder3d for a 0.9.5-style config (every up block timestep-conditioned, residual
     * upsamplers with upsample_factor 2, patch 4), counted as mmgp counts: 2 per multiply-add of every conv and linear.
     */
    private static double ltxVaeGflop(int latent, int[] channels, int[] layers, int frames, int h, int w) {
        int width = channels[channels.length - 1];
        double p = (double) frames * h * w;
        double flops = conv(latent, width, p) + embedder(4 * width) + layers[layers.length - 1] * 2 * conv(width, width, p);
        for (int i = 0; i < channels.length; i++) {
            int out = channels[channels.length - 1 - i] / 2;
            flops += embedder(4 * out) + conv(width, 4 * width, p); // the upsampler: C·8/2 channels at the input size
            frames = 2 * frames - 1;
            h *= 2;
            w *= 2;
            p = (double) frames * h * w;
            flops += layers[layers.length - 2 - i] * 2 * conv(out, out, p);
            width = out;
        }
        return (flops + embedder(2 * width) + conv(width, 3 * 4 * 4, p)) / 1e9;
    }

    private static double conv(int in, int out, double positions) {
        return 2.0 * positions * out * in * 27;
    }

    /** Timesteps(256) → linear (256 → dim) → SiLU → linear (dim → dim), batch 1. */
    private static double embedder(int dim) {
        return 2.0 * (256.0 * dim + (double) dim * dim);
    }
}
