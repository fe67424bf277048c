package mmgp.graph.nn;

import static mmgp.graph.nn.WinogradTest.withProperties;
import static mmgp.testing.TestArrays.relativeRms;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import mmgp.bindings.kernels.AttentionKernel;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mmgp's fused attention op ({@code mmgp_attention}) against softmax(scale·q·kᵀ + bias + mask)·v
 * in double: odd token counts on both sides of the 64-query and 64-key blocks, head dims 64 (every
 * model's) and 8, 12, 24, 72 (the SIMD tails), batch 2, causal and padding masks with −∞, T5's
 * bias with its finite minimum mask; the same bits for 1 and 2 threads and on the plain C and SIMD
 * paths; the route switch in {@link Attention#sdpa}; EXACT keeps ggml's kernels.
 */
class AttentionFusedTest extends FastNnTestSupport {
    /** {heads, headDim, Tq, Tk, B}. */
    private static final int[][] SHAPES = {{2, 64, 70, 133, 1}, {3, 24, 5, 7, 2}, {2, 12, 9, 65, 2}, {1, 64, 129, 64, 1}, {2, 72, 13, 200, 2},
        {4, 8, 64, 1, 2}, {1, 64, 1, 300, 1}};

    /** The additive terms a case carries. */
    private enum Terms { NONE, CAUSAL, PADDING, BIAS, BIAS_AND_MASK }

    @BeforeAll
    static void requireTheOp() {
        assumeTrue(AttentionKernel.available(), "the kernels library has no attention op");
    }

    @Test
    void matchesTheDoubleReference() {
        SplittableRandom r = new SplittableRandom(401);
        double worst = 0;
        for (int[] s : SHAPES) {
            for (Terms terms : Terms.values()) {
                if (terms == Terms.CAUSAL && s[2] != s[3]) continue;
                Case c = new Case(r, s, terms, 0.125f + 0.5f * r.nextFloat());
                double rms = relativeRms(c.run(fast, 0), c.reference());
                worst = Math.max(worst, rms);
                assertThat(rms).as(Arrays.toString(s) + " " + terms).isLessThanOrEqualTo(2e-6);
            }
        }
        System.out.printf("fused attention vs double reference: worst relative RMS %.2e%n", worst);
    }

    @Test
    void aQueryWhoseKeysAreAllMaskedGetsZeros() {
        int[] s = {2, 16, 3, 5, 1};
        Case c = new Case(new SplittableRandom(402), s, Terms.PADDING, 0.25f);
        Arrays.fill(c.mask, 0f);
        Arrays.fill(c.mask, 5, 10, Float.NEGATIVE_INFINITY); // query 1: every key
        c.mask[2] = Float.NEGATIVE_INFINITY;
        float[] got = c.run(fast, 0);
        double[] expected = c.reference();
        for (int i = 0; i < got.length; i++) {
            int query = i / 32;
            if (query == 1) assertThat(got[i]).as("element %d", i).isEqualTo(0f);
            else assertThat((double) got[i]).as("element %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void oneAndTwoThreadsAndBothPathsGiveTheSameBits() {
        SplittableRandom r = new SplittableRandom(403);
        boolean simd = !AttentionKernel.path().equals(AttentionKernel.PLAIN_PATH);
        for (int[] s : SHAPES) {
            for (Terms terms : new Terms[] {Terms.NONE, Terms.BIAS_AND_MASK}) {
                Case c = new Case(r, s, terms, 0.3f);
                float[] two = c.run(fast, 0);
                assertThat(c.run(fast1, 0)).as("1 vs 2 threads " + Arrays.toString(s) + " " + terms).isEqualTo(two);
                assertThat(c.run(fast1, AttentionKernel.PORTABLE)).as("plain C, 1 vs 2 threads " + Arrays.toString(s)).isEqualTo(c.run(fast, AttentionKernel.PORTABLE));
                if (simd) assertThat(c.run(fast, AttentionKernel.PORTABLE)).as("plain C vs SIMD " + Arrays.toString(s) + " " + terms).isEqualTo(two);
            }
        }
    }

    @Test
    void aNaNScoreMakesItsQueryNaNOnBothPaths() {
        // Scores [50, NaN, …, −50] over v rows 1, 2, 3, …: ggml and PyTorch give NaN. The NaN in the first
        // and in the last key, within one key block and past the first (a later block must not forget it).
        int hd = 8, tq = 4;
        for (int tk : new int[] {3, 70}) {
            for (int at : new int[] {1, tk - 1}) {
                float[] q = new float[hd * tq], k = uniform(new SplittableRandom(407), hd * tk, -1, 1), v = new float[hd * tk], bias = new float[tk * tq];
                for (int j = 0; j < tk; j++) Arrays.fill(v, j * hd, (j + 1) * hd, j + 1);
                for (int i = 0; i < tq; i++) {
                    bias[i * tk] = 50;
                    bias[i * tk + tk - 1] = -50;
                }
                bias[at] = Float.NaN;       // query 0: a NaN bias score
                q[2 * hd + 3] = Float.NaN;  // query 2: NaN in q, so every score of it
                bias[3 * tk + at] = Float.POSITIVE_INFINITY; // query 3: a +∞ score, whose exp(+∞ − +∞) is NaN in PyTorch too
                Case c = new Case(new int[] {1, hd, tq, tk, 1}, Terms.BIAS, 1f, q, k, v, bias, null);
                double[] expected = c.reference();
                float[] simd = c.run(fast, 0), plain = c.run(fast, AttentionKernel.PORTABLE);
                for (float[] got : new float[][] {simd, plain}) {
                    String what = (got == simd ? "default path" : "plain C") + ", Tk " + tk + ", NaN at key " + at;
                    for (int e = 0; e < hd; e++) {
                        assertThat(got[e]).as(what + ", query 0").isNaN();
                        assertThat(got[2 * hd + e]).as(what + ", query 2").isNaN();
                        assertThat(got[3 * hd + e]).as(what + ", query 3").isNaN();
                        assertThat((double) got[hd + e]).as(what + ", query 1").isCloseTo(expected[hd + e], org.assertj.core.data.Offset.offset(1e-5));
                    }
                }
                assertThat(rawBits(simd)).as("plain C vs the default path, NaN payloads included").isEqualTo(rawBits(plain));
            }
        }
    }

    private static int[] rawBits(float[] x) {
        int[] bits = new int[x.length];
        for (int i = 0; i < x.length; i++) bits[i] = Float.floatToRawIntBits(x[i]);
        return bits;
    }

    @Test
    void theDefaultRouteTakesTheOpOnlyOnItsSimdPath() {
        assertThat(Attention.defaultsToFused(AttentionKernel.PLAIN_PATH)).isFalse();
        assertThat(Attention.defaultsToFused("avx2+fma 6x16 tiles")).isTrue();
        try (Graph g = new Graph(fast, 16)) {
            assertThat(Attention.fusedRoute(g)).as(AttentionKernel.path()).isEqualTo(Attention.defaultsToFused(AttentionKernel.path()));
            withProperties(new String[] {"mmgp.attention"}, new String[] {"mmgp"}, () -> assertThat(Attention.fusedRoute(g)).as("the override, any path").isTrue());
        }
    }

    @Test
    void eachThreadsBuffersAreInTheGraphsPlan() {
        int heads = 2, hd = 24, d = heads * hd, tq = 9, tk = 130, b = 2;
        // Qt and O [hd][64 queries] each, St [64 keys][64], m, l and alpha [64], packed K and V [Tk][hd] each; 64 bytes to align
        long perThread = 4L * (2 * hd * 64 + 64 * 64 + 3 * 64 + 2L * tk * hd) + 64;
        assertThat(AttentionKernel.threadBytes(tk, hd)).isEqualTo(perThread);
        assertThatThrownBy(() -> AttentionKernel.threadBytes(0, hd)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keys");
        try (Graph g = new Graph(fast, 16)) {
            Tensor q = g.inputF32("q", d, tq, b), k = g.inputF32("k", d, tk, b), v = g.inputF32("v", d, tk, b);
            g.output(Attention.fused(g, q, k, v, heads, 0.2f, null, null, 0));
            long tensors = 4L * d * b * (2 * tq + 2 * tk); // q, k, v and the output in the compute buffer
            assertThat(g.plannedBufferBytes() - tensors).isBetween(fast.threads() * perThread, fast.threads() * perThread + 4096);
        }
    }

    @Test
    void itsFlopsAreCountedAsGgmlsFlashAttentionsAre() {
        // The harness's GFLOP/s and the admission cost estimates read Graph#flops: both routes must count the same work.
        int heads = 2, hd = 24, d = heads * hd, tq = 9, tk = 130, b = 2;
        double[] counted = new double[2];
        for (int route = 0; route < 2; route++) {
            try (Graph g = new Graph(fast, 16)) {
                Tensor q = g.inputF32("q", d, tq, b), k = g.inputF32("k", d, tk, b), v = g.inputF32("v", d, tk, b);
                g.output(route == 0 ? Attention.fused(g, q, k, v, heads, 0.2f, null, null, 0) : Attention.flash(g, q, k, v, heads, 0.2f, null, null));
                counted[route] = g.flops();
            }
        }
        assertThat(counted[0]).isEqualTo(4.0 * d * tq * tk * b).isEqualTo(counted[1]);
    }

    @Test
    void aGraphComputedAgainComputesEveryItemAgain() {
        // The op's threads claim items from a counter in its params, which the last thread resets.
        int[] s = {3, 64, 130, 70, 2};
        SplittableRandom r = new SplittableRandom(406);
        Case a = new Case(r, s, Terms.BIAS_AND_MASK, 0.3f), b = new Case(r, s, Terms.BIAS_AND_MASK, 0.3f);
        int d = s[0] * s[1];
        for (ComputeBackend be : new ComputeBackend[] {fast, fast1}) {
            try (Graph g = new Graph(be, 64)) {
                Tensor q = g.inputF32("q", d, s[2], s[4]), k = g.inputF32("k", d, s[3], s[4]), v = g.inputF32("v", d, s[3], s[4]);
                Tensor bias = g.inputF32("bias", s[3], s[2], s[0]), mask = g.inputF32("mask", s[3], s[2], 1, s[4]);
                Tensor y = g.output(Attention.fused(g, q, k, v, s[0], 0.3f, bias, mask, 0));
                for (Case c : new Case[] {a, b, a}) {
                    g.set(q, c.q);
                    g.set(k, c.k);
                    g.set(v, c.v);
                    g.set(bias, c.bias);
                    g.set(mask, c.mask);
                    g.compute();
                    assertThat(g.floats(y)).isEqualTo(c.run(fast, 0));
                }
            }
        }
    }

    @Test
    void stridedOperandRowsAreRead() {
        // q, k and v as column views of one wider [3·D, T] tensor, as a fused QKV projection gives them.
        int heads = 2, hd = 16, d = heads * hd, t = 37;
        SplittableRandom r = new SplittableRandom(404);
        float[] qkv = uniform(r, 3 * d * t);
        float[][] parts = new float[3][d * t];
        for (int i = 0; i < t; i++)
            for (int p = 0; p < 3; p++) System.arraycopy(qkv, i * 3 * d + p * d, parts[p], i * d, d);
        float[] viewed;
        try (Graph g = new Graph(fast, 64)) {
            Tensor all = input(g, "qkv", qkv, 3L * d, t, 1);
            Tensor[] v = new Tensor[3];
            for (int p = 0; p < 3; p++) v[p] = g.view(all, new long[] {d, t, 1}, new long[] {12L * d, 12L * d * t}, 4L * d * p);
            Tensor y = g.output(Attention.fused(g, v[0], v[1], v[2], heads, 0.25f, null, null, 0));
            g.compute();
            viewed = g.floats(y);
        }
        Case c = new Case(new int[] {heads, hd, t, t, 1}, Terms.NONE, 0.25f, parts[0], parts[1], parts[2], null, null);
        assertThat(viewed).isEqualTo(c.run(fast, 0));
    }

    @Test
    void sdpaTakesTheOpUnderFastUnlessTheSwitchSaysGgml() {
        SplittableRandom r = new SplittableRandom(405);
        Case c = new Case(r, new int[] {2, 16, 9, 11, 2}, Terms.BIAS_AND_MASK, 1f);
        float[] op = c.run(fast, 0);
        float[] exact = c.sdpa(backend);
        // By default only the op's SIMD path is taken (theDefaultRouteTakesTheOpOnlyOnItsSimdPath).
        boolean byDefault = Attention.defaultsToFused(AttentionKernel.path());
        if (byDefault) assertThat(c.sdpa(fast)).as("FAST, default: the op").isEqualTo(op);
        withProperties(new String[] {"mmgp.attention"}, new String[] {"mmgp"}, () -> assertThat(c.sdpa(fast)).isEqualTo(op));
        // The ggml route: a per-item mask with a bias cannot fold into flash attention's one mask, so the
        // materialised composition runs, as under EXACT; a bias alone takes flash attention in F16.
        withProperties(new String[] {"mmgp.attention"}, new String[] {"ggml"}, () -> assertThat(c.sdpa(fast)).isEqualTo(exact));
        Case biasOnly = new Case(r, new int[] {2, 16, 9, 11, 2}, Terms.BIAS, 1f);
        float[] biasOp = biasOnly.run(fast, 0), biasExact = biasOnly.sdpa(backend);
        withProperties(new String[] {"mmgp.attention"}, new String[] {"ggml"}, () -> {
            float[] flash = biasOnly.sdpa(fast);
            assertThat(Arrays.equals(flash, biasOp)).as("ggml's flash attention is not the op").isFalse();
            assertThat(Arrays.equals(flash, biasExact)).as("the F16-rounded bias shows").isFalse();
            assertThat(relativeRms(flash, biasOnly.reference())).isLessThanOrEqualTo(5e-3);
        });
        if (byDefault) assertThat(biasOnly.sdpa(fast)).isEqualTo(biasOp);
        withProperties(new String[] {"mmgp.attention"}, new String[] {"mmgp"}, () -> assertThat(c.sdpa(backend)).as("EXACT ignores the switch").isEqualTo(exact));
        withProperties(new String[] {"mmgp.attention"}, new String[] {"fused"}, () -> assertThatThrownBy(() -> c.sdpa(fast))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mmgp.attention").hasMessageContaining("mmgp, ggml"));
        assertThat(relativeRms(op, c.reference())).isLessThanOrEqualTo(2e-6);
    }

    /** One attention problem: operands, terms and scale, run through the op or {@link Attention#sdpa}. */
    private static final class Case {
        final int heads, hd, tq, tk, b;
        final float scale;
        final float[] q, k, v, bias, mask; // bias [Tk, Tq, H], mask [Tk, Tq, 1, 1|B]
        final boolean maskPerItem;

        Case(SplittableRandom r, int[] s, Terms terms, float scale) {
            this(s, terms, scale, uniform(r, s[0] * s[1] * s[2] * s[4], -2, 2), uniform(r, s[0] * s[1] * s[3] * s[4], -2, 2),
                    uniform(r, s[0] * s[1] * s[3] * s[4], -2, 2), terms == Terms.BIAS || terms == Terms.BIAS_AND_MASK ? uniform(r, s[3] * s[2] * s[0], -3, 3) : null,
                    masks(r, s, terms));
        }

        Case(int[] s, Terms terms, float scale, float[] q, float[] k, float[] v, float[] bias, float[] mask) {
            heads = s[0];
            hd = s[1];
            tq = s[2];
            tk = s[3];
            b = s[4];
            this.scale = scale;
            this.q = q;
            this.k = k;
            this.v = v;
            this.bias = bias;
            this.mask = mask;
            maskPerItem = mask != null && mask.length == tk * tq * b && b > 1;
        }

        /** CAUSAL: −∞ above the diagonal; PADDING: −∞ on random keys per item (never all); with the bias: T5's −3.4e38 per item. */
        private static float[] masks(SplittableRandom r, int[] s, Terms terms) {
            int tq = s[2], tk = s[3], b = s[4];
            return switch (terms) {
                case NONE, BIAS -> null;
                case CAUSAL -> {
                    float[] m = new float[tk * tq];
                    for (int i = 0; i < tq; i++) for (int j = i + 1; j < tk; j++) m[i * tk + j] = Float.NEGATIVE_INFINITY;
                    yield m;
                }
                case PADDING, BIAS_AND_MASK -> {
                    float[] m = new float[tk * tq * b];
                    float masked = terms == Terms.PADDING ? Float.NEGATIVE_INFINITY : -Float.MAX_VALUE;
                    for (int item = 0; item < b; item++)
                        for (int j = 1; j < tk; j++) {
                            if (r.nextInt(3) != 0) continue;
                            for (int i = 0; i < tq; i++) m[(item * tq + i) * tk + j] = masked;
                        }
                    yield m;
                }
            };
        }

        float[] run(ComputeBackend be, int flags) {
            return build(be, (g, qi, ki, vi, bi, mi) -> Attention.fused(g, qi, ki, vi, heads, scale, bi, mi, flags));
        }

        float[] sdpa(ComputeBackend be) {
            return build(be, (g, qi, ki, vi, bi, mi) -> Attention.sdpa(g, qi, ki, vi, heads, scale, bi, mi));
        }

        private interface Attend {
            Tensor apply(Graph g, Tensor q, Tensor k, Tensor v, Tensor bias, Tensor mask);
        }

        private float[] build(ComputeBackend be, Attend attend) {
            int d = heads * hd;
            try (Graph g = new Graph(be, 256)) {
                Tensor qi = input(g, "q", q, d, tq, b), ki = input(g, "k", k, d, tk, b), vi = input(g, "v", v, d, tk, b);
                Tensor bi = bias == null ? null : input(g, "bias", bias, tk, tq, heads);
                Tensor mi = mask == null ? null : maskPerItem ? input(g, "mask", mask, tk, tq, 1, b) : input(g, "mask", mask, tk, tq);
                Tensor y = g.output(attend.apply(g, qi, ki, vi, bi, mi));
                g.compute();
                return g.floats(y);
            }
        }

        /** In double; a query whose every score is −∞ gets 0, as the op's contract says. */
        double[] reference() {
            int d = heads * hd;
            double[] out = new double[d * tq * b];
            double[] s = new double[tk];
            for (int item = 0; item < b; item++)
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < tq; i++) {
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < tk; j++) {
                            double dot = 0;
                            for (int c = 0; c < hd; c++) dot += (double) q[(item * tq + i) * d + h * hd + c] * k[(item * tk + j) * d + h * hd + c];
                            s[j] = scale * dot;
                            if (bias != null) s[j] += bias[(h * tq + i) * tk + j];
                            if (mask != null) s[j] += mask[((maskPerItem ? item * tq : 0) + i) * tk + j];
                            max = Math.max(max, s[j]);
                        }
                        if (max == Double.NEGATIVE_INFINITY) continue;
                        double sum = 0;
                        for (int j = 0; j < tk; j++) sum += s[j] = Math.exp(s[j] - max);
                        for (int c = 0; c < hd; c++) {
                            double o = 0;
                            for (int j = 0; j < tk; j++) o += s[j] * v[(item * tk + j) * d + h * hd + c];
                            out[(item * tq + i) * d + h * hd + c] = o / sum;
                        }
                    }
            return out;
        }
    }


}
