package mmgp.graph.nn;

import static mmgp.testing.CloseAssertions.assertClose;
import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.doubles;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attention against softmax(scale·q·kᵀ + bias + mask)·v per head in double, and the module
 * (projections, q/k RMS norms, rotary embedding) against the same reference fed its own
 * double-precision projections. Tolerance 1e-5 + 1e-5·|expected| for the score level (O(1)
 * values, sums of a few terms), 1e-5·S + 1e-5 after the output projection (S = Σ|terms|).
 */
class AttentionTest extends NnTestSupport {
    static final int HEADS = 3, HD = 4, D = HEADS * HD, B = 2;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void multiHeadIsPerHeadSoftmaxAttentionScaledByOneOverRootHeadDim(boolean causal) {
        int tq = 5, tk = causal ? 5 : 7;
        SplittableRandom r = new SplittableRandom(3);
        float[] q = uniform(r, D * tq * B, -2, 2), k = uniform(r, D * tk * B, -2, 2), v = uniform(r, D * tk * B, -2, 2);
        float[] mask = null;
        if (causal) {
            mask = new float[tk * tq];
            for (int i = 0; i < tq; i++) for (int j = i + 1; j < tk; j++) mask[i * tk + j] = Float.NEGATIVE_INFINITY;
        }
        try (Graph g = newGraph()) {
            Tensor m = causal ? Attention.causalMask(g, "mask", tq) : null;
            Tensor out = g.output(Attention.multiHead(g, input(g, "q", q, D, tq, B), input(g, "k", k, D, tk, B), input(g, "v", v, D, tk, B), HEADS, m));
            g.compute();
            assertThat(out.shape()).containsExactly(D, tq, B, 1);
            double[] expected = attention(doubles(q), doubles(k), doubles(v), tq, tk, 1 / Math.sqrt(HD), null, mask, false);
            assertClose("multiHead", g.floats(out), expected, FP32, FP32);
        }
    }

    @Test
    void sdpaTakesAScoreScaleAndAPerHeadBias() {
        // T5: scale 1 and a relative position bias [Tk, Tq, H] shared by the batch.
        int tq = 6, tk = 6;
        SplittableRandom r = new SplittableRandom(5);
        float[] q = uniform(r, D * tq * B, -2, 2), k = uniform(r, D * tk * B, -2, 2), v = uniform(r, D * tk * B, -2, 2);
        float[] bias = uniform(r, tk * tq * HEADS, -3, 3);
        try (Graph g = newGraph()) {
            Tensor qi = input(g, "q", q, D, tq, B), ki = input(g, "k", k, D, tk, B), vi = input(g, "v", v, D, tk, B);
            Tensor bi = input(g, "bias", bias, tk, tq, HEADS);
            Tensor unscaled = g.output(Attention.sdpa(g, qi, ki, vi, HEADS, 1f, bi, null));
            Tensor scaled = g.output(Attention.sdpa(g, qi, ki, vi, HEADS, 0.3f, bi, null));
            g.compute();
            assertClose("scale 1 + bias", g.floats(unscaled), attention(doubles(q), doubles(k), doubles(v), tq, tk, 1, bias, null, false), FP32, FP32);
            assertClose("scale 0.3 + bias", g.floats(scaled), attention(doubles(q), doubles(k), doubles(v), tq, tk, 0.3f, bias, null, false), FP32, FP32);
        }
    }

    @Test
    void fastNumericsFoldTheBiasIntoFlashAttentionsF16MaskWithinItsRounding() {
        // Under FAST's ggml route, T5's bias takes the flash kernel too: the only new error is the bias rounded to
        // F16 (|bias| ≤ 3 → ≤ 3·2^-11 per logit), so outputs stay within 5e-3 of the fp32 reference.
        int tq = 6, tk = 7;
        SplittableRandom r = new SplittableRandom(15);
        float[] q = uniform(r, D * tq * B, -2, 2), k = uniform(r, D * tk * B, -2, 2), v = uniform(r, D * tk * B, -2, 2);
        float[] bias = uniform(r, tk * tq * HEADS, -3, 3);
        // -Dmmgp.attention=ggml: FAST's default is mmgp's fused op (AttentionFusedTest) where the kernels have it.
        try (ComputeBackend fast = ComputeBackend.cpu(2, Numerics.FAST); Graph g = new Graph(fast, 256)) {
            Tensor qi = input(g, "q", q, D, tq, B), ki = input(g, "k", k, D, tk, B), vi = input(g, "v", v, D, tk, B);
            Tensor bi = input(g, "bias", bias, tk, tq, HEADS);
            Tensor out = g.output(withAttentionRoute("ggml", () -> Attention.sdpa(g, qi, ki, vi, HEADS, 1f, bi, null)));
            g.compute();
            double[] expected = attention(doubles(q), doubles(k), doubles(v), tq, tk, 1, bias, null, false);
            assertClose("FAST bias", g.floats(out), expected, 5e-3, 0);
            double maxErr = 0;
            float[] got = g.floats(out);
            for (int i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - expected[i]));
            assertThat(maxErr).as("the F16 bias must show (else the exact path ran)").isGreaterThan(1e-6);
        }
    }

    @ParameterizedTest
    @ValueSource(floats = {1f, 0.3f})
    void sdpaAddsAPerHeadBiasAndAPerItemKeyMaskTogether(float scale) {
        int tq = 4, tk = 5;
        SplittableRandom r = new SplittableRandom(6);
        float[] q = uniform(r, D * tq * B, -2, 2), k = uniform(r, D * tk * B, -2, 2), v = uniform(r, D * tk * B, -2, 2);
        float[] bias = uniform(r, tk * tq * HEADS, -3, 3);
        float[] mask = new float[tk * tq * B]; // [Tk, Tq, 1, B]: item 0 masks key 1, item 1 keys 3 and 4
        for (int i = 0; i < tq; i++) {
            mask[i * tk + 1] = -Float.MAX_VALUE;
            mask[(tq + i) * tk + 3] = -Float.MAX_VALUE;
            mask[(tq + i) * tk + 4] = -Float.MAX_VALUE;
        }
        try (Graph g = newGraph()) {
            Tensor out = g.output(Attention.sdpa(g, input(g, "q", q, D, tq, B), input(g, "k", k, D, tk, B), input(g, "v", v, D, tk, B),
                    HEADS, scale, input(g, "bias", bias, tk, tq, HEADS), input(g, "mask", mask, tk, tq, 1, B)));
            g.compute();
            assertClose("bias + mask", g.floats(out), attention(doubles(q), doubles(k), doubles(v), tq, tk, scale, bias, mask, true), FP32, FP32);
        }
    }

    @Test
    void sdpaWithTheDefaultScaleIsMultiHeadBitForBit() {
        int tq = 5, tk = 7;
        SplittableRandom r = new SplittableRandom(7);
        float[] q = uniform(r, D * tq * B), k = uniform(r, D * tk * B), v = uniform(r, D * tk * B);
        try (Graph g = newGraph()) {
            Tensor qi = input(g, "q", q, D, tq, B), ki = input(g, "k", k, D, tk, B), vi = input(g, "v", v, D, tk, B);
            Tensor a = g.output(Attention.multiHead(g, qi, ki, vi, HEADS, null));
            Tensor b = g.output(Attention.sdpa(g, qi, ki, vi, HEADS, Attention.defaultScale(HD), null, null));
            g.compute();
            assertThat(g.floats(b)).containsExactly(g.floats(a));
        }
    }

    @Test
    void theModuleProjectsNormsRotatesAttendsAndProjectsOut() {
        // LTX's self-attention: biased projections, RMS norms over the inner width of q and k, interleaved rotary.
        int t = 4, dq = 10;
        SplittableRandom r = new SplittableRandom(8);
        float[] x = uniform(r, dq * t * B, -1, 1);
        float[] wq = uniform(r, dq * D), wk = uniform(r, dq * D), wv = uniform(r, dq * D), wo = uniform(r, D * dq);
        float[] bq = uniform(r, D), bk = uniform(r, D), bv = uniform(r, D), bo = uniform(r, dq);
        float[] gq = uniform(r, D, 0.5, 1.5), gk = uniform(r, D, 0.5, 1.5);
        float[] cos = new float[D * t], sin = new float[D * t];
        for (int p = 0; p < t; p++)
            for (int i = 0; i < D; i++) {
                double angle = p * Math.pow(10, -i / 2 / (double) (D / 2));
                cos[p * D + i] = (float) Math.cos(angle);
                sin[p * D + i] = (float) Math.sin(angle);
            }
        try (Weights weights = new Weights()
                .add("attn.to_q.weight", wq, dq, D).add("attn.to_q.bias", bq, D)
                .add("attn.to_k.weight", wk, dq, D).add("attn.to_k.bias", bk, D)
                .add("attn.to_v.weight", wv, dq, D).add("attn.to_v.bias", bv, D)
                .add("attn.to_out.0.weight", wo, D, dq).add("attn.to_out.0.bias", bo, dq)
                .add("attn.norm_q.weight", gq, D).add("attn.norm_k.weight", gk, D);
             Graph g = newGraph()) {
            WeightSet set = weights.map();
            Attention attn = Attention.load(set, "attn", dq, dq, HEADS, HD, true, true)
                    .withQkNorm(RmsNorm.load(set, "attn.norm_q", D, 1e-5, true, false), RmsNorm.load(set, "attn.norm_k", D, 1e-5, true, false));
            assertThat(attn.scale()).isEqualTo(Attention.defaultScale(HD));
            Tensor xi = input(g, "x", x, dq, t, B);
            Tensor out = g.output(attn.forward(g, xi, xi, input(g, "cos", cos, D, t), input(g, "sin", sin, D, t), null, null));
            g.compute();

            double[] q = rotate(rowNorm(linear(wq, bq, dq, D, x, t * B), D, false, gq, null, 1e-5), cos, sin, t);
            double[] k = rotate(rowNorm(linear(wk, bk, dq, D, x, t * B), D, false, gk, null, 1e-5), cos, sin, t);
            double[] v = linear(wv, bv, dq, D, x, t * B);
            float[] heads = floats(attention(q, k, v, t, t, 1 / Math.sqrt(HD), null, null, false));
            double[] expected = linear(wo, bo, D, dq, heads, t * B);
            double[] bound = bound(linearAbs(wo, D, dq, heads, t * B), 1e-5);
            for (int i = 0; i < bound.length; i++) bound[i] += 1e-5;
            assertWithin("attention module", g.floats(out), expected, bound);
        }
    }

    /** {@code build} with -Dmmgp.attention={@code route} (read while the graph is built). */
    static Tensor withAttentionRoute(String route, java.util.function.Supplier<Tensor> build) {
        Tensor[] out = new Tensor[1];
        WinogradTest.withProperties(new String[] {"mmgp.attention"}, new String[] {route}, () -> out[0] = build.get());
        return out[0];
    }

    /**
     * softmax(scale·q·kᵀ + bias + mask)·v per head; q [D, Tq, B], k/v [D, Tk, B]; bias
     * [Tk, Tq, H] or null; mask [Tk, Tq] (shared) or, with {@code maskPerItem}, [Tk, Tq, 1, B].
     */
    static double[] attention(double[] q, double[] k, double[] v, int tq, int tk, double scale, float[] bias, float[] mask, boolean maskPerItem) {
        double[] out = new double[D * tq * B];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < HEADS; h++)
                for (int i = 0; i < tq; i++) {
                    double[] s = new double[tk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        double dot = 0;
                        for (int c = 0; c < HD; c++) dot += q[(b * tq + i) * D + h * HD + c] * k[(b * tk + j) * D + h * HD + c];
                        s[j] = scale * dot;
                        if (bias != null) s[j] += bias[(h * tq + i) * tk + j];
                        if (mask != null) s[j] += mask[((maskPerItem ? b * tq : 0) + i) * tk + j];
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < tk; j++) sum += s[j] = Math.exp(s[j] - max);
                    for (int c = 0; c < HD; c++) {
                        double o = 0;
                        for (int j = 0; j < tk; j++) o += s[j] / sum * v[(b * tk + j) * D + h * HD + c];
                        out[(b * tq + i) * D + h * HD + c] = o;
                    }
                }
        return out;
    }

    /** Interleaved rotary embedding: pairs (x0, x1) → (x0·cos − x1·sin, x1·cos + x0·sin), tables [D, T] per token. */
    static double[] rotate(double[] x, float[] cos, float[] sin, int t) {
        double[] y = new double[x.length];
        for (int n = 0; n < x.length / D; n++) {
            int p = n % t;
            for (int i = 0; i < D; i += 2) {
                double x0 = x[n * D + i], x1 = x[n * D + i + 1];
                y[n * D + i] = x0 * cos[p * D + i] - x1 * sin[p * D + i];
                y[n * D + i + 1] = x1 * cos[p * D + i + 1] + x0 * sin[p * D + i + 1];
            }
        }
        return y;
    }
}
