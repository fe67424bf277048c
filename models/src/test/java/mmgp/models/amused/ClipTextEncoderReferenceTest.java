package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.bindings.NativeLibraries;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Configurations the fixture does not cover (other widths, heads, layer counts, quick_gelu,
 * current-style eos pooling) against a plain double-precision Java transcription of
 * transformers' CLIPTextTransformer on random weights.
 */
class ClipTextEncoderReferenceTest {

    @ParameterizedTest
    @CsvSource({
        // hidden, heads, layers, intermediate, projection, act, eos
        "24, 3, 3, 40, 16, quick_gelu, 12", // pools at the first 12; none in row 2, so at 0
        "16, 2, 1, 32, 20, gelu, 2",        // legacy: pools at the first 49
    })
    void matchesAReferenceForwardPass(int hidden, int heads, int layers, int inter, int proj, String act, int eos) {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        ObjectNode json = new ObjectMapper().createObjectNode()
                .put("hidden_size", hidden).put("intermediate_size", inter).put("num_hidden_layers", layers)
                .put("num_attention_heads", heads).put("max_position_embeddings", 16).put("layer_norm_eps", 1e-5)
                .put("hidden_act", act).put("projection_dim", proj).put("vocab_size", 50).put("eos_token_id", eos);
        ClipTextConfig config = ClipTextConfig.from(json);
        SplittableRandom rnd = new SplittableRandom(hidden * 31L + layers);
        Map<String, float[]> w = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>(); // PyTorch order
        put(w, shapes, rnd, "text_model.embeddings.token_embedding.weight", 1, 50, hidden);
        put(w, shapes, rnd, "text_model.embeddings.position_embedding.weight", 1, 16, hidden);
        for (int i = 0; i < layers; i++) {
            String l = "text_model.encoder.layers." + i + ".";
            for (String n : new String[] {"layer_norm1", "layer_norm2"}) {
                addOne(put(w, shapes, rnd, l + n + ".weight", 0.2, hidden));
                put(w, shapes, rnd, l + n + ".bias", 0.2, hidden);
            }
            for (String n : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                put(w, shapes, rnd, l + "self_attn." + n + ".weight", 0.4, hidden, hidden);
                put(w, shapes, rnd, l + "self_attn." + n + ".bias", 0.1, hidden);
            }
            put(w, shapes, rnd, l + "mlp.fc1.weight", 0.4, inter, hidden);
            put(w, shapes, rnd, l + "mlp.fc1.bias", 0.1, inter);
            put(w, shapes, rnd, l + "mlp.fc2.weight", 0.3, hidden, inter);
            put(w, shapes, rnd, l + "mlp.fc2.bias", 0.1, hidden);
        }
        addOne(put(w, shapes, rnd, "text_model.final_layer_norm.weight", 0.2, hidden));
        put(w, shapes, rnd, "text_model.final_layer_norm.bias", 0.2, hidden);
        put(w, shapes, rnd, "text_projection.weight", 0.4, proj, hidden);

        int[][] ids = {{48, 3, 7, 49, 12, 49, 5, 2, 0, 11}, {48, 22, 41, 9, 33, 17, 49, 49, 49, 49}};
        Reference ref = new Reference(config, w);
        try (Arena arena = Arena.ofConfined(); ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = map(backend, arena, w, shapes, "te.")) {
            ClipTextEncoder.Result r = new ClipTextEncoder(config, weights, "te.").encode(backend, ids);
            Reference.Out expected = ref.forward(ids);
            compare("text_embeds", r.textEmbeds(), expected.textEmbeds);
            compare("last_hidden_state", r.lastHidden(), expected.lastHidden);
            compare("penultimate_hidden_state", r.penultimateHidden(), expected.hiddenStates.get(layers - 1));
            assertThat(r.hiddenStates()).hasSize(layers + 1);
            for (int i = 0; i <= layers; i++) compare("hidden_states_" + i, r.hiddenStates().get(i), expected.hiddenStates.get(i));
        }
    }

    private static void compare(String name, float[] actual, double[] expected) {
        float[] e = new float[expected.length];
        for (int i = 0; i < e.length; i++) e[i] = (float) expected[i];
        TensorComparison c = TensorComparison.floats(name, actual, e, 1e-4, 1e-4);
        System.out.printf("reference %-26s max abs %.3e%n", name, c.maxAbs());
        assertThat(c.passed()).as("%s: %s", name, c.detail()).isTrue();
    }

    private static float[] put(Map<String, float[]> w, Map<String, long[]> shapes, SplittableRandom rnd, String name, double std, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * std);
        w.put(name, v);
        shapes.put(name, shape);
        return v;
    }

    private static void addOne(float[] v) {
        for (int i = 0; i < v.length; i++) v[i] += 1f;
    }

    /** The weights in one 32-byte aligned block, PyTorch shapes reversed into ggml order. */
    private static WeightSet map(ComputeBackend backend, Arena arena, Map<String, float[]> w, Map<String, long[]> shapes, String prefix) {
        long size = 0;
        for (float[] v : w.values()) size += align(v.length * 4L);
        MemorySegment region = arena.allocate(size, 32);
        List<WeightSet.Entry> entries = new ArrayList<>();
        long offset = 0;
        for (var e : w.entrySet()) {
            float[] v = e.getValue();
            MemorySegment.copy(v, 0, region, ValueLayout.JAVA_FLOAT, offset, v.length);
            long[] pt = shapes.get(e.getKey());
            long[] ne = new long[pt.length];
            for (int i = 0; i < pt.length; i++) ne[i] = pt[pt.length - 1 - i];
            entries.add(new WeightSet.Entry(prefix + e.getKey(), GgmlType.F32, ne, offset, ne.length == 2));
            offset += align(v.length * 4L);
        }
        return WeightSet.map(backend, region, entries, false);
    }

    private static long align(long n) {
        return (n + 31) / 32 * 32;
    }

    /** transformers' CLIPTextTransformer + text_projection, line by line, in double precision. */
    private record Reference(ClipTextConfig c, Map<String, float[]> w) {
        record Out(double[] textEmbeds, double[] lastHidden, List<double[]> hiddenStates) {}

        Out forward(int[][] ids) {
            int b = ids.length, t = ids[0].length, d = c.hiddenSize();
            double[] x = new double[b * t * d];
            float[] tok = w.get("text_model.embeddings.token_embedding.weight"), pos = w.get("text_model.embeddings.position_embedding.weight");
            for (int i = 0; i < b; i++)
                for (int j = 0; j < t; j++)
                    for (int k = 0; k < d; k++) x[(i * t + j) * d + k] = (double) tok[ids[i][j] * d + k] + pos[j * d + k];
            List<double[]> hidden = new ArrayList<>(List.of(x.clone()));
            for (int l = 0; l < c.numHiddenLayers(); l++) {
                String p = "text_model.encoder.layers." + l + ".";
                double[] h = layerNorm(x, p + "layer_norm1", b * t);
                double[] q = linear(h, p + "self_attn.q_proj", b * t), k = linear(h, p + "self_attn.k_proj", b * t), v = linear(h, p + "self_attn.v_proj", b * t);
                x = add(x, linear(attention(q, k, v, b, t), p + "self_attn.out_proj", b * t));
                h = linear(act(linear(layerNorm(x, p + "layer_norm2", b * t), p + "mlp.fc1", b * t)), p + "mlp.fc2", b * t);
                x = add(x, h);
                hidden.add(x.clone());
            }
            double[] last = layerNorm(x, "text_model.final_layer_norm", b * t);
            int[] at = ClipTextEncoder.pooledPositions(c, ids);
            double[] pooled = new double[b * d];
            for (int i = 0; i < b; i++) System.arraycopy(last, (i * t + at[i]) * d, pooled, i * d, d);
            double[] proj = matmul(pooled, w.get("text_projection.weight"), null, b, d, c.projectionDim());
            return new Out(proj, last, hidden);
        }

        double[] attention(double[] q, double[] k, double[] v, int b, int t) {
            int d = c.hiddenSize(), hd = c.headDim();
            double[] out = new double[q.length];
            for (int i = 0; i < b; i++)
                for (int h = 0; h < c.numAttentionHeads(); h++)
                    for (int r = 0; r < t; r++) {
                        double[] s = new double[r + 1]; // causal: keys 0..r
                        double max = Double.NEGATIVE_INFINITY, sum = 0;
                        for (int j = 0; j <= r; j++) {
                            double dot = 0;
                            for (int e = 0; e < hd; e++) dot += q[(i * t + r) * d + h * hd + e] * k[(i * t + j) * d + h * hd + e];
                            s[j] = dot / Math.sqrt(hd);
                            max = Math.max(max, s[j]);
                        }
                        for (int j = 0; j <= r; j++) sum += s[j] = Math.exp(s[j] - max);
                        for (int e = 0; e < hd; e++) {
                            double o = 0;
                            for (int j = 0; j <= r; j++) o += s[j] / sum * v[(i * t + j) * d + h * hd + e];
                            out[(i * t + r) * d + h * hd + e] = o;
                        }
                    }
            return out;
        }

        double[] act(double[] x) {
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double v = x[i];
                y[i] = c.hiddenAct().equals("quick_gelu") ? v / (1 + Math.exp(-1.702 * v)) : 0.5 * v * (1 + erf(v / Math.sqrt(2)));
            }
            return y;
        }

        double[] layerNorm(double[] x, String name, int rows) {
            int d = c.hiddenSize();
            float[] g = w.get(name + ".weight"), bias = w.get(name + ".bias");
            double[] y = new double[x.length];
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0;
                for (int k = 0; k < d; k++) mean += x[r * d + k];
                mean /= d;
                for (int k = 0; k < d; k++) var += (x[r * d + k] - mean) * (x[r * d + k] - mean);
                var /= d;
                for (int k = 0; k < d; k++) y[r * d + k] = (x[r * d + k] - mean) / Math.sqrt(var + c.layerNormEps()) * g[k] + bias[k];
            }
            return y;
        }

        double[] linear(double[] x, String name, int rows) {
            float[] weight = w.get(name + ".weight"), bias = w.get(name + ".bias");
            int out = bias.length, in = weight.length / out;
            return matmul(x, weight, bias, rows, in, out);
        }

        static double[] matmul(double[] x, float[] weight, float[] bias, int rows, int in, int out) {
            double[] y = new double[rows * out];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < out; o++) {
                    double s = bias == null ? 0 : bias[o];
                    for (int i = 0; i < in; i++) s += x[r * in + i] * weight[o * in + i];
                    y[r * out + o] = s;
                }
            return y;
        }

        static double[] add(double[] a, double[] b) {
            double[] y = new double[a.length];
            for (int i = 0; i < a.length; i++) y[i] = a[i] + b[i];
            return y;
        }

        /** erf to ~1e-15 via its Taylor series for small |x| and the continued fraction of erfc beyond. */
        static double erf(double x) {
            double ax = Math.abs(x);
            if (ax < 3) {
                double sum = 0, term = ax;
                for (int n = 0; n < 200; n++) {
                    sum += term / (2 * n + 1);
                    term *= -ax * ax / (n + 1);
                    if (Math.abs(term) < 1e-18) break;
                }
                return Math.copySign(2 / Math.sqrt(Math.PI) * sum, x);
            }
            double f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
            double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
            return Math.copySign(1 - erfc, x);
        }
    }
}
