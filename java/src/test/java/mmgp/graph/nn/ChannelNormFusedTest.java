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

import java.util.Arrays;
import java.util.SplittableRandom;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fused channel norm ({@code mmgp_channel_norm}) over videos [W, H, F, C·B]: against a double
 * reference loop at odd sizes (W not a multiple of 8, C odd, one and several frames, batch 2, one
 * position, several blocks with a tail) for the RMS and the layer norm with every option (F32/F16
 * affine, per-row and shared modulation, SiLU); the same bits for 1 and 2 threads and on the plain
 * C and SIMD paths; strided input rows; the route switch; bad operands refused.
 */
class ChannelNormFusedTest extends FastNnTestSupport {

    /** {W, H, F, C, B}. C = 700 makes blocks of 40 positions: 110 positions are 3 blocks, the last a tail of 30. */
    private static final int[][] SHAPES = {{7, 3, 1, 5, 2}, {13, 5, 3, 9, 2}, {16, 4, 2, 64, 1}, {1, 1, 1, 3, 2}, {11, 5, 2, 700, 1}, {9, 2, 3, 33, 2}};

    /** affine: null, F32 or F16 weight and bias; modulation: none, per batch row [C, 1, B] or shared [C]; its type; SiLU. */
    private record Options(GgmlType affine, Modulation modulation, GgmlType modType, boolean silu) {
        @Override
        public String toString() {
            return (affine == null ? "no affine" : affine + " affine") + ", " + modulation + (modulation == Modulation.NONE ? "" : " " + modType)
                    + (silu ? ", silu" : "");
        }
    }

    private enum Modulation { NONE, PER_ROW, SHARED }

    private static final Options[] OPTIONS = {
            new Options(null, Modulation.NONE, null, false), new Options(null, Modulation.NONE, null, true),
            new Options(GgmlType.F32, Modulation.NONE, null, false), new Options(GgmlType.F16, Modulation.NONE, null, true),
            new Options(null, Modulation.PER_ROW, GgmlType.F32, true), new Options(GgmlType.F32, Modulation.PER_ROW, GgmlType.F32, false),
            new Options(null, Modulation.SHARED, GgmlType.F32, true), new Options(GgmlType.F16, Modulation.PER_ROW, GgmlType.F16, true)};

    @BeforeAll
    static void requireTheOp() {
        assumeTrue(MmgpKernels.hasChannelNorm(), "the kernels library has no channel norm op");
    }

    @Test
    void matchesTheDoubleReference() {
        SplittableRandom r = new SplittableRandom(401);
        double worst = 0;
        for (int[] s : SHAPES) {
            Operands o = Operands.random(r, s);
            // The layer norm's inputs sit on an offset far larger than their spread, different per position:
            // an unshifted sum of squares loses more of the variance than the bound allows.
            float[] offset = o.x.clone();
            int positions = s[0] * s[1] * s[2];
            for (int i = 0; i < offset.length; i++) offset[i] = offset[i] * 0.5f + 3000f * (i % positions % 7 + 1);
            for (ChannelNorm.Kind kind : ChannelNorm.Kind.values()) {
                float[] x = kind == ChannelNorm.Kind.LAYER ? offset : o.x;
                for (Options opt : OPTIONS) {
                    float[] got = run(fast, s, x, o, opt, kind, 0);
                    double rms = relativeRms(got, reference(s, x, o, opt, kind));
                    worst = Math.max(worst, rms);
                    assertThat(rms).as("%s %s %s", Arrays.toString(s), kind, opt).isLessThanOrEqualTo(1e-6);
                }
            }
        }
        System.out.printf("fused channel norm vs double reference: worst relative RMS %.2e%n", worst);
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        SplittableRandom r = new SplittableRandom(402);
        for (int[] s : SHAPES) {
            Operands o = Operands.random(r, s);
            for (ChannelNorm.Kind kind : ChannelNorm.Kind.values()) {
                for (Options opt : new Options[] {OPTIONS[1], OPTIONS[5], OPTIONS[7]}) {
                    for (int flags : new int[] {0, MmgpKernels.CHNORM_PORTABLE}) {
                        assertThat(run(fast1, s, o.x, o, opt, kind, flags)).as("1 vs 2 threads %s %s %s flags %d", Arrays.toString(s), kind, opt, flags)
                                .isEqualTo(run(fast, s, o.x, o, opt, kind, flags));
                    }
                }
            }
        }
    }

    @Test
    void thePlainCAndSimdPathsGiveTheSameBits() {
        assumeFalse(MmgpKernels.channelNormPath().equals("plain C"), "the kernels were built without a SIMD path");
        SplittableRandom r = new SplittableRandom(403);
        for (int[] s : SHAPES) {
            Operands o = Operands.random(r, s);
            // Wide weights reach exp's clamps in the SiLU, both sides.
            for (int i = 0; i < o.weight.length; i++) o.weight[i] *= i % 3 == 0 ? 100f : 3f;
            for (ChannelNorm.Kind kind : ChannelNorm.Kind.values()) {
                for (Options opt : OPTIONS) {
                    assertThat(run(fast, s, o.x, o, opt, kind, MmgpKernels.CHNORM_PORTABLE)).as("plain C vs SIMD %s %s %s", Arrays.toString(s), kind, opt)
                            .isEqualTo(run(fast, s, o.x, o, opt, kind, 0));
                }
            }
        }
    }

    @Test
    void stridedInputRowsAreRead() {
        // Rows of 5 positions inside rows of 12: the op walks (h, f) rows instead of one flat run.
        SplittableRandom r = new SplittableRandom(404);
        int w = 5, wide = 12, h = 3, f = 2, c = 7, b = 2;
        float[] big = uniform(r, wide * h * f * c * b);
        float[] x = new float[w * h * f * c * b];
        for (int row = 0; row < h * f * c * b; row++) System.arraycopy(big, row * wide, x, row * w, w);
        int[] s = {w, h, f, c, b};
        Operands o = Operands.random(r, s);
        for (ChannelNorm.Kind kind : ChannelNorm.Kind.values()) {
            float[] expected = run(fast, s, x, o, OPTIONS[5], kind, 0);
            try (Graph g = new Graph(fast, 64)) {
                Tensor full = input(g, "x", big, wide, h, f, (long) c * b);
                Tensor view = g.view(full, new long[] {w, h, f, (long) c * b}, new long[] {4L * wide, 4L * wide * h, 4L * wide * h * f}, 0);
                Tensor y = g.output(ChannelNorm.apply(g, view, c, kind, 1e-6f, input(g, "w", o.weight, c), input(g, "b", o.bias, c),
                        input(g, "shift", o.shift, c, 1, b), input(g, "scale", o.scale, c, 1, b), false));
                g.compute();
                assertThat(g.floats(y)).as("%s", kind).isEqualTo(expected);
            }
        }
    }

    @Test
    void theSwitchPicksTheRouteAndRefusesTypos() {
        try (Graph exact = new Graph(backend, 16); Graph g = new Graph(fast, 16)) {
            assertThat(ChannelNorm.fusedRoute(exact)).as("EXACT keeps ggml's ops").isFalse();
            if (System.getenv("MMGP_CHNORM") == null) assertThat(ChannelNorm.fusedRoute(g)).as("FAST, by default").isTrue();
            withProperties(new String[] {"mmgp.chnorm"}, new String[] {"ggml"}, () -> assertThat(ChannelNorm.fusedRoute(g)).isFalse());
            withProperties(new String[] {"mmgp.chnorm"}, new String[] {"fused"}, () -> assertThat(ChannelNorm.fusedRoute(g)).isTrue());
            withProperties(new String[] {"mmgp.chnorm"}, new String[] {"fused"}, () -> assertThat(ChannelNorm.fusedRoute(exact)).isFalse());
            withProperties(new String[] {"mmgp.chnorm"}, new String[] {"fuse"}, () -> assertThatThrownBy(() -> ChannelNorm.fusedRoute(g))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mmgp.chnorm").hasMessageContaining("fused, ggml"));
        }
    }

    @Test
    void operandsThatDoNotFitAreRefused() {
        try (Graph g = new Graph(fast, 64)) {
            Tensor x = g.inputF32("x", 4, 3, 2, 6 * 2);
            assertThatThrownBy(() -> ChannelNorm.apply(g, x, 5, ChannelNorm.Kind.RMS, 1e-6f, null, null, null, null, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("over 5 channels");
            assertThatThrownBy(() -> ChannelNorm.apply(g, x, 6, ChannelNorm.Kind.LAYER, 1e-6f, g.inputF32("w", 5), null, null, null, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight and bias have 6 values");
            assertThatThrownBy(() -> ChannelNorm.apply(g, x, 6, ChannelNorm.Kind.RMS, 1e-6f, null, null, g.inputF32("shift", 6, 1, 3), null, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[6, 1, 2] or [6]");
            assertThatThrownBy(() -> ChannelNorm.apply(g, x, 6, ChannelNorm.Kind.RMS, -1f, null, null, null, null, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eps");
            Tensor strided = g.view(x, new long[] {2, 3, 2, 12}, new long[] {16, 48, 96}, 0);
            Tensor transposed = g.permute(x, 1, 0, 2, 3);
            assertThat(ChannelNorm.fits(strided)).isTrue();
            assertThat(ChannelNorm.fits(transposed)).isFalse();
            assertThatThrownBy(() -> ChannelNorm.apply(g, transposed, 6, ChannelNorm.Kind.RMS, 1e-6f, null, null, null, null, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unit stride");
        }
    }

    /** x, weight and bias [C], shift and scale [C, 1, B] (the shared modulation uses row 0). */
    private record Operands(float[] x, float[] weight, float[] bias, float[] shift, float[] scale) {
        static Operands random(SplittableRandom r, int[] s) {
            int c = s[3], b = s[4];
            return new Operands(uniform(r, s[0] * s[1] * s[2] * c * b), uniform(r, c), uniform(r, c), uniform(r, c * b), uniform(r, c * b));
        }
    }

    /** The op with these options and extra {@code flags} (the plain C path). */
    private static float[] run(ComputeBackend be, int[] s, float[] x, Operands o, Options opt, ChannelNorm.Kind kind, int flags) {
        int c = s[3], b = s[4];
        try (Graph g = new Graph(be, 64)) {
            Tensor w = null, bias = null, shift = null, scale = null;
            if (opt.affine() != null) {
                w = typed(g, "w", opt.affine(), o.weight, c);
                bias = typed(g, "b", opt.affine(), o.bias, c);
            }
            if (opt.modulation() != Modulation.NONE) {
                long rows = opt.modulation() == Modulation.PER_ROW ? b : 1;
                shift = typed(g, "shift", opt.modType(), Arrays.copyOf(o.shift, (int) (c * rows)), c, 1, rows);
                scale = typed(g, "scale", opt.modType(), Arrays.copyOf(o.scale, (int) (c * rows)), c, 1, rows);
                if (rows == 1) {
                    shift = g.reshape(shift, c);
                    scale = g.reshape(scale, c);
                }
            }
            int all = flags | (kind == ChannelNorm.Kind.LAYER ? MmgpKernels.CHNORM_LAYER : 0) | (opt.silu() ? MmgpKernels.CHNORM_SILU : 0);
            Tensor y = g.output(ChannelNorm.fused(g, input(g, "x", x, s[0], s[1], s[2], (long) c * b), c, 1e-6f, all, w, bias, shift, scale));
            g.compute();
            return g.floats(y);
        }
    }

    private static Tensor typed(Graph g, String name, GgmlType type, float[] v, long... ne) {
        Tensor t = g.input(name, type, ne);
        g.set(t, type == GgmlType.F16 ? halves(v) : WinogradTest.segment(v));
        return t;
    }

    /** The norm, affine, modulation and SiLU in double, from the values the op reads (F16 operands rounded). */
    private static double[] reference(int[] s, float[] x, Operands o, Options opt, ChannelNorm.Kind kind) {
        int positions = s[0] * s[1] * s[2], c = s[3], b = s[4];
        float[] w = opt.affine() == GgmlType.F16 ? roundToF16(o.weight) : o.weight, bias = opt.affine() == GgmlType.F16 ? roundToF16(o.bias) : o.bias;
        float[] shift = opt.modType() == GgmlType.F16 ? roundToF16(o.shift) : o.shift, scale = opt.modType() == GgmlType.F16 ? roundToF16(o.scale) : o.scale;
        double[] y = new double[x.length];
        for (int row = 0; row < b; row++) {
            for (int p = 0; p < positions; p++) {
                double mean = 0, sq = 0;
                for (int ch = 0; ch < c; ch++) mean += x[(row * c + ch) * positions + p];
                mean /= c;
                double centre = kind == ChannelNorm.Kind.LAYER ? mean : 0;
                for (int ch = 0; ch < c; ch++) {
                    double d = x[(row * c + ch) * positions + p] - centre;
                    sq += d * d;
                }
                double rstd = 1 / Math.sqrt(sq / c + 1e-6f);
                for (int ch = 0; ch < c; ch++) {
                    int i = (row * c + ch) * positions + p;
                    double t = (x[i] - centre) * rstd;
                    if (opt.affine() != null) t = t * w[ch] + bias[ch];
                    if (opt.modulation() != Modulation.NONE) {
                        int m = opt.modulation() == Modulation.PER_ROW ? row * c + ch : ch;
                        t = t * (1 + (double) scale[m]) + shift[m];
                    }
                    y[i] = opt.silu() ? t / (1 + Math.exp(-t)) : t;
                }
            }
        }
        return y;
    }
}
