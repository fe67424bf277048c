package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mmgp.bindings.NativeLibraries;
import mmgp.check.FixtureCases;
import mmgp.check.TensorComparison;
import mmgp.convert.HfCheckpoint;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsFile;
import mmgp.testing.GoldenCases;
import org.junit.jupiter.api.Test;

/** T5EncoderModel (v1.1, gated-gelu) against transformers' outputs for the tiny LTX-Video fixture. */
class T5EncoderGoldenTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video");

    /** The golden case: ids and mask [B][T], and every stored float tensor, PyTorch row-major. */
    record Golden(int[][] ids, int[][] mask, Map<String, float[]> tensors, double atol, double rtol) {}

    static Golden golden() throws Exception {
        FixtureCases.Case c = GoldenCases.named(FixtureCases.load(FIXTURE), "t5_encoder");
        try (SafetensorsFile f = SafetensorsFile.open(c.file())) {
            Map<String, float[]> tensors = new LinkedHashMap<>();
            for (String name : f.names()) if (!name.equals("input_ids") && !name.equals("attention_mask_unused")) tensors.put(name, f.readFloats(name));
            long[] shape = f.tensor("input_ids").shape();
            return new Golden(rows(f.readLongs("input_ids"), shape), rows(f.readLongs("attention_mask_unused"), shape), tensors, c.atol(1e-4), c.rtol(1e-4));
        }
    }

    private static int[][] rows(long[] raw, long[] shape) {
        int b = (int) shape[0], t = (int) shape[1];
        int[][] out = new int[b][t];
        for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) out[i][j] = Math.toIntExact(raw[i * t + j]);
        return out;
    }

    @Test
    void unmaskedAndMaskedOutputsAndEveryHiddenStateMatchTransformers() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Golden golden = golden();
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            T5Config config = T5Config.from(ckpt.component("text_encoder").config());
            assertThat(config.isGatedAct()).isTrue();
            T5Encoder encoder = new T5Encoder(config, weights, "text_encoder.");

            // What LTXPipeline does: no attention mask, so padding attends and is attended to.
            T5Encoder.Result plain = encoder.encode(backend, golden.ids(), null, true);
            // For reference: the masked call. The fixture's trace.* hooks fired during this one.
            T5Encoder.Result masked = encoder.encode(backend, golden.ids(), golden.mask(), true);
            assertThat(plain.hiddenStates()).hasSize(config.numLayers() + 1);

            Map<String, float[]> actual = new LinkedHashMap<>();
            actual.put("last_hidden_state", plain.lastHidden());
            for (int i = 0; i < plain.hiddenStates().size(); i++) actual.put("hidden_states_" + i, plain.hiddenStates().get(i));
            actual.put("last_hidden_state_with_mask", masked.lastHidden());
            actual.put("trace.shared", masked.hiddenStates().getFirst());
            actual.put("trace.encoder.block.0", masked.hiddenStates().get(1));
            actual.put("trace.encoder.final_layer_norm", masked.hiddenStates().getLast());
            assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(golden.tensors().keySet());
            // The mask really changes the result (the golden pair would not tell the variants apart otherwise).
            assertThat(TensorComparison.floats("mask matters", plain.lastHidden(), masked.lastHidden(), golden.atol(), golden.rtol()).passed()).isFalse();

            List<TensorComparison> results = new ArrayList<>();
            for (var e : actual.entrySet()) {
                TensorComparison c = TensorComparison.floats(e.getKey(), e.getValue(), golden.tensors().get(e.getKey()), golden.atol(), golden.rtol());
                System.out.printf("t5_encoder %-32s max abs %.3e  max rel %.3e  %s %s%n", c.name(), c.maxAbs(), c.maxRel(), c.passed() ? "ok" : "FAIL", c.detail());
                results.add(c);
            }
            assertThat(results).allSatisfy(c -> assertThat(c.passed()).as("%s: %s", c.name(), c.detail()).isTrue());

            // The one-call API LTX uses returns the same unmasked last_hidden_state.
            assertThat(encoder.encode(backend, golden.ids())).containsExactly(plain.lastHidden());
            // Rows are independent: the second prompt alone (B = 1) gives the golden's second row.
            float[] all = golden.tensors().get("last_hidden_state");
            int row = all.length / golden.ids().length;
            TensorComparison single = TensorComparison.floats("last_hidden_state[1]", encoder.encode(backend, new int[][] {golden.ids()[1]}),
                    Arrays.copyOfRange(all, row, 2 * row), golden.atol(), golden.rtol());
            assertThat(single.passed()).as(single.detail()).isTrue();
        }
    }

    @Test
    void relativePositionBucketsFollowT5() {
        // 32 buckets, max distance 128, bidirectional: 16 per direction, 8 exact, then logarithmic.
        // Keys after the query (positive distance) take the upper half.
        assertThat(T5Encoder.relativePositionBucket(0, 32, 128)).isZero();
        assertThat(T5Encoder.relativePositionBucket(-7, 32, 128)).isEqualTo(7);
        assertThat(T5Encoder.relativePositionBucket(7, 32, 128)).isEqualTo(23);
        assertThat(T5Encoder.relativePositionBucket(-8, 32, 128)).isEqualTo(8);
        // Distances where log(n/8)/log(16)·8 is an exact integer: float32 gives 2, 4, 6 here, not 1, 3, 5.
        assertThat(T5Encoder.relativePositionBucket(-15, 32, 128)).isEqualTo(9);
        assertThat(T5Encoder.relativePositionBucket(-16, 32, 128)).isEqualTo(10);
        assertThat(T5Encoder.relativePositionBucket(-32, 32, 128)).isEqualTo(12);
        assertThat(T5Encoder.relativePositionBucket(64, 32, 128)).isEqualTo(16 + 14);
        // Beyond max_distance everything shares the last bucket of its direction.
        assertThat(T5Encoder.relativePositionBucket(-127, 32, 128)).isEqualTo(15);
        assertThat(T5Encoder.relativePositionBucket(-5000, 32, 128)).isEqualTo(15);
        assertThat(T5Encoder.relativePositionBucket(5000, 32, 128)).isEqualTo(31);
    }

    @Test
    void configReadsTheFixtureAndNamesBadFields() throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(FIXTURE.resolve("checkpoint/text_encoder/config.json").toFile());
        T5Config c = T5Config.from(json);
        assertThat(c.dModel()).isEqualTo(32);
        assertThat(c.innerDim()).isEqualTo(32);
        assertThat(c.dFf()).isEqualTo(64);
        assertThat(c.vocabSize()).isEqualTo(152);
        assertThat(c.layerNormEpsilon()).isEqualTo(1e-6);
        assertThat(c.denseActFn()).isEqualTo("gelu_new");

        ObjectNode missing = json.deepCopy();
        missing.remove("d_kv");
        assertThatThrownBy(() -> T5Config.from(missing)).hasMessageContaining("'d_kv'");
        ObjectNode silu = json.deepCopy();
        silu.put("feed_forward_proj", "gated-silu");
        assertThatThrownBy(() -> T5Config.from(silu)).hasMessageContaining("gated-silu").hasMessageContaining("gated-gelu");
        ObjectNode relu = json.deepCopy();
        relu.put("feed_forward_proj", "relu");
        // transformers would let the stored dense_act_fn win; a contradiction is an error here.
        assertThatThrownBy(() -> T5Config.from(relu)).hasMessageContaining("dense_act_fn");
        relu.remove("dense_act_fn");
        relu.remove("is_gated_act");
        assertThat(T5Config.from(relu).isGatedAct()).isFalse();
    }

    @Test
    void reluConfigNeedsTheUngatedWeights() throws Exception {
        // The original T5 FFN (wi, wo) is looked up under its own names, so a v1.1 checkpoint
        // read with feed_forward_proj "relu" fails on the first missing weight rather than running.
        assumeTrue(NativeLibraries.available(), "native libs not built");
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(FIXTURE.resolve("checkpoint/text_encoder/config.json").toFile());
        json.put("feed_forward_proj", "relu");
        json.remove("dense_act_fn");
        json.remove("is_gated_act");
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             ComputeBackend backend = ComputeBackend.cpu(1);
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            assertThatThrownBy(() -> new T5Encoder(T5Config.from(json), weights, "text_encoder."))
                    .hasMessageContaining("text_encoder.encoder.block.0.layer.1.DenseReluDense.wi.weight");
        }
    }
}
