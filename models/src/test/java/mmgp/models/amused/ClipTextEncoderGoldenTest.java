package mmgp.models.amused;

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
import mmgp.graph.Graph;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsFile;
import mmgp.testing.GoldenCases;
import org.junit.jupiter.api.Test;

/** CLIPTextModelWithProjection against transformers' outputs for the tiny aMUSEd fixture. */
class ClipTextEncoderGoldenTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/amused");

    /** The golden case: ids [B][T] and every stored output, PyTorch row-major. */
    record Golden(int[][] ids, Map<String, float[]> tensors, double atol, double rtol) {}

    static Golden golden() throws Exception {
        FixtureCases.Case c = GoldenCases.named(FixtureCases.load(FIXTURE), "text_encoder");
        try (SafetensorsFile f = SafetensorsFile.open(c.file())) {
            long[] shape = f.tensor("input_ids").shape();
            long[] raw = f.readLongs("input_ids");
            int b = (int) shape[0], t = (int) shape[1];
            int[][] ids = new int[b][t];
            for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) ids[i][j] = Math.toIntExact(raw[i * t + j]);
            Map<String, float[]> tensors = new LinkedHashMap<>();
            for (String name : f.names()) if (!name.equals("input_ids")) tensors.put(name, f.readFloats(name));
            return new Golden(ids, tensors, c.atol(1e-4), c.rtol(1e-4));
        }
    }

    @Test
    void matchesTransformersForEveryOutputAndHiddenState() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Golden golden = golden();
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            ClipTextConfig config = ClipTextConfig.from(ckpt.component("text_encoder").config());
            assertThat(config.hiddenAct()).isEqualTo("gelu");
            assertThat(config.legacyPooling()).isTrue();
            ClipTextEncoder encoder = new ClipTextEncoder(config, weights, "text_encoder.");
            ClipTextEncoder.Result r = encoder.encode(backend, golden.ids());

            Map<String, float[]> actual = new LinkedHashMap<>();
            actual.put("text_embeds", r.textEmbeds());
            actual.put("last_hidden_state", r.lastHidden());
            actual.put("penultimate_hidden_state", r.penultimateHidden());
            for (int i = 0; i < r.hiddenStates().size(); i++) actual.put("hidden_states_" + i, r.hiddenStates().get(i));
            assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(golden.tensors().keySet());

            List<TensorComparison> results = new ArrayList<>();
            for (var e : actual.entrySet()) {
                TensorComparison c = TensorComparison.floats(e.getKey(), e.getValue(), golden.tensors().get(e.getKey()), golden.atol(), golden.rtol());
                System.out.printf("text_encoder %-26s max abs %.3e  max rel %.3e  %s %s%n", c.name(), c.maxAbs(), c.maxRel(), c.passed() ? "ok" : "FAIL", c.detail());
                results.add(c);
            }
            assertThat(results).allSatisfy(c -> assertThat(c.passed()).as("%s: %s", c.name(), c.detail()).isTrue());
        }
    }

    @Test
    void aShorterSequenceAndAReusedGraphGiveTheGoldenPrefix() throws Exception {
        // Causal attention: token t sees only tokens ≤ t, so encoding the first T' ids gives the
        // golden's first T' positions, and pooling still finds the same end-of-text token.
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Golden golden = golden();
        int t = 20, d = 32, full = golden.ids()[0].length;
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             Graph g = new Graph(backend)) {
            ClipTextEncoder encoder = new ClipTextEncoder(ClipTextConfig.from(ckpt.component("text_encoder").config()), weights, "text_encoder.");
            ClipTextEncoder.Outputs out = encoder.build(g, 1, t, false);
            for (int b = golden.ids().length - 1; b >= 0; b--) { // the same graph, computed once per sequence
                encoder.setInputs(g, out, new int[][] {Arrays.copyOf(golden.ids()[b], t)});
                g.compute();
                float[] last = golden.tensors().get("last_hidden_state"), pen = golden.tensors().get("penultimate_hidden_state");
                float[] proj = golden.tensors().get("text_embeds");
                check("last_hidden_state[" + b + "][:" + t + "]", g.floats(out.lastHidden()), Arrays.copyOfRange(last, b * full * d, (b * full + t) * d), golden);
                check("penultimate[" + b + "][:" + t + "]", g.floats(out.penultimateHidden()), Arrays.copyOfRange(pen, b * full * d, (b * full + t) * d), golden);
                check("text_embeds[" + b + "]", g.floats(out.textEmbeds()), Arrays.copyOfRange(proj, b * d, (b + 1) * d), golden);
            }
        }
    }

    private static void check(String name, float[] actual, float[] expected, Golden golden) {
        TensorComparison c = TensorComparison.floats(name, actual, expected, golden.atol(), golden.rtol());
        assertThat(c.passed()).as("%s: %s", name, c.detail()).isTrue();
    }

    @Test
    void poolingFollowsTransformersForLegacyAndCurrentEosIds() throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(FIXTURE.resolve("checkpoint/text_encoder/config.json").toFile());
        int[][] ids = {{702, 5, 703, 9, 703}, {702, 703, 703, 703, 703}, {702, 4, 5, 6, 7}};
        // eos_token_id 2: argmax(input_ids), the first of equal maxima.
        assertThat(ClipTextEncoder.pooledPositions(ClipTextConfig.from(json), ids)).containsExactly(2, 1, 0);
        // Otherwise the first eos_token_id, and position 0 when a row has none.
        json.put("eos_token_id", 5);
        assertThat(ClipTextEncoder.pooledPositions(ClipTextConfig.from(json), ids)).containsExactly(1, 0, 2);
    }

    @Test
    void configErrorsNameTheField() throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(FIXTURE.resolve("checkpoint/text_encoder/config.json").toFile());
        ClipTextConfig c = ClipTextConfig.from(json);
        assertThat(c.hiddenSize()).isEqualTo(32);
        assertThat(c.numHiddenLayers()).isEqualTo(2);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.layerNormEps()).isEqualTo(1e-5);

        ObjectNode missing = json.deepCopy();
        missing.remove("projection_dim");
        assertThatThrownBy(() -> ClipTextConfig.from(missing)).hasMessageContaining("'projection_dim'");
        ObjectNode act = json.deepCopy();
        act.put("hidden_act", "relu");
        assertThatThrownBy(() -> ClipTextConfig.from(act)).hasMessageContaining("relu").hasMessageContaining("quick_gelu");
        ObjectNode heads = json.deepCopy();
        heads.put("num_attention_heads", 5);
        assertThatThrownBy(() -> ClipTextConfig.from(heads)).hasMessageContaining("num_attention_heads");
        ObjectNode fractional = json.deepCopy();
        fractional.put("hidden_size", 32.5);
        assertThatThrownBy(() -> ClipTextConfig.from(fractional)).hasMessageContaining("'hidden_size'");
    }
}
