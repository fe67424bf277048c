package mmgp.graph.nn;

import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mmgp's FP32 GEMM as a graph op ({@link MatMul#f32Gemm}): bit for bit a Java fma chain over k
 * per element, for F16 and F32 operands, batched and strided activations and F16 weights mapped
 * as a checkpoint's; the route {@link MatMul#apply} takes; its FLOPs in the profile; and
 * operands it cannot read refused with a message. The kernel itself (tiles, blocks, paths) is
 * checked in mmgp.bindings.kernels.MmgpF32GemmKernelsTest.
 */
class MatMulF32Test extends NnTestSupport {
    @BeforeAll
    static void kernels() {
        assumeTrue(MmgpKernels.isAvailable(), "the mmgp kernels library is not built: " + MmgpKernels.unavailableReason());
    }

    @Test
    void f16WeightTimesStridedBatchedActivationsIsTheFmaChain() {
        // x = a view of every other row-slot of a wider tensor, 3-D: [K, N, B] out of [K + 8, 2N, B].
        int m = 37, k = 70, n = 11, batch = 2;
        SplittableRandom r = new SplittableRandom(31);
        float[] w = roundToF16(uniform(r, m * k)), big = uniform(r, (k + 8) * 2 * n * batch);
        try (Weights ws = new Weights().add("w", GgmlType.F16, w, k, m); Graph g = newGraph()) {
            WeightSet set = ws.map();
            Tensor wide = input(g, "big", big, k + 8, 2 * n, batch);
            Tensor x = g.view(wide, new long[] {k, n, batch}, new long[] {2L * (k + 8) * 4, (k + 8) * 2L * n * 4}, 3L * 4);
            Tensor y = g.output(MatMul.f32Gemm(g, set.get("w"), x));
            Tensor plain = g.output(MatMul.f32Gemm(g, set.get("w"), x, MmgpKernels.F32GEMM_PORTABLE, 0, 0, 0));
            // Only the flags, as the javadoc shows: padded to the struct's four fields, not read past its end.
            Tensor flagsOnly = g.output(MatMul.f32Gemm(g, set.get("w"), x, MmgpKernels.F32GEMM_PORTABLE));
            assertThat(y.shape()).containsExactly(m, n, batch, 1);
            g.compute();
            float[] xs = new float[k * n * batch];
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < n; j++) System.arraycopy(big, (b * 2 * n + 2 * j) * (k + 8) + 3, xs, (b * n + j) * k, k);
            }
            float[] expected = reference(w, m, k, xs, n * batch);
            assertBits(g.floats(y), expected, "vector path");
            assertBits(g.floats(plain), expected, "plain C path");
            assertBits(g.floats(flagsOnly), expected, "plain C path, flags only");
        }
    }

    @Test
    void paramsArePaddedToTheStructAndAnEmptyKIsRefused() {
        assertThat(MatMul.kernelParams(null)).isNull();
        assertThat(MatMul.kernelParams(new int[0])).isNull();
        assertThat(MatMul.kernelParams(new int[] {7})).containsExactly(7, 0, 0, 0);
        assertThatThrownBy(() -> MatMul.kernelParams(new int[5])).hasMessageContaining("at most 4");
        try (Graph g = newGraph()) {
            Tensor a = g.inputF32("a", 0, 20), b = g.inputF32("b", 0, 20);
            assertThatThrownBy(() -> MatMul.f32Gemm(g, a, b)).hasMessageContaining("at least 1");
            assertThat(MatMul.f32Fits(a, b)).isFalse();
        }
    }

    @Test
    void f16PatchesTimesF16KernelAsTheConvolutionsMultiply() {
        // Both operands F16 graph tensors (cast from F32), the patches first: [K, positions] x [K, OC].
        int positions = 150, k = 45, oc = 20;
        SplittableRandom r = new SplittableRandom(32);
        float[] patches = uniform(r, positions * k), kernel = uniform(r, oc * k);
        try (Graph g = newGraph()) {
            Tensor a = g.cast(input(g, "p", patches, k, positions), GgmlType.F16);
            Tensor b = g.cast(input(g, "k", kernel, k, oc), GgmlType.F16);
            Tensor y = g.output(MatMul.f32Gemm(g, a, b));
            Tensor ggml = g.output(g.mulMat(a, b));
            g.compute();
            float[] got = g.floats(y);
            assertBits(got, reference(roundToF16(patches), positions, k, roundToF16(kernel), oc), "F16 x F16");
            // ggml's F16 route sums the same products in another order: equal within fp32 summation.
            float[] theirs = g.floats(ggml);
            for (int i = 0; i < got.length; i++) assertThat((double) got[i]).isCloseTo(theirs[i], org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void itsFlopsAreCountedLikeMulMat() {
        int m = 32, k = 40, n = 24;
        SplittableRandom r = new SplittableRandom(33);
        try (Arena arena = Arena.ofConfined(); Graph g = newGraph()) {
            Tensor y = g.output(MatMul.f32Gemm(g, input(g, "a", uniform(r, m * k), k, m), input(g, "b", uniform(r, n * k), k, n)));
            // Renamed, as a model names its outputs: still counted (known by its function, not its name).
            Ggml.setName(y.ptr(), arena.allocateFrom("logits"));
            assertThat(g.flops()).isEqualTo(2.0 * m * k * n);
        }
    }

    @Test
    void applyRoutesF16AndF32UnderFastOnly() {
        int m = 32, k = 64;
        boolean simd = !MmgpKernels.f32GemmPath().startsWith("scalar");
        try (ComputeBackend fast = ComputeBackend.cpu(2, Numerics.FAST); ComputeBackend exact = ComputeBackend.cpu(2, Numerics.EXACT);
                Graph gf = new Graph(fast, 64); Graph ge = new Graph(exact, 64)) {
            Tensor wf16 = gf.input("w16", GgmlType.F16, k, m), wf32 = gf.inputF32("w32", k, m);
            Tensor wide = gf.inputF32("x", k, 16), single = gf.inputF32("x1", k, 1), batched = gf.inputF32("x2", k, 1, 2);
            // Off by default (ggml's F16 matmul measured faster on AVX2).
            assertThat(Ggml.opDesc(MatMul.apply(gf, wf16, wide).ptr())).isEqualTo("MUL_MAT");
            System.setProperty("mmgp.f32gemm", "mmgp");
            try {
                assertThat(Ggml.opDesc(MatMul.apply(gf, wf16, wide).ptr())).isEqualTo(simd ? "CUSTOM" : "MUL_MAT");
                assertThat(Ggml.opDesc(MatMul.apply(gf, wf32, wide).ptr())).isEqualTo(simd ? "CUSTOM" : "MUL_MAT");
                // No size threshold: one column alone and the same column in a batch take the same route.
                assertThat(Ggml.opDesc(MatMul.apply(gf, wf16, single).ptr())).isEqualTo(Ggml.opDesc(MatMul.apply(gf, wf16, batched).ptr()));
                assertThat(Ggml.opDesc(MatMul.apply(gf, wf16, single).ptr())).isEqualTo(simd ? "CUSTOM" : "MUL_MAT");
                assertThat(Ggml.opDesc(MatMul.apply(ge, ge.input("w", GgmlType.F16, k, m), ge.inputF32("x", k, 64)).ptr())).isEqualTo("MUL_MAT");
            } finally {
                System.clearProperty("mmgp.f32gemm");
            }
        }
    }

    @Test
    void routeSwitchesAreTrimmedAndATypoIsRefused() {
        String key = "mmgp.routeSettingTest";
        try {
            System.setProperty(key, " MMGP ");
            assertThat(MatMul.routeSetting(key, "MMGP_ROUTE_SETTING_TEST_UNSET")).isEqualTo("mmgp");
            System.setProperty(key, "on");
            assertThatThrownBy(() -> MatMul.routeSetting(key, "MMGP_ROUTE_SETTING_TEST_UNSET")).hasMessageContaining("use mmgp or ggml");
            System.setProperty(key, " ");
            assertThat(MatMul.routeSetting(key, "MMGP_ROUTE_SETTING_TEST_UNSET")).isEmpty();
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void refusesOperandsWithoutContiguousRows() {
        try (Graph g = newGraph()) {
            Tensor a = g.inputF32("a", 64, 32), b = g.inputF32("b", 64, 16);
            Tensor columnsOfA = g.transpose(a); // nb[0] is a row stride: not K-contiguous
            assertThat(MatMul.f32Fits(columnsOfA, g.inputF32("b2", 32, 16))).isFalse();
            assertThatThrownBy(() -> MatMul.f32Gemm(g, columnsOfA, g.inputF32("b3", 32, 16))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("contiguous rows");
            assertThatThrownBy(() -> MatMul.f32Gemm(g, a, g.inputF32("b4", 48, 16))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("same K");
            assertThatThrownBy(() -> MatMul.f32Gemm(g, g.input("q", GgmlType.Q8_0, 64, 32), b)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("F16/F32");
            assertThatThrownBy(() -> MatMul.f32Gemm(g, g.inputF32("a3", 64, 4, 2), b)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("2-D");
        }
    }

    // ---- helpers ----

    /** c[j*m + i] = fma chain over k of A[i][k] * B[j][k], from 0, in k order. */
    private static float[] reference(float[] a, int m, int k, float[] b, int n) {
        float[] c = new float[m * n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                float acc = 0f;
                for (int q = 0; q < k; q++) acc = Math.fma(a[i * k + q], b[j * k + q], acc);
                c[j * m + i] = acc;
            }
        }
        return c;
    }

    private static void assertBits(float[] got, float[] expected, String what) {
        assertThat(got).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(expected[i])) {
                throw new AssertionError(what + ": y[" + i + "] = " + got[i] + ", reference " + expected[i]);
            }
        }
    }
}
