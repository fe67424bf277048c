package mmgp.bindings.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mmgp's FP32 GEMM (mmgp_gemm_f32.c) against a plain Java loop, bit for bit: every C element is
 * fma(A[k, m], B[k, n], acc) over k = 0..K-1 in order from 0, F16 operands widened exactly. Run
 * on the path this CPU takes (AVX-512 or AVX2), on the AVX2 one and on the plain C one, with
 * default and tiny block sizes and 1–3 thread parts, over shapes that leave tails in every
 * tile and block dimension. The graph-level op (strides, batches, routing) is checked in
 * mmgp.graph.nn.MatMulF32Test.
 */
class MmgpF32GemmKernelsTest {
    @BeforeAll
    static void library() {
        if (Boolean.getBoolean("mmgp.allowNoNative")) {
            assumeTrue(MmgpKernels.isAvailable(), "mmgp.allowNoNative is set and the kernels are not built");
        }
        assertThat(MmgpKernels.isAvailable()).withFailMessage("the mmgp kernels library is missing: %s", MmgpKernels.unavailableReason())
                .isTrue();
    }

    /** {m, k, n}: one element, one column, one row, tails of the 16/32-row and 6/12-column tiles, K past one 256-panel. */
    private static final int[][] SHAPES = {{1, 1, 1}, {7, 5, 1}, {1, 33, 9}, {16, 8, 6}, {17, 300, 7}, {33, 257, 13}, {50, 513, 25},
        {145, 64, 40}, {200, 96, 1600}};

    @Test
    void pathIsNamed() {
        assertThat(MmgpKernels.f32GemmPath()).isNotBlank();
        assertThat(MmgpKernels.f32GemmFunction().address()).isNotZero();
    }

    @Test
    void everyPathBlockingAndSplitMatchesJavaBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        int[][] params = {null, {MmgpKernels.F32GEMM_NO_AVX512, 0, 0, 0}, {MmgpKernels.F32GEMM_PORTABLE, 0, 0, 0},
            {0, 3, 17, 7}, {MmgpKernels.F32GEMM_PORTABLE, 5, 1, 1}, {MmgpKernels.F32GEMM_NO_AVX512, 64, 32, 12}};
        for (int[] s : SHAPES) {
            int m = s[0], k = s[1], n = s[2];
            for (boolean aF16 : new boolean[] {true, false}) {
                for (boolean bF16 : new boolean[] {true, false}) {
                    Object a = aF16 ? halves(r, m * k) : floats(r, m * k), b = bF16 ? halves(r, n * k) : floats(r, n * k);
                    float[] expected = reference(a, m, k, b, n);
                    for (int[] p : params) {
                        for (int threads = 1; threads <= 3; threads++) {
                            float[] got = MmgpKernels.f32GemmRaw(a, m, k, b, n, p, threads);
                            assertBits(got, expected, "m=" + m + " k=" + k + " n=" + n + " a " + (aF16 ? "F16" : "F32") + " b " + (bF16 ? "F16" : "F32")
                                    + " params " + java.util.Arrays.toString(p) + " threads " + threads);
                        }
                    }
                }
            }
        }
    }

    @Test
    void specialValuesFollowTheChain() {
        // Signed zeros, infinities, NaN and subnormal halves go through the same fma chain.
        int m = 20, k = 9, n = 7;
        SplittableRandom r = new SplittableRandom(12);
        short[] a = halves(r, m * k);
        a[0] = Float.floatToFloat16(-0.0f);
        a[3] = (short) 0x0001; // the smallest subnormal half
        a[k + 1] = (short) 0x83ff; // the largest negative subnormal
        a[2 * k] = Float.floatToFloat16(Float.POSITIVE_INFINITY);
        a[5 * k + 2] = Float.floatToFloat16(Float.NaN);
        float[] b = floats(r, n * k);
        b[4] = -0.0f;
        for (int[] p : new int[][] {null, {MmgpKernels.F32GEMM_PORTABLE, 0, 0, 0}}) {
            assertBits(MmgpKernels.f32GemmRaw(a, m, k, b, n, p, 2), reference(a, m, k, b, n), "special values, params " + java.util.Arrays.toString(p));
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeTheCall() {
        assertThatThrownBy(() -> MmgpKernels.f32GemmRaw(new float[6], 2, 3, new float[5], 2, null, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b holds 20 bytes, not 24");
        assertThatThrownBy(() -> MmgpKernels.f32GemmRaw(new int[6], 2, 3, new float[6], 2, null, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a must be a float[] or a short[]");
        assertThatThrownBy(() -> MmgpKernels.f32GemmRaw(new float[0], 0, 3, new float[6], 2, null, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
    }

    // ---- helpers ----

    /** c[j*m + i] = fma chain over k of A[i][k] * B[j][k], from 0, in k order. */
    static float[] reference(Object a, int m, int k, Object b, int n) {
        float[] af = widen(a), bf = widen(b), c = new float[m * n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                float acc = 0f;
                for (int q = 0; q < k; q++) acc = Math.fma(af[i * k + q], bf[j * k + q], acc);
                c[j * m + i] = acc;
            }
        }
        return c;
    }

    private static float[] widen(Object x) {
        if (x instanceof float[] f) return f;
        short[] h = (short[]) x;
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) f[i] = Float.float16ToFloat(h[i]);
        return f;
    }

    private static void assertBits(float[] got, float[] expected, String what) {
        assertThat(got).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(expected[i])
                    && !(Float.isNaN(got[i]) && Float.isNaN(expected[i]))) {
                throw new AssertionError(what + ": c[" + i + "] = " + got[i] + ", reference " + expected[i]);
            }
        }
    }

    private static float[] floats(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 4 - 2);
        return v;
    }

    private static short[] halves(SplittableRandom r, int n) {
        short[] v = new short[n];
        for (int i = 0; i < n; i++) v[i] = Float.floatToFloat16((float) (r.nextDouble() * 4 - 2));
        return v;
    }
}
