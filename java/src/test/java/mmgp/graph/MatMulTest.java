package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * mulMat and linear against x·Wᵀ in double, for the three weight types the models ship.
 *
 * <p>Tolerances are scaled by S = Σ_k |w_k·x_k| of each output, the natural yardstick of a dot
 * product's rounding error:
 * <ul>
 *   <li>F32: 1e-5·S (fp32 accumulation over K ≤ 96 terms in any order);</li>
 *   <li>F16: 1e-3·S against the fp16-rounded weights; the CPU kernel also rounds x to fp16
 *       (vec_dot_type of F16 is F16), which alone costs up to 2^-11·S ≈ 4.9e-4·S;</li>
 *   <li>Q8_0: the kernel quantizes x to Q8_0 too, so each x_k is off by at most
 *       0.5·d + 127·|d − fp16(d)| ≤ 0.57·d with d = max|x| of its 32-block / 127; the bound is
 *       Σ_blocks 0.57·d_x·Σ|w'_k| + 1e-5·S against the dequantized weights w'. Against the
 *       original fp32 weights the weights' own step adds Σ_blocks 0.57·d_w·Σ|x_k|, and we also
 *       require the practical bound of 1% of S.</li>
 * </ul>
 */
class MatMulTest extends GraphTestSupport {
    private static final int K = 96, M = 5, N = 4;

    @Test
    void f32MatMulIsXTimesWeightTransposed() {
        Random random = new Random(11);
        float[] w = uniform(random, K * M), x = uniform(random, K * N);
        try (Graph g = newGraph()) {
            Tensor tw = g.inputF32("w", K, M), tx = g.inputF32("x", K, N);
            Tensor y = g.output(g.mulMat(tw, tx));
            assertShape(y, M, N);
            g.set(tw, w);
            g.set(tx, x);
            g.compute();
            assertWithin("mulMat F32", g.floats(y), ReferenceOps.mulMat(w, K, M, x, N), scaled(ReferenceOps.mulMatAbs(w, K, M, x, N), 1e-5));
        }
    }

    @Test
    void f32MatMulBroadcastsTheWeightOverExtraDimensionsOfX() {
        Random random = new Random(12);
        float[] w = uniform(random, K * M), x = uniform(random, K * N * 3);
        try (Graph g = newGraph()) {
            Tensor tw = g.inputF32("w", K, M), tx = g.inputF32("x", K, N, 3);
            Tensor y = g.output(g.mulMat(tw, tx));
            assertShape(y, M, N, 3);
            g.set(tw, w);
            g.set(tx, x);
            g.compute();
            assertWithin("mulMat F32 batched", g.floats(y), ReferenceOps.mulMat(w, K, M, x, N * 3), scaled(ReferenceOps.mulMatAbs(w, K, M, x, N * 3), 1e-5));
        }
    }

    @Test
    void linearAddsTheBiasToEveryRow() {
        Random random = new Random(13);
        float[] w = uniform(random, K * M), x = uniform(random, K * N), bias = uniform(random, M);
        try (Graph g = newGraph()) {
            Tensor tw = g.inputF32("w", K, M), tx = g.inputF32("x", K, N), tb = g.inputF32("b", M);
            Tensor y = g.output(g.linear(tx, tw, tb));
            Tensor noBias = g.output(g.linear(tx, tw, null));
            g.set(tw, w);
            g.set(tx, x);
            g.set(tb, bias);
            g.compute();
            double[] expected = ReferenceOps.mulMat(w, K, M, x, N);
            double[] bound = scaled(ReferenceOps.mulMatAbs(w, K, M, x, N), 1e-5);
            assertWithin("linear without bias", g.floats(noBias), expected, bound);
            for (int i = 0; i < expected.length; i++) {
                expected[i] += bias[i % M];
                bound[i] += 1e-6;
            }
            assertWithin("linear with bias", g.floats(y), expected, bound);
        }
    }

    @Test
    void f16WeightsMatchTheRoundedWeightsWithinActivationRounding() {
        Random random = new Random(14);
        float[] w = uniform(random, K * M), x = uniform(random, K * N);
        float[] w16 = roundToF16(w);
        try (Graph g = newGraph()) {
            Tensor tw = g.input("w", GgmlType.F16, K, M), tx = g.inputF32("x", K, N);
            Tensor y = g.output(g.linear(tx, tw, null));
            g.set(tw, f16Bytes(w));
            g.set(tx, x);
            g.compute();
            assertWithin("mulMat F16", g.floats(y), ReferenceOps.mulMat(w16, K, M, x, N), scaled(ReferenceOps.mulMatAbs(w16, K, M, x, N), 1e-3));
        }
    }

    @Test
    void q8_0WeightsStayWithinTheQuantizationStep() {
        Random random = new Random(15);
        float[] w = uniform(random, K * M), x = uniform(random, K * N);
        MemorySegment blocks = q8_0Bytes(w);
        float[] wq = q8_0Values(blocks, w.length);
        try (Graph g = newGraph()) {
            Tensor tw = g.input("w", GgmlType.Q8_0, K, M), tx = g.inputF32("x", K, N);
            Tensor y = g.output(g.mulMat(tw, tx));
            assertShape(y, M, N);
            g.set(tw, blocks);
            g.set(tx, x);
            g.compute();
            float[] actual = g.floats(y);

            double[] sumAbs = ReferenceOps.mulMatAbs(wq, K, M, x, N);
            double[] kernelBound = new double[M * N];
            double[] totalBound = new double[M * N];
            for (int c = 0; c < N; c++) {
                for (int r = 0; r < M; r++) {
                    double kernel = 1e-5 * sumAbs[c * M + r], weights = 0;
                    for (int b = 0; b < K / 32; b++) {
                        double dx = 0, dw = 0, sumW = 0, sumX = 0;
                        for (int j = b * 32; j < b * 32 + 32; j++) {
                            dx = Math.max(dx, Math.abs(x[c * K + j]) / 127);
                            dw = Math.max(dw, Math.abs(w[r * K + j]) / 127);
                            sumW += Math.abs(wq[r * K + j]);
                            sumX += Math.abs(x[c * K + j]);
                        }
                        kernel += 0.57 * dx * sumW;
                        weights += 0.57 * dw * sumX;
                    }
                    kernelBound[c * M + r] = kernel;
                    totalBound[c * M + r] = kernel + weights;
                }
            }
            assertWithin("mulMat Q8_0 vs dequantized weights", actual, ReferenceOps.mulMat(wq, K, M, x, N), kernelBound);
            assertWithin("mulMat Q8_0 vs fp32 weights", actual, ReferenceOps.mulMat(w, K, M, x, N), totalBound);
            assertThat(maxRelativeError(actual, ReferenceOps.mulMat(w, K, M, x, N), ReferenceOps.mulMatAbs(w, K, M, x, N)))
                    .as("Q8_0 error relative to Σ|w·x|").isLessThan(0.01);
        }
    }

    @Test
    void javaQ8_0EncodingIsWithinHalfAStepOfEachValue() {
        // Guards the Java quantizer the Q8_0 test relies on: every value within half a step.
        Random random = new Random(16);
        float[] w = uniform(random, 64, -3, 3);
        float[] back = q8_0Values(q8_0Bytes(w), w.length);
        for (int b = 0; b < 2; b++) {
            double amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(w[b * 32 + j]));
            for (int j = 0; j < 32; j++) {
                assertThat((double) Math.abs(back[b * 32 + j] - w[b * 32 + j])).isLessThanOrEqualTo(0.57 * amax / 127);
            }
        }
    }

    private static double[] scaled(double[] v, double factor) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i] * factor + 1e-7;
        return r;
    }

    private static double maxRelativeError(float[] actual, double[] expected, double[] scale) {
        double worst = 0;
        for (int i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale[i]);
        return worst;
    }
}
