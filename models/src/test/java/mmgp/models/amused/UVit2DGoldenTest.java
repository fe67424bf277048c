package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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

/** UVit2DModel against diffusers 0.33.1 for the tiny aMUSEd fixture: logits and every traced submodule. */
class UVit2DGoldenTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/amused");

    /** Inputs (PyTorch row-major), expected tensors by name, tolerance and the mask token. */
    record Golden(long[] ids, int batch, int height, int width, float[] encoderHidden, int textLength, float[] pooled,
                  float[] microConds, Map<String, float[]> expected, Map<String, long[]> shapes, double atol, double rtol, int maskTokenId) {}

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    static Golden golden() throws Exception {
        FixtureCases.Case c = GoldenCases.named(FixtureCases.load(FIXTURE), "transformer");
        try (SafetensorsFile f = SafetensorsFile.open(c.file())) {
            long[] idShape = f.tensor("input_ids").shape();
            Map<String, float[]> expected = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            for (String name : f.names()) {
                if (name.equals("logits") || name.startsWith("trace.")) {
                    expected.put(name, f.readFloats(name));
                    shapes.put(name, f.tensor(name).shape());
                }
            }
            return new Golden(f.readLongs("input_ids"), (int) idShape[0], (int) idShape[1], (int) idShape[2],
                    f.readFloats("encoder_hidden_states"), (int) f.tensor("encoder_hidden_states").shape()[1],
                    f.readFloats("pooled_text_emb"), f.readFloats("micro_conds"), expected, shapes,
                    c.atol(1e-4), c.rtol(1e-4), c.spec().get("mask_token_id").asInt());
        }
    }

    @Test
    void logitsAndEveryTracedSubmoduleMatchDiffusers() throws Exception {
        Golden gold = golden();
        assertThat(gold.ids()).contains((long) gold.maskTokenId()); // the case exercises masked positions
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            UVit2DConfig config = UVit2DConfig.from(ckpt.component("transformer").config());
            UVit2D model = new UVit2D(config, weights, "transformer.");
            Map<String, float[]> actual = new LinkedHashMap<>();
            try (Graph g = new Graph(backend, model.graphSize())) {
                UVit2D.Inputs in = model.inputs(g, gold.batch(), gold.height(), gold.width(), gold.textLength());
                Map<String, Tensor> trace = new LinkedHashMap<>();
                g.traceTo(trace);
                Tensor logits = g.output(model.build(g, in.inputIds(), in.encoderHiddenStates(), in.pooledTextEmb(), in.microConds()));
                setInputs(g, in, gold);
                g.compute();
                System.out.printf("uvit graph: %d nodes (budget %d), compute buffer %.1f KiB%n", g.nodeCount(), model.graphSize(), g.computeBufferBytes() / 1024.0);
                assertThat(g.nodeCount()).isLessThan(model.graphSize() / 2);
                assertThat(logits.shape()).containsExactly(gold.width(), gold.height(), config.codebookSize(), gold.batch());
                actual.put("logits", g.floats(logits));
                for (var e : trace.entrySet()) {
                    String name = "trace." + e.getKey();
                    if (!gold.expected().containsKey(name)) continue; // the fixture traces the first sub-blocks only
                    float[] v = g.floats(e.getValue());
                    long[] shape = gold.shapes().get(name);
                    // Grids are channels-last [C, W, H, B] in the graph; the golden holds (B, C, H, W).
                    actual.put(name, shape.length == 4 ? channelsFirst(v, (int) shape[0], (int) shape[1], (int) shape[2], (int) shape[3]) : v);
                }
            }
            assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(gold.expected().keySet());
            CloseAssertions.assertAllClose("uvit", actual, gold.expected(), gold.atol(), gold.rtol());

            // The convenience path builds the same graph.
            float[] viaForward = model.forward(backend, gold.ids(), gold.encoderHidden(), gold.pooled(), gold.microConds(),
                    gold.batch(), gold.height(), gold.width());
            assertThat(viaForward).containsExactly(actual.get("logits"));
        }
    }

    @Test
    void oneGraphServesEveryStepAndFlatIdsAreASquareGrid() throws Exception {
        Golden gold = golden();
        float[] expected = gold.expected().get("logits");
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            UVit2DConfig config = UVit2DConfig.from(ckpt.component("transformer").config());
            UVit2D model = new UVit2D(config, weights, "transformer.");
            int tokens = gold.height() * gold.width();
            try (Graph g = new Graph(backend, model.graphSize())) {
                // Flat [W·H, B] ids, as a sampler holding one row of tokens per sample passes them.
                Tensor ids = g.input("ids", GgmlType.I32, tokens, gold.batch());
                Tensor enc = g.inputF32("enc", config.encoderHiddenSize(), gold.textLength(), gold.batch());
                Tensor pooled = g.inputF32("pooled", config.condEmbedDim(), gold.batch());
                Tensor micro = g.inputF32("micro", config.microCondCount(), gold.batch());
                Tensor logits = g.output(model.build(g, ids, enc, pooled, micro));
                g.set(enc, gold.encoderHidden());
                g.set(pooled, gold.pooled());
                g.set(micro, gold.microConds());

                int[] allMasked = new int[tokens * gold.batch()];
                Arrays.fill(allMasked, gold.maskTokenId());
                int[] goldenIds = Arrays.stream(gold.ids()).mapToInt(Math::toIntExact).toArray();
                g.set(ids, allMasked);
                g.compute();
                float[] first = g.floats(logits);
                g.set(ids, goldenIds); // the next denoising step: new ids, same graph
                g.compute();
                TensorComparison c = TensorComparison.floats("logits after a previous step", g.floats(logits), expected, gold.atol(), gold.rtol());
                System.out.printf("uvit %-38s max abs %.3e  %s%n", c.name(), c.maxAbs(), c.detail());
                assertThat(c.passed()).as(c.detail()).isTrue();
                assertThat(first).isNotEqualTo(g.floats(logits));
            }
        }
    }

    @Test
    void downsampleConvMatchesPaddedStrideTwoConv() {
        for (int[] size : new int[][] {{4, 6}, {5, 3}}) {
            int ic = 3, oc = 5, w = size[0], h = size[1], b = 2;
            SplittableRandom rnd = new SplittableRandom(11 + w);
            float[] x = rand(rnd, ic * w * h * b), k = rand(rnd, 2 * 2 * ic * oc), bias = rand(rnd, oc);
            int ow = (w + 1) / 2, oh = (h + 1) / 2;
            float[] got;
            try (ComputeBackend backend = ComputeBackend.cpu(1); Graph g = new Graph(backend, 64)) {
                Tensor xi = g.inputF32("x", ic, w, h, b), ki = g.inputF32("k", 2, 2, ic, oc), bi = g.inputF32("b", oc);
                Tensor y = g.output(UVitBlock.conv2x2Stride2(g, xi, ki, bi));
                g.set(xi, x);
                g.set(ki, k);
                g.set(bi, bias);
                g.compute();
                assertThat(y.shape()).containsExactly(oc, ow, oh, b);
                got = g.floats(y);
            }
            // PyTorch: F.pad(x, (0, 1, 0, 1)) then conv2d(stride 2); weight [OC, IC, kh, kw].
            for (int n = 0; n < b; n++)
                for (int o = 0; o < oc; o++)
                    for (int i = 0; i < oh; i++)
                        for (int j = 0; j < ow; j++) {
                            double s = bias[o];
                            for (int c = 0; c < ic; c++)
                                for (int kh = 0; kh < 2; kh++)
                                    for (int kw = 0; kw < 2; kw++) {
                                        int yy = 2 * i + kh, xx = 2 * j + kw;
                                        if (yy < h && xx < w) s += x[c + ic * (xx + w * (yy + h * n))] * (double) k[((o * ic + c) * 2 + kh) * 2 + kw];
                                    }
                            assertThat((double) got[o + oc * (j + ow * (i + oh * n))]).isCloseTo(s, offset(1e-5));
                        }
        }
    }

    @Test
    void upsampleConvMatchesStrideTwoTransposedConv() {
        int ic = 3, oc = 4, w = 3, h = 2, b = 2;
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = rand(rnd, ic * w * h * b), k = rand(rnd, 2 * 2 * oc * ic), bias = rand(rnd, oc);
        float[] got;
        try (ComputeBackend backend = ComputeBackend.cpu(1); Graph g = new Graph(backend, 64)) {
            Tensor xi = g.inputF32("x", ic, w, h, b), ki = g.inputF32("k", 2, 2, oc, ic), bi = g.inputF32("b", oc);
            Tensor y = g.output(UVitBlock.convTranspose2x2Stride2(g, xi, ki, bi));
            g.set(xi, x);
            g.set(ki, k);
            g.set(bi, bias);
            g.compute();
            assertThat(y.shape()).containsExactly(oc, 2 * w, 2 * h, b);
            got = g.floats(y);
        }
        // PyTorch conv_transpose2d(stride 2, kernel 2): out[o, 2i+kh, 2j+kw] = Σ x[c, i, j]·W[c, o, kh, kw].
        for (int n = 0; n < b; n++)
            for (int o = 0; o < oc; o++)
                for (int yy = 0; yy < 2 * h; yy++)
                    for (int xx = 0; xx < 2 * w; xx++) {
                        int i = yy / 2, j = xx / 2, kh = yy % 2, kw = xx % 2;
                        double s = bias[o];
                        for (int c = 0; c < ic; c++) s += x[c + ic * (j + w * (i + h * n))] * (double) k[((c * oc + o) * 2 + kh) * 2 + kw];
                        assertThat((double) got[o + oc * (xx + 2 * w * (yy + 2 * h * n))]).isCloseTo(s, offset(1e-5));
                    }
    }

    /**
     * The paths the fixture leaves off (use_bias, no elementwise affine, downsample + upsample,
     * hidden_size == block_out_channels so no kv_mapper, an odd grid) on random weights named
     * as the reference's state_dict names them: every weight resolves and the result is finite
     * and shaped as PyTorch's would be.
     */
    @Test
    void biasesResamplingAndNoAffineBuildAndRunOnAnOddGrid() {
        UVit2DConfig c = new UVit2DConfig(16, true, 0, 8, 4, 20, 12, 10, 8, 6, 16, 1, true, true, 2, 1, 2, 0, 24, 1e-6, false, 5);
        Map<String, long[]> sd = new LinkedHashMap<>(); // PyTorch shapes
        int hd = c.hiddenSize(), ch = c.blockOutChannels(), in = c.inChannels();
        linear(sd, "encoder_proj", c.encoderHiddenSize(), hd);
        sd.put("embed.embeddings.weight", new long[] {c.vocabSize(), in});
        sd.put("embed.conv.weight", new long[] {ch, in, 1, 1});
        sd.put("embed.conv.bias", new long[] {ch});
        linear(sd, "cond_embed.linear_1", c.condEmbedDim() + c.microCondEmbedDim(), hd);
        linear(sd, "cond_embed.linear_2", hd, hd);
        sd.put("down_block.downsample.conv.weight", new long[] {ch, ch, 2, 2});
        sd.put("down_block.downsample.conv.bias", new long[] {ch});
        for (String block : List.of("down_block", "up_block")) {
            String r = block + ".res_blocks.0.";
            sd.put(r + "depthwise.weight", new long[] {ch, 1, 3, 3});
            sd.put(r + "depthwise.bias", new long[] {ch});
            linear(sd, r + "channelwise_linear_1", ch, 4 * ch);
            sd.put(r + "channelwise_norm.gamma", new long[] {1, 1, 1, 4 * ch});
            sd.put(r + "channelwise_norm.beta", new long[] {1, 1, 1, 4 * ch});
            linear(sd, r + "channelwise_linear_2", 4 * ch, ch);
            linear(sd, r + "cond_embeds_mapper", hd, 2 * ch);
            String a = block + ".attention_blocks.0.";
            sd.put(a + "norm1.weight", new long[] {ch});
            sd.put(a + "norm2.weight", new long[] {ch});
            for (String attn : List.of("attn1", "attn2")) for (String proj : List.of("to_q", "to_k", "to_v", "to_out.0")) linear(sd, a + attn + "." + proj, ch, ch);
        }
        linear(sd, "project_to_hidden", ch, hd);
        String t = "transformer_layers.0.";
        for (String norm : List.of("norm1", "norm2", "norm3")) linear(sd, t + norm + ".linear", hd, 2 * hd);
        for (String attn : List.of("attn1", "attn2")) for (String proj : List.of("to_q", "to_k", "to_v", "to_out.0")) linear(sd, t + attn + "." + proj, hd, hd);
        linear(sd, t + "ff.net.0.proj", hd, 2 * c.intermediateSize());
        linear(sd, t + "ff.net.2", c.intermediateSize(), hd);
        linear(sd, "project_from_hidden", hd, ch);
        sd.put("up_block.upsample.conv.weight", new long[] {ch, ch, 2, 2});
        sd.put("up_block.upsample.conv.bias", new long[] {ch});
        sd.put("mlm_layer.conv1.weight", new long[] {in, ch, 1, 1});
        sd.put("mlm_layer.conv1.bias", new long[] {in});
        sd.put("mlm_layer.conv2.weight", new long[] {c.codebookSize(), in, 1, 1});
        sd.put("mlm_layer.conv2.bias", new long[] {c.codebookSize()});

        SplittableRandom rnd = new SplittableRandom(9);
        List<WeightSet.Entry> entries = new ArrayList<>();
        long offset = 0;
        for (var e : sd.entrySet()) {
            long[] ne = new long[e.getValue().length];
            long n = 1;
            for (int i = 0; i < ne.length; i++) n *= ne[i] = e.getValue()[ne.length - 1 - i];
            entries.add(new WeightSet.Entry("transformer." + e.getKey(), GgmlType.F32, ne, offset, ne.length == 2));
            offset += (n * 4 + 31) / 32 * 32;
        }
        int batch = 2, h = 3, w = 5, text = 4;
        try (Arena arena = Arena.ofConfined(); ComputeBackend backend = ComputeBackend.cpu(1)) {
            MemorySegment region = arena.allocate(offset, 32);
            for (long i = 0; i < offset / 4; i++) region.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (0.3 * rnd.nextGaussian()));
            try (WeightSet weights = WeightSet.map(backend, region, entries, false); Graph g = new Graph(backend, 4096)) {
                UVit2D model = new UVit2D(c, weights, "transformer.");
                UVit2D.Inputs inputs = model.inputs(g, batch, h, w, text);
                Map<String, Tensor> trace = new LinkedHashMap<>();
                g.traceTo(trace);
                Tensor logits = g.output(model.build(g, inputs.inputIds(), inputs.encoderHiddenStates(), inputs.pooledTextEmb(), inputs.microConds()));
                int[] ids = new int[batch * h * w];
                for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(c.vocabSize());
                g.set(inputs.inputIds(), ids);
                g.set(inputs.encoderHiddenStates(), rand(rnd, c.encoderHiddenSize() * text * batch));
                g.set(inputs.pooledTextEmb(), rand(rnd, c.condEmbedDim() * batch));
                g.set(inputs.microConds(), new float[] {256, 256, 0, 0, 6, 512, 512, 10, 20, 6.5f});
                g.compute();
                // F.pad + stride 2 takes 5×3 to 3×2; the transposed conv doubles that to 6×4.
                assertThat(trace.get("down_block").shape()).containsExactly(ch, 3, 2, batch);
                assertThat(logits.shape()).containsExactly(6, 4, c.codebookSize(), batch);
                float[] v = g.floats(logits);
                for (float f : v) assertThat(Float.isFinite(f)).isTrue();
                assertThat(v[0]).isNotEqualTo(v[v.length - 1]);
            }
        }
    }

    private static void linear(Map<String, long[]> sd, String name, int in, int out) {
        sd.put(name + ".weight", new long[] {out, in});
        sd.put(name + ".bias", new long[] {out});
    }

    @Test
    void aConfigWithoutAKeyIsRefusedByName() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            ObjectNode json = ckpt.component("transformer").config().deepCopy();
            UVit2DConfig config = UVit2DConfig.from(json);
            assertThat(config.microCondCount()).isEqualTo(5);
            assertThat(config.downsample()).isFalse();
            json.remove("upsample");
            assertThatThrownBy(() -> UVit2DConfig.from(json)).hasMessageContaining("'upsample'");
            json.put("upsample", 0);
            assertThatThrownBy(() -> UVit2DConfig.from(json)).hasMessageContaining("upsample").hasMessageContaining("true or false");
        }
    }

    private static void setInputs(Graph g, UVit2D.Inputs in, Golden gold) {
        g.set(in.inputIds(), Arrays.stream(gold.ids()).mapToInt(Math::toIntExact).toArray());
        g.set(in.encoderHiddenStates(), gold.encoderHidden());
        g.set(in.pooledTextEmb(), gold.pooled());
        g.set(in.microConds(), gold.microConds());
    }

    /** Channels-last [C, W, H, B] (ggml) to PyTorch's (B, C, H, W) row-major. */
    private static float[] channelsFirst(float[] v, int b, int c, int h, int w) {
        float[] out = new float[v.length];
        for (int n = 0; n < b; n++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) out[((n * c + ch) * h + y) * w + x] = v[ch + c * (x + w * (y + h * n))];
        return out;
    }

    private static float[] rand(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
