package mmgp.graph.nn;

import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.convert.TensorEncoder;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mmgp's Q8_0 GEMM ({@link MatMul#q8Gemm}, two ggml custom ops) against ggml's own mul_mat with
 * the same Q8_0 weight, and the route {@link MatMul#apply} takes.
 *
 * <p>Both quantize x to the same Q8_0 integers and scales (mmgp's quantizer is bit-identical to
 * ggml's AVX2 quantize_row_q8_0, checked against Java in MmgpQ8GemmKernelsTest), so every block
 * product dw·dx·isum is the same exact number; they differ only in the order of the fp32
 * additions (ggml: 8 lane partial sums per output, added at the end; mmgp: one fma per block in
 * order). The bound is therefore fp32 summation's: |Δ| ≤ 2·(K/32 + 8)·2⁻²⁴·S with
 * S = Σ_k |w'_k|·(|x_k| + d_x) (w' the dequantized weights, d_x the activation block's step),
 * which bounds Σ_blocks |dw·dx·isum|.
 */
class MatMulQ8Test extends NnTestSupport {
    @BeforeAll
    static void kernels() {
        assumeTrue(MmgpKernels.isAvailable(), "the mmgp kernels library is not built: " + MmgpKernels.unavailableReason());
    }

    @Test
    void itsFlopsAreCountedLikeMulMat() {
        int m = 64, k = 256, n = 40;
        SplittableRandom r = new SplittableRandom(3);
        float[] w = uniform(r, m * k), x = uniform(r, k * n);
        try (Arena arena = Arena.ofConfined(); WeightSet ws = q8Weight(arena, w, m, k); Graph g = newGraph()) {
            Tensor tw = ws.get("w");
            g.output(MatMul.q8Gemm(g, tw, input(g, "x", x, k, n)));
            // The GFLOP/s of every stage in the harness come from this count: the custom op must not read as zero.
            assertThat(g.flops()).isEqualTo(2.0 * m * k * n);
        }
    }

    @Test
    void matchesGgmlMulMatWithinFp32SummationOrder() {
        // {M, K, N}: a DiT-like shape scaled down, K beyond one panel, N beyond one panel and not a multiple of 8.
        int[][] shapes = {{64, 256, 40}, {96, 4160, 36}, {130, 512, 301}, {8, 32, 1}};
        SplittableRandom r = new SplittableRandom(21);
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            float[] w = uniform(r, m * k), x = uniform(r, k * n, -2, 2);
            for (int i = 0; i < x.length; i += 97) x[i] *= 30; // outliers set some blocks' steps
            try (Arena arena = Arena.ofConfined(); WeightSet ws = q8Weight(arena, w, m, k); Graph g = newGraph()) {
                Tensor tw = ws.get("w");
                Tensor tx = input(g, "x", x, k, n);
                Tensor ggml = g.output(g.mulMat(tw, tx));
                Tensor mmgp = g.output(MatMul.q8Gemm(g, tw, tx));
                Tensor plain = g.output(MatMul.q8Gemm(g, tw, tx, MmgpKernels.Q8_PORTABLE, 0, 0, 0));
                // the vector path's panels (the AMX path, where it runs, keeps its own)
                Tensor smallPanels = g.output(MatMul.q8Gemm(g, tw, tx, MmgpKernels.Q8_NO_AMX, 3, 1, 0));
                Tensor noAmx = g.output(MatMul.q8Gemm(g, tw, tx, MmgpKernels.Q8_NO_AMX, 0, 0, 0));
                g.compute();
                float[] expected = g.floats(ggml), got = g.floats(mmgp);
                double[] bound = summationBound(dequantized(tw, m, k), x, m, k, n);
                double worstDiff = 0, largest = 0, worstOfBound = 0;
                for (int i = 0; i < expected.length; i++) {
                    double d = Math.abs(got[i] - expected[i]);
                    worstDiff = Math.max(worstDiff, d);
                    largest = Math.max(largest, Math.abs(expected[i]));
                    worstOfBound = Math.max(worstOfBound, d / bound[i]);
                    if (d > bound[i]) {
                        throw new AssertionError("M=" + m + " K=" + k + " N=" + n + ": y[" + i + "] = " + got[i] + ", ggml " + expected[i]
                                + ", |Δ| " + d + " > bound " + bound[i]);
                    }
                }
                System.out.printf("mmgp Q8_0 GEMM vs ggml mul_mat, M=%d K=%d N=%d: max |Δ| %.3g = %.3g of max |y|, max |Δ|/bound %.3f%n",
                        m, k, n, worstDiff, worstDiff / largest, worstOfBound);
                // The plain C path and other panel sizes compute the very same bits as the vector path.
                assertThat(g.floats(plain)).as("plain C path").isEqualTo(got);
                assertThat(g.floats(smallPanels)).as("3-block K panels, 1-group N panels").isEqualTo(got);
                assertThat(g.floats(noAmx)).as("the vector path where the AMX one runs, on ggml's threads").isEqualTo(got);
            }
        }
    }

    @Test
    void batchedActivationsKeepTheirShape() {
        int m = 16, k = 64, n = 12, batch = 3;
        SplittableRandom r = new SplittableRandom(22);
        float[] w = uniform(r, m * k), x = uniform(r, k * n * batch);
        try (Arena arena = Arena.ofConfined(); WeightSet ws = q8Weight(arena, w, m, k); Graph g = newGraph()) {
            Tensor tw = ws.get("w");
            Tensor tx = input(g, "x", x, k, n, batch);
            Tensor ggml = g.output(g.mulMat(tw, tx));
            Tensor mmgp = g.output(MatMul.q8Gemm(g, tw, tx));
            assertThat(mmgp.shape()).containsExactly(m, n, batch, 1);
            g.compute();
            float[] a = g.floats(ggml), b = g.floats(mmgp);
            for (int i = 0; i < a.length; i++) assertThat((double) b[i]).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(a[i]))));
        }
    }

    @Test
    void stridedActivationsAreReadInPlace() {
        // x = a view of every other row-slot of a wider tensor, with 3-D strides: [K, N, B] out of [K + 32, 2N, B].
        int m = 24, k = 96, n = 40, batch = 2;
        SplittableRandom r = new SplittableRandom(24);
        float[] w = uniform(r, m * k), big = uniform(r, (k + 32) * 2 * n * batch);
        try (Arena arena = Arena.ofConfined(); WeightSet ws = q8Weight(arena, w, m, k); Graph g = newGraph()) {
            Tensor tw = ws.get("w");
            Tensor wide = input(g, "big", big, k + 32, 2 * n, batch);
            Tensor x = g.view(wide, new long[] {k, n, batch}, new long[] {2L * (k + 32) * 4, (k + 32) * 2L * n * 4}, 16L * 4);
            Tensor ggml = g.output(g.mulMat(tw, x));
            Tensor mmgp = g.output(MatMul.q8Gemm(g, tw, x));
            g.compute();
            float[] a = g.floats(ggml), b = g.floats(mmgp);
            for (int i = 0; i < a.length; i++) assertThat((double) b[i]).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(a[i]))));
        }
    }

    @Test
    void applyRoutesQ8_0WeightsUnderFastOnly() {
        int m = 16, k = 64;
        SplittableRandom r = new SplittableRandom(23);
        float[] w = uniform(r, m * k);
        try (Arena arena = Arena.ofConfined(); ComputeBackend fast = ComputeBackend.cpu(2, Numerics.FAST);
                ComputeBackend exact = ComputeBackend.cpu(2, Numerics.EXACT);
                WeightSet wsFast = q8Weight(arena, w, m, k, fast); WeightSet wsExact = q8Weight(arena, w, m, k, exact);
                Graph gf = new Graph(fast, 64); Graph ge = new Graph(exact, 64)) {
            Tensor wide = gf.inputF32("x", k, 32), narrow = gf.inputF32("x1", k, 1);
            boolean simd = !MmgpKernels.q8Path().equals("scalar");
            assertThat(Ggml.opDesc(MatMul.apply(gf, wsFast.get("w"), wide).ptr())).isEqualTo(simd ? "CUSTOM" : "MUL_MAT");
            // No column threshold: one column takes the route a batch of them takes (same bits alone and batched).
            assertThat(Ggml.opDesc(MatMul.apply(gf, wsFast.get("w"), narrow).ptr())).isEqualTo(simd ? "CUSTOM" : "MUL_MAT");
            assertThat(Ggml.opDesc(MatMul.apply(ge, wsExact.get("w"), ge.inputF32("x", k, 64)).ptr())).isEqualTo("MUL_MAT");
            // A graph input is not yet in a buffer: apply cannot see where it will live, so ggml's route.
            assertThat(Ggml.opDesc(MatMul.apply(gf, gf.input("wq", GgmlType.Q8_0, k, m), wide).ptr())).isEqualTo("MUL_MAT");
            // mmgp.q8gemm=ggml, read at graph build, asks for ggml's route.
            System.setProperty("mmgp.q8gemm", "ggml");
            try {
                assertThat(Ggml.opDesc(MatMul.apply(gf, wsFast.get("w"), wide).ptr())).isEqualTo("MUL_MAT");
            } finally {
                System.clearProperty("mmgp.q8gemm");
            }
            // mmgp.q8amx=off keeps mmgp's route (its vector path, the same bits as the AMX one); a typo is refused.
            System.setProperty("mmgp.q8amx", "off");
            try {
                assertThat(Ggml.opDesc(MatMul.apply(gf, wsFast.get("w"), wide).ptr())).isEqualTo(simd ? "CUSTOM" : "MUL_MAT");
                System.setProperty("mmgp.q8amx", "tiles");
                if (simd) {
                    assertThatThrownBy(() -> MatMul.apply(gf, wsFast.get("w"), wide)).isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("-Dmmgp.q8amx=tiles").hasMessageContaining("on or off");
                }
            } finally {
                System.clearProperty("mmgp.q8amx");
            }
        }
    }

    @Test
    void rejectsWhatItCannotCompute() {
        try (Graph g = newGraph()) {
            Tensor f32 = g.inputF32("w", 64, 8), x = g.inputF32("x", 64, 4), q = g.input("q", GgmlType.Q8_0, 64, 8);
            assertThat(MatMul.q8Fits(f32, x)).isFalse();
            assertThat(MatMul.q8Fits(q, g.inputF32("x2", 32, 4))).isFalse();
            assertThatThrownBy(() -> MatMul.q8Gemm(g, f32, x)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // ---- helpers ----

    private static WeightSet q8Weight(Arena arena, float[] w, int m, int k) {
        return q8Weight(arena, w, m, k, backend);
    }

    /** A Q8_0 [K, M] weight "w" encoded as ggml does, mapped in place (a CPU_Mapped buffer) as a checkpoint's is. */
    private static WeightSet q8Weight(Arena arena, float[] w, int m, int k, ComputeBackend on) {
        MemorySegment f32 = arena.allocate((long) w.length * 4, 32).copyFrom(MemorySegment.ofArray(w));
        MemorySegment region = arena.allocate(GgmlType.Q8_0.rowBytes(k) * m, 32);
        TensorEncoder.encode(GgmlType.Q8_0, f32, m, k, region);
        return WeightSet.map(on, region, List.of(new WeightSet.Entry("w", GgmlType.Q8_0, new long[] {k, m}, 0, true)), false);
    }

    private static float[] dequantized(Tensor w, int m, int k) {
        MemorySegment d = w.data();
        float[] v = new float[m * k];
        for (int b = 0; b < m * k / 32; b++) {
            float scale = Float.float16ToFloat(d.get(ValueLayout.JAVA_SHORT_UNALIGNED, 34L * b));
            for (int i = 0; i < 32; i++) v[b * 32 + i] = scale * d.get(ValueLayout.JAVA_BYTE, 34L * b + 2 + i);
        }
        return v;
    }

    private static double[] summationBound(float[] wq, float[] x, int m, int k, int n) {
        double[] bound = new double[m * n];
        double gamma = 2 * (k / 32 + 8) * 0x1p-24;
        for (int c = 0; c < n; c++) {
            for (int row = 0; row < m; row++) {
                double s = 0;
                for (int b = 0; b < k / 32; b++) {
                    double amax = 0;
                    for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[c * k + b * 32 + i]));
                    for (int i = 0; i < 32; i++) s += Math.abs(wq[row * k + b * 32 + i]) * (Math.abs(x[c * k + b * 32 + i]) + amax / 127);
                }
                bound[c * m + row] = gamma * s + 1e-30;
            }
        }
        return bound;
    }
}
