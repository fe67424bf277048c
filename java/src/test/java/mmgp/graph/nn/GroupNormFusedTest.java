package mmgp.graph.nn;

import static mmgp.graph.nn.WinogradTest.halves;
import static mmgp.graph.nn.WinogradTest.withProperties;
import static mmgp.testing.TestArrays.relativeRms;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fused GroupNorm op ({@code mmgp_group_norm}): against a double reference loop at odd sizes,
 * groups 1, 2 and 32, batch 2, with and without SiLU, F32 and F16 affine; the same bits for 1 and
 * 2 threads and on the plain C and SIMD paths; the route switch; EXACT keeps ggml's ops.
 */
class GroupNormFusedTest extends FastNnTestSupport {

    /** {W, H, C, B, groups}: row tails (W not a multiple of 8), W below 8, full rows, one-channel groups. */
    private static final int[][] SHAPES = {{7, 5, 6, 2, 1}, {13, 3, 6, 2, 2}, {9, 9, 64, 2, 32}, {16, 4, 32, 1, 32}, {3, 11, 4, 2, 2}, {1, 1, 64, 2, 32}};

    @BeforeAll
    static void requireTheOp() {
        assumeTrue(MmgpKernels.hasGroupNorm(), "the kernels library has no group norm op");
    }

    @Test
    void matchesTheDoubleReference() {
        SplittableRandom r = new SplittableRandom(301);
        double worst = 0;
        for (int[] s : SHAPES) {
            int w = s[0], h = s[1], c = s[2], b = s[3], groups = s[4];
            float[] x = uniform(r, w * h * c * b), weight = uniform(r, c), bias = uniform(r, c);
            // An offset far larger than the spread (~1e5×): an unshifted sum of squares, even in double,
            // loses more digits of the variance than the bound allows; the op's shift keeps them.
            for (int i = 0; i < x.length; i++) x[i] = x[i] * 0.5f + 30000f * (i / (w * h * c) + 1);
            for (GgmlType wt : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                float[] wv = wt == GgmlType.F16 ? roundToF16(weight) : weight, bv = wt == GgmlType.F16 ? roundToF16(bias) : bias;
                for (boolean silu : new boolean[] {false, true}) {
                    float[] got = run(fast, x, s, weight, bias, wt, silu ? MmgpKernels.NORM_SILU : 0);
                    double[] expected = reference(x, s, wv, bv, 1e-6f, silu);
                    double rms = relativeRms(got, expected);
                    worst = Math.max(worst, rms);
                    assertThat(rms).as(java.util.Arrays.toString(s) + " " + wt + (silu ? " silu" : "")).isLessThanOrEqualTo(1e-6);
                }
            }
        }
        System.out.printf("fused group norm vs double reference: worst relative RMS %.2e%n", worst);
    }

    @Test
    void siluOfLargeValuesStaysFinite() {
        // Outputs far beyond exp's range on both sides: silu(t) → t and → −0.
        int[] s = {8, 2, 2, 1, 1};
        float[] x = {-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1};
        float[] got = run(fast, x, s, new float[] {200f, -200f}, new float[] {0f, 0f}, GgmlType.F32, MmgpKernels.NORM_SILU);
        double[] expected = reference(x, s, new float[] {200f, -200f}, new float[] {0f, 0f}, 1e-6f, true);
        for (int i = 0; i < got.length; i++) {
            assertThat(Float.isFinite(got[i])).as("element %d", i).isTrue();
            assertThat((double) got[i]).as("element %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(expected[i]))));
        }
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        SplittableRandom r = new SplittableRandom(302);
        for (int[] s : SHAPES) {
            float[] x = uniform(r, s[0] * s[1] * s[2] * s[3]), weight = uniform(r, s[2]), bias = uniform(r, s[2]);
            for (int flags : new int[] {0, MmgpKernels.NORM_SILU, MmgpKernels.NORM_PORTABLE | MmgpKernels.NORM_SILU}) {
                assertThat(run(fast1, x, s, weight, bias, GgmlType.F32, flags)).as("1 vs 2 threads " + java.util.Arrays.toString(s) + " flags " + flags)
                        .isEqualTo(run(fast, x, s, weight, bias, GgmlType.F32, flags));
            }
        }
    }

    @Test
    void thePlainCAndSimdPathsGiveTheSameBits() {
        assumeFalse(MmgpKernels.groupNormPath().equals("plain C"), "the kernels were built without a SIMD path");
        SplittableRandom r = new SplittableRandom(305);
        for (int[] s : SHAPES) {
            // Wide values reach exp's clamps in the SiLU, both sides.
            float[] x = uniform(r, s[0] * s[1] * s[2] * s[3]), weight = uniform(r, s[2]), bias = uniform(r, s[2]);
            for (int i = 0; i < weight.length; i++) weight[i] *= i % 3 == 0 ? 100f : 3f;
            for (int flags : new int[] {0, MmgpKernels.NORM_SILU}) {
                assertThat(run(fast, x, s, weight, bias, GgmlType.F32, flags | MmgpKernels.NORM_PORTABLE))
                        .as("plain C vs SIMD " + java.util.Arrays.toString(s) + " flags " + flags).isEqualTo(run(fast, x, s, weight, bias, GgmlType.F32, flags));
            }
        }
    }

    @Test
    void theSwitchPicksTheRouteAndRefusesTypos() {
        SplittableRandom r = new SplittableRandom(303);
        int[] s = {9, 5, 8, 2, 2};
        float[] x = uniform(r, 9 * 5 * 8 * 2), weight = uniform(r, 8), bias = uniform(r, 8);
        float[] exact = forward(backend, x, s, weight, bias, Activation.SILU);
        float[] composed = forwardComposed(backend, x, s, weight, bias);
        assertThat(exact).as("EXACT: ggml's group_norm, mul, add, silu").isEqualTo(composed);
        withProperties(new String[] {"mmgp.norm"}, new String[] {"ggml"}, () -> assertThat(forward(fast, x, s, weight, bias, Activation.SILU)).isEqualTo(composed));
        withProperties(new String[] {"mmgp.norm"}, new String[] {"fused"}, () -> {
            float[] fused = forward(fast, x, s, weight, bias, Activation.SILU);
            assertThat(fused).isEqualTo(run(fast, x, s, weight, bias, GgmlType.F32, MmgpKernels.NORM_SILU));
            assertThat(fused).isNotEqualTo(composed);
            assertThat(relativeRms(fused, reference(x, s, weight, bias, 1e-6f, true))).isLessThanOrEqualTo(1e-6);
        });
        withProperties(new String[] {"mmgp.norm"}, new String[] {"fuse"}, () -> assertThatThrownBy(() -> forward(fast, x, s, weight, bias, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mmgp.norm").hasMessageContaining("fused, ggml"));
        // Any activation but SiLU follows the fused norm as its own op: the fused norm's bits, then GELU.
        withProperties(new String[] {"mmgp.norm"}, new String[] {"fused"}, () -> {
            float[] gelu = forward(fast, x, s, weight, bias, Activation.GELU);
            float[] plain = run(fast, x, s, weight, bias, GgmlType.F32, 0);
            try (Graph g = new Graph(fast, 16)) {
                Tensor in = g.inputF32("y", 9, 5, 8, 2);
                Tensor out = g.output(Activation.GELU.apply(g, in));
                g.set(in, plain);
                g.compute();
                assertThat(gelu).isEqualTo(g.floats(out));
            }
            double[] ref = reference(x, s, weight, bias, 1e-6f, false);
            for (int i = 0; i < ref.length; i++) ref[i] = activation(Activation.GELU, ref[i]);
            assertThat(relativeRms(gelu, ref)).isLessThanOrEqualTo(1e-5);
        });
    }

    @Test
    void stridedInputRowsAreRead() {
        SplittableRandom r = new SplittableRandom(304);
        int w = 5, wide = 12, h = 3, c = 4, b = 2;
        float[] big = uniform(r, wide * h * c * b), weight = uniform(r, c), bias = uniform(r, c);
        float[] x = new float[w * h * c * b];
        for (int row = 0; row < h * c * b; row++) System.arraycopy(big, row * wide, x, row * w, w);
        int[] s = {w, h, c, b, 2};
        try (Graph g = new Graph(fast, 64)) {
            Tensor full = input(g, "x", big, wide, h, c, b);
            Tensor view = g.view(full, new long[] {w, h, c, b}, new long[] {4L * wide, 4L * wide * h, 4L * wide * h * c}, 0);
            GroupNorm norm = new GroupNorm(input(g, "w", weight, c), input(g, "b", bias, c), 2, 1e-6f);
            Tensor y = g.output(norm.fused(g, view, MmgpKernels.NORM_SILU));
            g.compute();
            assertThat(g.floats(y)).isEqualTo(run(fast, x, s, weight, bias, GgmlType.F32, MmgpKernels.NORM_SILU));
        }
    }

    @Test
    void groupsThatDoNotDivideTheChannelsAreRefused() {
        try (Graph g = new Graph(fast, 16)) {
            assertThatThrownBy(() -> new GroupNorm(g.inputF32("w", 6), g.inputF32("b", 6), 4, 1e-6f)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("do not divide");
        }
    }

    /** The fused op with {@code flags} on x [W, H, C, B]. */
    private static float[] run(ComputeBackend be, float[] x, int[] s, float[] weight, float[] bias, GgmlType wt, int flags) {
        try (Graph g = new Graph(be, 64)) {
            Tensor wT = g.input("w", wt, s[2]), bT = g.input("b", wt, s[2]);
            g.set(wT, wt == GgmlType.F16 ? halves(weight) : WinogradTest.segment(weight));
            g.set(bT, wt == GgmlType.F16 ? halves(bias) : WinogradTest.segment(bias));
            GroupNorm norm = new GroupNorm(wT, bT, s[4], 1e-6f);
            Tensor y = g.output(norm.fused(g, input(g, "x", x, s[0], s[1], s[2], s[3]), flags));
            g.compute();
            return g.floats(y);
        }
    }

    /** GroupNorm.forward with the route the backend and the switch pick. */
    private static float[] forward(ComputeBackend be, float[] x, int[] s, float[] weight, float[] bias, Activation act) {
        try (Graph g = new Graph(be, 64)) {
            GroupNorm norm = new GroupNorm(input(g, "w", weight, s[2]), input(g, "b", bias, s[2]), s[4], 1e-6f);
            Tensor y = g.output(norm.forward(g, input(g, "x", x, s[0], s[1], s[2], s[3]), act));
            g.compute();
            return g.floats(y);
        }
    }

    /** ggml's group_norm, mul, add and silu, as the layers did before the fused op. */
    private static float[] forwardComposed(ComputeBackend be, float[] x, int[] s, float[] weight, float[] bias) {
        try (Graph g = new Graph(be, 64)) {
            Tensor n = g.groupNorm(input(g, "x", x, s[0], s[1], s[2], s[3]), s[4], 1e-6f);
            n = g.add(g.mul(n, Vectors.perChannel(g, input(g, "w", weight, s[2]), 2)), Vectors.perChannel(g, input(g, "b", bias, s[2]), 2));
            Tensor y = g.output(g.silu(n));
            g.compute();
            return g.floats(y);
        }
    }

    /** PyTorch's GroupNorm (biased variance) and SiLU in double. */
    static double[] reference(float[] x, int[] s, float[] weight, float[] bias, float eps, boolean silu) {
        int plane = s[0] * s[1], c = s[2], b = s[3], cpg = c / s[4];
        double[] y = new double[x.length];
        for (int img = 0; img < b; img++) {
            for (int gi = 0; gi < s[4]; gi++) {
                int from = (img * c + gi * cpg) * plane, n = cpg * plane;
                double mean = 0, var = 0;
                for (int i = 0; i < n; i++) mean += x[from + i];
                mean /= n;
                for (int i = 0; i < n; i++) var += (x[from + i] - mean) * (x[from + i] - mean);
                var /= n;
                double rstd = 1 / Math.sqrt(var + eps);
                for (int i = 0; i < n; i++) {
                    int ch = gi * cpg + i / plane;
                    double t = (x[from + i] - mean) * rstd * weight[ch] + bias[ch];
                    y[from + i] = silu ? t / (1 + Math.exp(-t)) : t;
                }
            }
        }
        return y;
    }


}
