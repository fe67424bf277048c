package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.graph.ComputeBackend;
import mmgp.safetensors.SafetensorsFile;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The converter's GGUF at each weight type against the fp32 goldens. F32 must pass every case
 * exactly like the Hugging Face folder; F16 and Q8_0 are held to relative RMS error bounds per
 * module output (tokens after sampling are discrete, so the end-to-end image is only checked at F32).
 */
class AmusedQuantizedTest {
    static final Path FIXTURE = AmusedGoldenCasesTest.FIXTURE;

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @ParameterizedTest(name = "{0}")
    // type, text_embeds bound, transformer logits bound, vq decode bound (relative RMS)
    @CsvSource({"F32, 1e-6, 1e-6, 1e-6", "F16, 2e-3, 2e-3, 2e-3", "Q8_0, 4e-2, 2e-2, 2e-2"})
    void convertedModelStaysWithinItsTypesBound(GgmlType type, double textBound, double logitsBound, double decodeBound, @TempDir Path tmp) throws Exception {
        Path gguf = tmp.resolve("amused-" + type + ".gguf");
        ModelConverter converter = ModelConverter.byId("amused");
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            TypePolicy policy = new TypePolicy(type).minQuantizedElements(64); // the tiny fixture's matrices are small
            converter.adjust(policy);
            ConversionPlan plan = new ConversionPlan(policy);
            converter.plan(ckpt, plan);
            plan.write(gguf, item -> {});
        }
        FixtureCases fixture = FixtureCases.load(FIXTURE);
        try (ComputeBackend backend = ComputeBackend.cpu(2); AmusedModel model = AmusedModel.open(gguf, backend)) {
            double text, logits, decode;
            try (SafetensorsFile g = SafetensorsFile.open(FIXTURE.resolve("golden/text_encoder.safetensors"))) {
                long[] flat = g.readLongs("input_ids");
                int t = (int) g.tensor("input_ids").shape()[1];
                int[][] ids = new int[flat.length / t][t];
                for (int i = 0; i < flat.length; i++) ids[i / t][i % t] = (int) flat[i];
                text = relativeRms(model.textEncoder().encode(backend, ids).textEmbeds(), g.readFloats("text_embeds"));
            }
            try (SafetensorsFile g = SafetensorsFile.open(FIXTURE.resolve("golden/transformer.safetensors"))) {
                long[] s = g.tensor("input_ids").shape();
                logits = relativeRms(model.transformer().forward(backend, g.readLongs("input_ids"), g.readFloats("encoder_hidden_states"),
                        g.readFloats("pooled_text_emb"), g.readFloats("micro_conds"), (int) s[0], (int) s[1], (int) s[2]), g.readFloats("logits"));
            }
            try (SafetensorsFile g = SafetensorsFile.open(FIXTURE.resolve("golden/vqvae_decode.safetensors"))) {
                long[] s = g.tensor("indices").shape();
                decode = relativeRms(model.vqDecoder().decode(backend, g.readLongs("indices"), (int) s[0], (int) s[1], (int) s[2]), g.readFloats("sample"));
            }
            System.out.printf("aMUSEd %s relative RMS error: text_embeds %.2e, logits %.2e, vq sample %.2e%n", type, text, logits, decode);
            assertThat(text).as("text_embeds").isLessThanOrEqualTo(textBound);
            assertThat(logits).as("transformer logits").isLessThanOrEqualTo(logitsBound);
            assertThat(decode).as("vq decode").isLessThanOrEqualTo(decodeBound);
            if (type == GgmlType.F32) {
                AmusedFixtureRunner runner = new AmusedFixtureRunner();
                for (FixtureCases.Case c : fixture.cases()) {
                    if (!c.name().startsWith("e2e")) continue;
                    // The runner loads the fixture's folder; here the GGUF model must give the same tokens and image.
                    CaseResult r = runner.runWith(model, fixture, c, backend);
                    assertThat(r.passed()).as(c.name() + " " + r.comparisons()).isTrue();
                }
            }
        }
    }

    static double relativeRms(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        double e = 0, r = 0;
        for (int i = 0; i < actual.length; i++) {
            e += (actual[i] - expected[i]) * (double) (actual[i] - expected[i]);
            r += expected[i] * (double) expected[i];
        }
        return Math.sqrt(e / r);
    }
}
