package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.bindings.NativeLibraries;
import mmgp.check.FixtureCases;
import mmgp.check.TensorComparison;
import mmgp.convert.HfCheckpoint;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsFile;
import mmgp.tensor.GgmlType;
import mmgp.testing.CloseAssertions;
import mmgp.testing.GoldenCases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LTXVideoTransformer3DModel against diffusers 0.33.1 for the tiny LTX-Video fixture: output, RoPE tables and every traced submodule. */
class LtxTransformerGoldenTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video");

    /** Inputs (PyTorch row-major), the token grid, expected tensors by name and the tolerance. */
    record Golden(float[] hiddenStates, float[] encoderHiddenStates, float[] timestep, long[] mask, int batch, int textTokens,
                  int frames, int height, int width, double[] ropeScale, double frameRate,
                  Map<String, float[]> expected, double atol, double rtol) {
        int tokens() {
            return frames * height * width;
        }

        boolean[] maskBits() {
            boolean[] m = new boolean[mask.length];
            for (int i = 0; i < m.length; i++) m[i] = mask[i] != 0;
            return m;
        }
    }

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    static Golden golden() throws Exception {
        return golden(FIXTURE);
    }

    /** The transformer case of the fixture folder {@code fixture}. */
    static Golden golden(Path fixture) throws Exception {
        FixtureCases.Case c = GoldenCases.named(FixtureCases.load(fixture), "transformer");
        JsonNode s = c.spec();
        try (SafetensorsFile f = SafetensorsFile.open(c.file())) {
            Map<String, float[]> expected = new LinkedHashMap<>();
            for (String name : f.names()) if (name.equals("sample") || name.startsWith("trace.")) expected.put(name, f.readFloats(name));
            long[] encShape = f.tensor("encoder_hidden_states").shape();
            JsonNode scale = s.get("rope_interpolation_scale");
            return new Golden(f.readFloats("hidden_states"), f.readFloats("encoder_hidden_states"), f.readFloats("timestep"),
                    f.readLongs("encoder_attention_mask"), (int) encShape[0], (int) encShape[1],
                    s.get("num_frames").asInt(), s.get("height").asInt(), s.get("width").asInt(),
                    new double[] {scale.get(0).asDouble(), scale.get(1).asDouble(), scale.get(2).asDouble()}, s.path("frame_rate").asDouble(Double.NaN),
                    expected, c.atol(1e-4), c.rtol(1e-4));
        }
    }

    static LtxTransformer.RopeScale ropeScale(Golden gold) {
        return new LtxTransformer.RopeScale(gold.ropeScale()[0], gold.ropeScale()[1], gold.ropeScale()[2]);
    }

    @Test
    void outputAndEveryTracedSubmoduleMatchDiffusers() throws Exception {
        Golden gold = golden();
        assertThat(gold.mask()).contains(0L, 1L); // the case exercises masked text tokens
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            LtxTransformerConfig config = LtxTransformerConfig.from(ckpt.component("transformer").config());
            LtxTransformer model = new LtxTransformer(config, weights, "transformer.");
            LtxTransformer.RopeScale scale = ropeScale(gold);
            Map<String, float[]> actual = new LinkedHashMap<>();

            // The Java-side RoPE: coordinates and tables, the same for every sample of the batch.
            float[] coords = LtxRotaryEmbedding.videoCoords(gold.frames(), gold.height(), gold.width(), config.patchSize(), config.patchSizeT(), scale);
            LtxRotaryEmbedding.Tables rope = model.ropeTables(gold.frames(), gold.height(), gold.width(), scale);
            actual.put("trace.rope_video_coords", repeat(coords, gold.batch()));
            actual.put("trace.rope_cos", repeat(rope.cos(), gold.batch()));
            actual.put("trace.rope_sin", repeat(rope.sin(), gold.batch()));

            try (Graph g = new Graph(backend, model.graphSize())) {
                LtxTransformer.Inputs in = model.inputs(g, gold.batch(), gold.tokens(), gold.textTokens());
                Map<String, Tensor> trace = new LinkedHashMap<>();
                g.traceTo(trace);
                Tensor out = g.output(model.build(g, in));
                model.setConditioning(g, in, gold.encoderHiddenStates(), gold.maskBits(), gold.frames(), gold.height(), gold.width(), scale);
                model.setStep(g, in, gold.hiddenStates(), gold.timestep());
                g.compute();
                System.out.printf("ltx transformer graph: %d nodes (budget %d), compute buffer %.1f KiB%n",
                        g.nodeCount(), model.graphSize(), g.computeBufferBytes() / 1024.0);
                assertThat(g.nodeCount()).isLessThan(model.graphSize() / 2);
                assertThat(out.shape()).containsExactly(config.outChannels(), gold.tokens(), gold.batch(), 1L);
                actual.put("sample", g.floats(out));
                // Every trace is laid out [D, T or nt, B], i.e. PyTorch's (B, T, D) row-major.
                for (var e : trace.entrySet()) actual.put("trace." + e.getKey(), g.floats(e.getValue()));
            }
            assertThat(actual.keySet()).containsAll(gold.expected().keySet());
            CloseAssertions.assertAllClose("ltx", actual, gold.expected(), gold.atol(), gold.rtol());

            // The convenience path builds the same graph; the pipeline's rope scale is the case's.
            LtxTransformer.RopeScale piped = LtxTransformer.RopeScale.forVideo(gold.frameRate(), 8, 32);
            assertThat((float) piped.temporal()).isEqualTo((float) scale.temporal());
            assertThat(piped.height()).isEqualTo(scale.height());
            float[] viaForward = model.forward(backend, gold.hiddenStates(), gold.encoderHiddenStates(), gold.maskBits(), gold.timestep(),
                    gold.batch(), gold.frames(), gold.height(), gold.width(), piped);
            assertThat(viaForward).containsExactly(actual.get("sample"));
        }
    }

    @Test
    void oneGraphServesEveryStepAndPerTokenTimestepsAgree() throws Exception {
        Golden gold = golden();
        float[] expected = gold.expected().get("sample");
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            LtxTransformer model = new LtxTransformer(LtxTransformerConfig.from(ckpt.component("transformer").config()), weights, "transformer.");
            int tokens = gold.tokens();
            try (Graph g = new Graph(backend, model.graphSize())) {
                LtxTransformer.Inputs in = model.inputs(g, gold.batch(), tokens, gold.textTokens(), true);
                Tensor out = g.output(model.build(g, in));
                model.setConditioning(g, in, gold.encoderHiddenStates(), gold.maskBits(), gold.frames(), gold.height(), gold.width(), ropeScale(gold));
                float[] perToken = new float[gold.batch() * tokens];
                for (int i = 0; i < perToken.length; i++) perToken[i] = gold.timestep()[i / tokens];

                model.setStep(g, in, new float[gold.hiddenStates().length], new float[perToken.length]); // an earlier step
                g.compute();
                float[] first = g.floats(out);
                model.setStep(g, in, gold.hiddenStates(), perToken); // the next step: new latents and timestep, same graph
                g.compute();
                TensorComparison c = TensorComparison.floats("sample, per-token timestep, second step", g.floats(out), expected, gold.atol(), gold.rtol());
                System.out.printf("ltx %-32s max abs %.3e  %s%n", c.name(), c.maxAbs(), c.detail());
                assertThat(c.passed()).as(c.detail()).isTrue();
                assertThat(first).isNotEqualTo(g.floats(out));
            }
        }
    }

    @Test
    void theMaskBiasIsMinusTenThousandOnPaddingForEveryQuery() {
        float[] bias = LtxTransformer.encoderAttentionBias(new long[] {1, 0, 1, 1, 1, 0}, 2, 3, 2);
        // (1 − 1)·−10000 is −0.0, as in diffusers; adding it to a score changes nothing.
        assertThat(bias).containsExactly(-0f, -10000, -0f, -0f, -10000, -0f, -0f, -0f, -10000, -0f, -0f, -10000);
        assertThat(LtxTransformer.encoderAttentionBias(null, 2, 3, 2)).containsOnly(0f);
        assertThatThrownBy(() -> LtxTransformer.encoderAttentionBias(new long[5], 2, 3, 2)).hasMessageContaining("2×3");
    }

    @Test
    void ropePadsOddRemaindersWithIdentityAndDegenerateFrequencyCounts() {
        LtxTransformer.RopeScale scale = LtxTransformer.RopeScale.forVideo(25, 8, 32);
        float[] coords = LtxRotaryEmbedding.videoCoords(2, 1, 2, 1, 1, scale);
        // dim 40 (LTX 0.9.5's tiny transformer): 6 frequencies, 4 leading identity channels.
        LtxRotaryEmbedding.Tables t = LtxRotaryEmbedding.tables(40, coords);
        for (int tok = 0; tok < 4; tok++) {
            for (int p = 0; p < 4; p++) {
                assertThat(t.cos()[tok * 40 + p]).isEqualTo(1f);
                assertThat(t.sin()[tok * 40 + p]).isEqualTo(0f);
            }
            for (int p = 4; p < 40; p += 2) assertThat(t.cos()[tok * 40 + p]).isEqualTo(t.cos()[tok * 40 + p + 1]);
        }
        // Token 0 sits at coordinate 0 on every axis, so each angle is −freq.
        float[] freqs = LtxRotaryEmbedding.frequencies(6);
        assertThat(freqs[0]).isEqualTo((float) (Math.PI / 2));
        assertThat(t.cos()[4 + 2 * (3 * 5 + 1)]).isEqualTo((float) Math.cos(-freqs[5]));
        assertThat(LtxRotaryEmbedding.frequencies(1)).containsExactly((float) (Math.PI / 2));
        // dim < 6: no frequency at all, every channel is the identity.
        assertThat(LtxRotaryEmbedding.tables(4, coords).cos()).containsOnly(1f);
    }

    /**
     * The options the fixture leaves off (affine norm1/norm2, no attention biases, erf GELU,
     * out_channels ≠ in_channels, inner_dim % 6 = 2) on random weights, named and shaped as
     * the model asks for them: every weight resolves and the output is finite and shaped.
     */
    @Test
    void otherOptionsBuildAndRunOnRandomWeights() throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree("""
                {"_class_name":"LTXVideoTransformer3DModel","in_channels":8,"out_channels":12,"num_attention_heads":2,
                 "attention_head_dim":10,"cross_attention_dim":20,"num_layers":2,"activation_fn":"gelu","norm_elementwise_affine":true,
                 "caption_channels":6,"attention_bias":false,"attention_out_bias":false,"patch_size":2,"patch_size_t":1}""");
        LtxTransformerConfig c = LtxTransformerConfig.from(json);
        assertThat(c.qkNorm()).isEqualTo("rms_norm_across_heads"); // a left-out key takes the reference's default
        List<WeightSet.Entry> entries = new ArrayList<>();
        long bytes = 0;
        try (WeightSet recorder = WeightSet.recorder()) {
            new LtxTransformer(c, recorder, "transformer.");
            assertThat(recorder.all()).containsKey("transformer.transformer_blocks.1.norm2.weight")
                    .doesNotContainKey("transformer.transformer_blocks.0.attn1.to_q.bias");
            for (var e : recorder.all().entrySet()) {
                long[] ne = e.getValue().shape();
                entries.add(new WeightSet.Entry(e.getKey(), GgmlType.F32, ne, bytes, ne[1] > 1));
                bytes += (e.getValue().elements() * 4 + 31) / 32 * 32;
            }
        }
        int batch = 2, frames = 2, h = 2, w = 3, text = 5, tokens = frames * h * w;
        SplittableRandom rnd = new SplittableRandom(3);
        try (Arena arena = Arena.ofConfined(); ComputeBackend backend = ComputeBackend.cpu(1)) {
            MemorySegment region = arena.allocate(bytes, 32);
            for (long i = 0; i < bytes / 4; i++) region.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (0.3 * rnd.nextGaussian()));
            try (WeightSet weights = WeightSet.map(backend, region, entries, false)) {
                LtxTransformer model = new LtxTransformer(c, weights, "transformer.");
                float[] out = model.forward(backend, rand(rnd, batch * tokens * 8), rand(rnd, batch * text * 6),
                        new boolean[] {true, true, true, false, false, true, true, true, true, true}, new float[] {900, 20},
                        batch, frames, h, w, LtxTransformer.RopeScale.forVideo(24, 8, 32));
                assertThat(out).hasSize(batch * tokens * 12);
                for (float f : out) assertThat(Float.isFinite(f)).isTrue();
                assertThat(out[0]).isNotEqualTo(out[out.length - 1]);
            }
        }
    }

    /** LTX-Video 2B 0.9.0 at 17 frames of 512×768 builds within its node budget on recorded weights (no compute). */
    @Test
    void theRealModelBuildsWithinItsGraphBudget() throws Exception {
        LtxTransformerConfig c = LtxTransformerConfig.from(new ObjectMapper().readTree("{\"_class_name\":\"LTXVideoTransformer3DModel\"}"));
        assertThat(c.innerDim()).isEqualTo(2048);
        assertThat(c.numLayers()).isEqualTo(28);
        try (WeightSet recorder = WeightSet.recorder(); ComputeBackend backend = ComputeBackend.cpu(1)) {
            LtxTransformer model = new LtxTransformer(c, recorder, "transformer.");
            assertThat(recorder.all()).hasSize(15 + 28 * 25);
            try (Graph g = new Graph(backend, model.graphSize())) {
                LtxTransformer.Inputs in = model.inputs(g, 2, 3 * 16 * 24, 128); // CFG batch of 1,152 tokens, 128 text tokens
                Tensor out = g.output(model.build(g, in));
                assertThat(out.shape()).containsExactly(128, 1152, 2, 1);
                System.out.printf("ltx 2B graph: %d nodes (budget %d)%n", g.nodeCount(), model.graphSize());
                assertThat(g.nodeCount()).isLessThan(model.graphSize());
            }
        }
    }

    @Test
    void malformedConfigsAreRefusedByName() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            ObjectNode json = ckpt.component("transformer").config().deepCopy();
            LtxTransformerConfig config = LtxTransformerConfig.from(json);
            assertThat(config.innerDim()).isEqualTo(64);
            json.put("num_layers", "two");
            assertThatThrownBy(() -> LtxTransformerConfig.from(json)).hasMessageContaining("'num_layers'").hasMessageContaining("integer");
            json.put("num_layers", 2);
            json.put("cross_attention_dim", 48);
            assertThatThrownBy(() -> LtxTransformerConfig.from(json)).hasMessageContaining("cross_attention_dim 48").hasMessageContaining("inner_dim 64");
            json.put("cross_attention_dim", 64);
            json.put("qk_norm", "rms_norm");
            assertThatThrownBy(() -> LtxTransformerConfig.from(json)).hasMessageContaining("qk_norm");
            json.put("qk_norm", "rms_norm_across_heads");
            json.put("_class_name", "UVit2DModel");
            assertThatThrownBy(() -> LtxTransformerConfig.from(json)).hasMessageContaining("UVit2DModel");
        }
    }

    private static float[] repeat(float[] v, int times) {
        float[] out = new float[v.length * times];
        for (int i = 0; i < times; i++) System.arraycopy(v, 0, out, i * v.length, v.length);
        return out;
    }

    private static float[] rand(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
