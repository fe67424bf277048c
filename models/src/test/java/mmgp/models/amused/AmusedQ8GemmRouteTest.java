package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.safetensors.SafetensorsFile;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aMUSEd fixture converted to Q8_0, run end to end per module under numerics=fast twice: with
 * mmgp's Q8_0 GEMM (the route {@code MatMul.apply} takes) and with ggml's mul_mat
 * ({@code -Dmmgp.q8gemm=ggml}, read at graph build). One matmul of the two differs only in fp32
 * summation order (a few 1e-7 of its outputs; MatMulQ8Test), but the next Q8_0 matmul quantizes
 * those outputs again, and a value within an ulp of a rounding boundary (q = k + 0.5) then lands
 * one step (1/127 of its block's max) apart: through a network the two routes differ by rounding
 * flips of the activation quantization, an error of the same kind as Q8_0's own and much smaller.
 * Bound: 5e-3 relative RMS between the routes per module output, a quarter of the Q8_0 bounds
 * against the fp32 goldens that AmusedQuantizedTest holds (4e-2, 2e-2, 2e-2), which both routes
 * must meet here too, with mmgp's logits error at most 10% above ggml's.
 */
class AmusedQ8GemmRouteTest {
    static final Path FIXTURE = AmusedGoldenCasesTest.FIXTURE;
    static final double ROUTE_BOUND = 5e-3;

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        assumeTrue(MmgpKernels.isAvailable() && !MmgpKernels.q8Path().equals("scalar"), "no SIMD Q8_0 GEMM in the mmgp kernels");
    }

    record Outputs(float[] text, float[] logits, float[] decode) {}

    @Test
    void mmgpRouteMatchesGgmlRoute(@TempDir Path tmp) throws Exception {
        Path gguf = tmp.resolve("amused-Q8_0.gguf");
        ModelConverter converter = ModelConverter.byId("amused");
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            TypePolicy policy = new TypePolicy(GgmlType.Q8_0).minQuantizedElements(64); // the tiny fixture's matrices are small
            converter.adjust(policy);
            ConversionPlan plan = new ConversionPlan(policy);
            converter.plan(ckpt, plan);
            plan.write(gguf, item -> {});
        }
        Outputs mmgp = run(gguf, null);
        Outputs ggml = run(gguf, "ggml");
        double text = relativeRms(mmgp.text(), ggml.text()), logits = relativeRms(mmgp.logits(), ggml.logits());
        double decode = relativeRms(mmgp.decode(), ggml.decode());
        System.out.printf("aMUSEd Q8_0, fast, mmgp Q8_0 GEMM vs ggml mul_mat, relative RMS: text_embeds %.2e, logits %.2e, vq sample %.2e%n",
                text, logits, decode);
        double[][] golden = new double[2][];
        for (int i = 0; i < 2; i++) {
            Outputs o = i == 0 ? mmgp : ggml;
            try (SafetensorsFile t = SafetensorsFile.open(FIXTURE.resolve("golden/text_encoder.safetensors"));
                    SafetensorsFile x = SafetensorsFile.open(FIXTURE.resolve("golden/transformer.safetensors"));
                    SafetensorsFile v = SafetensorsFile.open(FIXTURE.resolve("golden/vqvae_decode.safetensors"))) {
                golden[i] = new double[] {relativeRms(o.text(), t.readFloats("text_embeds")), relativeRms(o.logits(), x.readFloats("logits")),
                    relativeRms(o.decode(), v.readFloats("sample"))};
            }
            System.out.printf("  %s route vs fp32 goldens: text_embeds %.2e, logits %.2e, vq sample %.2e%n", i == 0 ? "mmgp" : "ggml",
                    golden[i][0], golden[i][1], golden[i][2]);
        }
        // The GEMM was taken in the transformer: mmgp's summation order is not ggml's, so the logits differ.
        assertThat(logits).as("mmgp's route taken in the transformer").isGreaterThan(0);
        assertThat(text).as("text_embeds").isLessThanOrEqualTo(ROUTE_BOUND);
        assertThat(logits).as("transformer logits").isLessThanOrEqualTo(ROUTE_BOUND);
        assertThat(decode).as("vq decode").isLessThanOrEqualTo(ROUTE_BOUND);
        double[] bounds = {4e-2, 2e-2, 2e-2};
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) assertThat(golden[i][j]).as("route %d output %d vs golden", i, j).isLessThanOrEqualTo(bounds[j]);
        }
        // Neither route is the more accurate one beyond the spread that rounding flips give.
        assertThat(golden[0][1]).as("mmgp route's logits error vs ggml route's").isLessThanOrEqualTo(golden[1][1] * 1.1);
    }

    /** The three module outputs of the golden inputs, with mmgp.q8gemm set to {@code route} while the graphs are built. */
    private static Outputs run(Path gguf, String route) throws Exception {
        String before = System.getProperty("mmgp.q8gemm");
        if (route == null) System.clearProperty("mmgp.q8gemm");
        else System.setProperty("mmgp.q8gemm", route);
        try (ComputeBackend backend = ComputeBackend.cpu(2, Numerics.FAST); AmusedModel model = AmusedModel.open(gguf, backend)) {
            float[] text, logits, decode;
            try (SafetensorsFile g = SafetensorsFile.open(FIXTURE.resolve("golden/text_encoder.safetensors"))) {
                long[] flat = g.readLongs("input_ids");
                int t = (int) g.tensor("input_ids").shape()[1];
                int[][] ids = new int[flat.length / t][t];
                for (int i = 0; i < flat.length; i++) ids[i / t][i % t] = (int) flat[i];
                text = model.textEncoder().encode(backend, ids).textEmbeds();
            }
            try (SafetensorsFile g = SafetensorsFile.open(FIXTURE.resolve("golden/transformer.safetensors"))) {
                long[] s = g.tensor("input_ids").shape();
                logits = model.transformer().forward(backend, g.readLongs("input_ids"), g.readFloats("encoder_hidden_states"),
                        g.readFloats("pooled_text_emb"), g.readFloats("micro_conds"), (int) s[0], (int) s[1], (int) s[2]);
            }
            try (SafetensorsFile g = SafetensorsFile.open(FIXTURE.resolve("golden/vqvae_decode.safetensors"))) {
                long[] s = g.tensor("indices").shape();
                decode = model.vqDecoder().decode(backend, g.readLongs("indices"), (int) s[0], (int) s[1], (int) s[2]);
            }
            return new Outputs(text, logits, decode);
        } finally {
            if (before == null) System.clearProperty("mmgp.q8gemm");
            else System.setProperty("mmgp.q8gemm", before);
        }
    }

    static double relativeRms(float[] actual, float[] expected) {
        return AmusedQuantizedTest.relativeRms(actual, expected);
    }
}
