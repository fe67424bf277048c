package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertClose;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;

import java.util.Random;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * softMax and flashAttention against softmax(scale·QKᵀ + mask)·V computed in double.
 *
 * <p>Tolerances: softMax 1e-5 + 1e-5·|expected|. flashAttention with F32 K/V: the same. With F16
 * K/V the reference is fed the fp16-rounded Q, K and V (the CPU kernel converts Q to K's vec-dot
 * type, F16). For fewer than 64 queries the CPU kernel then accumulates Σ softmax·V in an fp16
 * buffer (ggml_compute_forward_flash_attn_ext_f16_one_chunk, regardless of GGML_PREC_F32),
 * rounding the accumulator at each of the Nk steps and at each rescale, hence
 * (2·Nk + 2)·2^-11·max|V|. From 64 queries on, the tiled kernel converts K/V to fp32 and the
 * fp32 bound applies again.
 */
class AttentionOpsTest extends GraphTestSupport {

    @Test
    void softMaxAppliesScaleThenMaskAlongNe0() {
        int[] ne = {7, 5, 3, 2};
        Random random = new Random(51);
        float[] x = uniform(random, product(ne), -3, 3);
        int[] maskNe = {7, 5, 1, 1};
        float[] mask = causalMask(random, 7, 5);
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne[0], ne[1], ne[2], ne[3]);
            Tensor tm = g.inputF32("mask", maskNe[0], maskNe[1]);
            Tensor masked = g.output(g.softMax(tx, tm, 0.35f));
            Tensor plain = g.output(g.softMax(tx, null, 1f));
            g.set(tx, x);
            g.set(tm, mask);
            g.compute();
            assertClose("softMax with F32 mask", g.floats(masked), ReferenceOps.softMax(x, ne, mask, maskNe, 0.35), FP32_ABS, FP32_REL);
            assertClose("softMax without mask", g.floats(plain), ReferenceOps.softMax(x, ne, null, null, 1), FP32_ABS, FP32_REL);
        }
    }

    @Test
    void softMaxTakesAnF16MaskWithExtraRowsAndAPerHeadMask() {
        int[] ne = {7, 5, 3, 2};
        Random random = new Random(52);
        float[] x = uniform(random, product(ne), -3, 3);
        int[] paddedNe = {7, 8, 1, 1}; // more rows than queries: row i1 of x reads mask row i1
        float[] padded = roundToF16(causalMask(random, 7, 8));
        int[] perHeadNe = {7, 5, 3, 1}; // one mask per head, repeated over ne3
        float[] perHead = uniform(random, product(perHeadNe), -2, 2);
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne[0], ne[1], ne[2], ne[3]);
            Tensor tm = g.input("mask16", GgmlType.F16, paddedNe[0], paddedNe[1]);
            Tensor th = g.inputF32("maskPerHead", perHeadNe[0], perHeadNe[1], perHeadNe[2]);
            Tensor y16 = g.output(g.softMax(tx, tm, 0.5f));
            Tensor yHead = g.output(g.softMax(tx, th, 1.25f));
            g.set(tx, x);
            g.set(tm, f16Bytes(padded));
            g.set(th, perHead);
            g.compute();
            assertClose("softMax with F16 mask", g.floats(y16), ReferenceOps.softMax(x, ne, padded, paddedNe, 0.5), FP32_ABS, FP32_REL);
            assertClose("softMax with per-head mask", g.floats(yHead), ReferenceOps.softMax(x, ne, perHead, perHeadNe, 1.25), FP32_ABS, FP32_REL);
        }
    }

    @Test
    void flashAttentionWithF16KvAndGroupedHeadsMatchesSoftmaxAttention() {
        int d = 16, nq = 5, nk = 7, heads = 4, kvHeads = 2, batch = 2;
        Random random = new Random(53);
        float[] q = uniform(random, d * nq * heads * batch);
        float[] k = uniform(random, d * nk * kvHeads * batch);
        float[] v = uniform(random, d * nk * kvHeads * batch);
        float[] mask = roundToF16(causalMask(random, nk, nq));
        float scale = (float) (1 / Math.sqrt(d));
        try (Graph g = newGraph()) {
            Tensor tq = g.inputF32("q", d, nq, heads, batch);
            Tensor tk = g.input("k", GgmlType.F16, d, nk, kvHeads, batch);
            Tensor tv = g.input("v", GgmlType.F16, d, nk, kvHeads, batch);
            Tensor tm = g.input("mask", GgmlType.F16, nk, nq);
            Tensor out = g.output(g.flashAttention(tq, tk, tv, tm, scale));
            assertShape(out, d, heads, nq, batch);
            g.set(tq, q);
            g.set(tk, f16Bytes(k));
            g.set(tv, f16Bytes(v));
            g.set(tm, f16Bytes(mask));
            g.compute();
            double[] expected = ReferenceOps.attention(roundToF16(q), roundToF16(k), roundToF16(v), mask, d, d, nq, nk, heads, kvHeads, batch, scale);
            double maxAbsV = 1; // v is uniform in [−1, 1)
            assertClose("flashAttention F16 K/V", g.floats(out), expected, (2 * nk + 2) * F16_EPS * maxAbsV, 0);
        }
    }

    @Test
    void flashAttentionWithF32KvIsFp32Accurate() {
        int d = 16, nq = 5, nk = 9, heads = 3, kvHeads = 3, batch = 1;
        Random random = new Random(54);
        float[] q = uniform(random, d * nq * heads * batch);
        float[] k = uniform(random, d * nk * kvHeads * batch);
        float[] v = uniform(random, d * nk * kvHeads * batch);
        float[] mask = roundToF16(causalMask(random, nk, nq));
        try (Graph g = newGraph()) {
            Tensor tq = g.inputF32("q", d, nq, heads, batch);
            Tensor tk = g.inputF32("k", d, nk, kvHeads, batch);
            Tensor tv = g.inputF32("v", d, nk, kvHeads, batch);
            Tensor tm = g.input("mask", GgmlType.F16, nk, nq);
            Tensor masked = g.output(g.flashAttention(tq, tk, tv, tm, 0.3f));
            Tensor unmasked = g.output(g.flashAttention(tq, tk, tv, null, 0.3f));
            g.set(tq, q);
            g.set(tk, k);
            g.set(tv, v);
            g.set(tm, f16Bytes(mask));
            g.compute();
            assertClose("flashAttention F32 K/V masked", g.floats(masked),
                    ReferenceOps.attention(q, k, v, mask, d, d, nq, nk, heads, kvHeads, batch, 0.3), FP32_ABS, FP32_REL);
            assertClose("flashAttention F32 K/V unmasked", g.floats(unmasked),
                    ReferenceOps.attention(q, k, v, null, d, d, nq, nk, heads, kvHeads, batch, 0.3), FP32_ABS, FP32_REL);
        }
    }

    @Test
    void flashAttentionTiledPathForManyQueriesAcceptsAnUnpaddedMask() {
        // ≥ 64 queries and a multiple-of-16 head size take the tiled kernel; 70 keys span two KV tiles.
        int d = 32, nq = 66, nk = 70, heads = 2, kvHeads = 1, batch = 1;
        Random random = new Random(55);
        float[] q = uniform(random, d * nq * heads);
        float[] k = uniform(random, d * nk * kvHeads);
        float[] v = uniform(random, d * nk * kvHeads);
        float[] mask = roundToF16(causalMask(random, nk, nq));
        float scale = (float) (1 / Math.sqrt(d));
        try (Graph g = newGraph()) {
            Tensor tq = g.inputF32("q", d, nq, heads, batch);
            Tensor tk = g.input("k", GgmlType.F16, d, nk, kvHeads, batch);
            Tensor tv = g.input("v", GgmlType.F16, d, nk, kvHeads, batch);
            Tensor tm = g.input("mask", GgmlType.F16, nk, nq); // exactly Nq rows: no GGML_KQ_MASK_PAD in this ggml
            Tensor out = g.output(g.flashAttention(tq, tk, tv, tm, scale));
            assertShape(out, d, heads, nq, batch);
            g.set(tq, q);
            g.set(tk, f16Bytes(k));
            g.set(tv, f16Bytes(v));
            g.set(tm, f16Bytes(mask));
            g.compute();
            double[] expected = ReferenceOps.attention(q, roundToF16(k), roundToF16(v), mask, d, d, nq, nk, heads, kvHeads, batch, scale);
            assertClose("flashAttention tiled", g.floats(out), expected, FP32_ABS, FP32_REL);
        }
    }

    /**
     * [nk, rows] additive mask: random values in [−2, 2] with −∞ above a causal diagonal
     * (key j hidden from query i when j > i + nk − rows), so every row keeps finite entries.
     */
    private static float[] causalMask(Random random, int nk, int rows) {
        float[] mask = uniform(random, nk * rows, -2, 2);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < nk; j++)
                if (j > i + Math.max(1, nk - rows)) mask[i * nk + j] = Float.NEGATIVE_INFINITY;
        return mask;
    }
}
