package mmgp.graph.nn;

import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Winograd route: each transform of {@code mmgp_winograd.c} against plain loops over the
 * textbook matrices (Lavin &amp; Gray's B, G, A of F(2, 3) and F(4, 3), in double), and whole
 * convolutions against the direct convolution in double.
 *
 * <p>Tolerances, relative to S = Σ|x·w| over each output's receptive field (the scale of the
 * sum's rounding): F32 operands 2e-6·S for m = 2 and 1e-5·S for m = 4 (the F(4, 3) transforms
 * scale values by up to ~100 before the products); F16 operands 2e-3·S for m = 2 and 1e-2·S for
 * m = 4 (U and V rounded to half, 2⁻¹¹ each, amplified as above). Transforms alone: F32 1e-6
 * of Σ|terms|, F16 one half ulp of the F32 result (rounding to nearest).
 */
class WinogradTest extends NnTestSupport {
    private static ComputeBackend fast;

    @BeforeAll
    static void openFast() {
        fast = ComputeBackend.cpu(2, Numerics.FAST);
    }

    @AfterAll
    static void closeFast() {
        if (fast != null) fast.close();
        fast = null;
    }

    // ---------------------------------------------------------------- the textbook matrices

    private static final double[][] BT2 = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    private static final double[][] G2 = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    private static final double[][] AT2 = {{1, 1, 1, 0}, {0, 1, -1, -1}};
    private static final double[][] BT4 = {
            {4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
            {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
    private static final double[][] G4 = {
            {1 / 4.0, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
            {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};
    private static final double[][] AT4 = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

    /** P X Pᵀ for a square or rectangular P; with {@code abs}, |P| |X| |P|ᵀ (the rounding scale). */
    private static double[][] sandwich(double[][] p, double[][] x, boolean abs) {
        int r = p.length, c = x.length;
        double[][] t = new double[r][c], y = new double[r][r];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
                for (int k = 0; k < c; k++) t[i][j] += f(p[i][k], abs) * f(x[k][j], abs);
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
                for (int k = 0; k < c; k++) y[i][j] += t[i][k] * f(p[j][k], abs);
        return y;
    }

    private static double f(double v, boolean abs) {
        return abs ? Math.abs(v) : v;
    }

    // ---------------------------------------------------------------- transforms alone

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void weightTransformIsGgGt(int m) {
        int t = m + 2, ic = 3, oc = 5, kd = 3;
        double[][] gm = m == 2 ? G2 : G4;
        SplittableRandom r = new SplittableRandom(7 + m);
        for (GgmlType kt : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            for (GgmlType ut : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                for (boolean video : new boolean[] {false, true}) {
                    int taps = video ? kd : 1;
                    float[] k = uniform(r, 9 * ic * oc * taps), kv = kt == GgmlType.F16 ? roundToF16(k) : k;
                    Winograd.Config c = new Winograd.Config(m, ut);
                    try (Graph g = new Graph(fast, 64)) {
                        Tensor kernel = g.input("k", kt, video ? new long[] {3, 3, kd, (long) ic * oc} : new long[] {3, 3, ic, oc});
                        g.set(kernel, kt == GgmlType.F16 ? halves(k) : segment(k));
                        Tensor u = video ? Winograd.weights3d(g, kernel, ic, c) : Winograd.weights(g, kernel, c);
                        assertThat(u.shape()).containsExactly(ic, oc, (long) t * t, taps);
                        Tensor out = g.output(g.cast(u, GgmlType.F32));
                        g.compute();
                        double[] expected = new double[ic * oc * t * t * taps], scale = new double[expected.length];
                        for (int o = 0; o < oc; o++)
                            for (int i = 0; i < ic; i++)
                                for (int dt = 0; dt < taps; dt++) {
                                    double[][] gk = new double[3][3];
                                    for (int kh = 0; kh < 3; kh++)
                                        for (int kw = 0; kw < 3; kw++) {
                                            gk[kh][kw] = kv[video ? kw + 3 * (kh + 3 * (dt + kd * (i + ic * o))) : kw + 3 * (kh + 3 * (i + ic * o))];
                                        }
                                    double[][] uu = sandwich(gm, gk, false), us = sandwich(gm, gk, true);
                                    for (int e = 0; e < t * t; e++) {
                                        int at = i + ic * (o + oc * (e + t * t * dt));
                                        expected[at] = uu[e / t][e % t];
                                        scale[at] = us[e / t][e % t];
                                    }
                                }
                        assertWithin("U m=" + m + " " + kt + "→" + ut + (video ? " video" : ""), g.floats(out), expected, transformBound(expected, scale, ut));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void inputTransformIsBtdBPerTileWithZerosOutside(int m) {
        int t = m + 2;
        double[][] bt = m == 2 ? BT2 : BT4;
        SplittableRandom r = new SplittableRandom(17 + m);
        // {W, H, F, IC, B, padding, video}
        // 70 wide: several chunks of tiles per row; 33 channels: a part group of a part block.
        int[][] cases = {{7, 5, 1, 11, 2, 1, 0}, {1, 1, 1, 3, 1, 1, 0}, {9, 4, 1, 8, 1, 0, 0}, {5, 6, 3, 3, 2, 1, 1}, {4, 4, 2, 9, 1, 2, 1},
                {70, 3, 1, 33, 1, 1, 0}};
        for (int[] cs : cases) {
            int w = cs[0], h = cs[1], fr = cs[2], ic = cs[3], b = cs[4], pad = cs[5];
            boolean video = cs[6] == 1;
            int ow = w + 2 * pad - 2, oh = h + 2 * pad - 2, tx = Math.ceilDiv(ow, m), ty = Math.ceilDiv(oh, m), tiles = tx * ty;
            float[] x = uniform(r, w * h * fr * ic * b);
            for (GgmlType vt : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                try (Graph g = new Graph(fast, 64)) {
                    Tensor in = input(g, "x", x, video ? new long[] {w, h, fr, (long) ic * b} : new long[] {w, h, ic, b});
                    Tensor v = Winograd.input(g, in, ic, pad, video, new Winograd.Config(m, vt));
                    assertThat(v.shape()).containsExactly(ic, tiles, (long) fr * b, (long) t * t);
                    Tensor out = g.output(g.cast(v, GgmlType.F32));
                    g.compute();
                    double[] expected = new double[ic * tiles * t * t * fr * b], scale = new double[expected.length];
                    for (int bb = 0; bb < b; bb++)
                        for (int f = 0; f < fr; f++)
                            for (int c = 0; c < ic; c++)
                                for (int yy = 0; yy < ty; yy++)
                                    for (int xx = 0; xx < tx; xx++) {
                                        double[][] d = new double[t][t];
                                        for (int j = 0; j < t; j++)
                                            for (int i = 0; i < t; i++) {
                                                int sy = yy * m - pad + j, sx = xx * m - pad + i;
                                                if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
                                                // image [W, H, IC, B]; video [W, H, F, IC·B]
                                                d[j][i] = x[video ? sx + w * (sy + h * (f + fr * (c + ic * bb))) : sx + w * (sy + h * (c + ic * bb))];
                                            }
                                        double[][] vv = sandwich(bt, d, false), vs = sandwich(bt, d, true);
                                        int nf = f + fr * bb, tile = yy * tx + xx;
                                        for (int e = 0; e < t * t; e++) {
                                            int at = c + ic * (tile + tiles * (nf + fr * b * e));
                                            expected[at] = vv[e / t][e % t];
                                            scale[at] = vs[e / t][e % t];
                                        }
                                    }
                    assertWithin("V m=" + m + " " + vt + " case " + java.util.Arrays.toString(cs), g.floats(out), expected,
                            transformBound(expected, scale, vt));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void outputTransformSumsTheProductsAtTheirFramesAndCrops(int m) {
        int t = m + 2;
        double[][] at = m == 2 ? AT2 : AT4;
        SplittableRandom r = new SplittableRandom(27 + m);
        // {OW, OH, OC, clips, frames per clip, products, video, first, count}
        int[][] cases = {{7, 5, 9, 2, 1, 1, 0, 0, 1}, {5, 6, 4, 2, 1, 3, 0, 0, 1}, {1, 1, 3, 1, 2, 3, 1, -1, 2},
                {8, 3, 16, 2, 4, 3, 1, -1, 4}, {37, 5, 20, 1, 3, 2, 1, 0, 2}, {6, 6, 8, 2, 5, 3, 1, 1, 2}};
        for (int[] cs : cases) {
            int ow = cs[0], oh = cs[1], oc = cs[2], clips = cs[3], fr = cs[4], np = cs[5], first = cs[7], count = cs[8];
            boolean video = cs[6] == 1;
            int tx = Math.ceilDiv(ow, m), ty = Math.ceilDiv(oh, m), tiles = tx * ty;
            Winograd.Config c = new Winograd.Config(m, GgmlType.F32);
            List<float[]> ms = new ArrayList<>();
            try (Graph g = new Graph(fast, 64)) {
                List<Tensor> products = new ArrayList<>();
                // Video: product p holds only the frames tap p reads, lo[p] .. lo[p] + n[p] − 1 of each clip.
                int[] lo = new int[np], n = new int[np];
                for (int p = 0; p < np; p++) {
                    lo[p] = video ? Math.clamp(first + p, 0, fr - 1) : 0;
                    n[p] = video ? Math.clamp(first + count - 1 + p, 0, fr - 1) - lo[p] + 1 : fr;
                    ms.add(uniform(r, oc * tiles * n[p] * clips * t * t));
                    products.add(input(g, "m" + p, ms.get(p), oc, tiles, (long) n[p] * clips, (long) t * t));
                }
                Tensor y = g.output(video ? Winograd.outputVideo(g, products, ow, oh, clips, fr, first, count, c) : Winograd.output(g, products, ow, oh, c));
                assertThat(y.shape()).containsExactly(video ? new long[] {ow, oh, count, (long) oc * clips} : new long[] {ow, oh, oc, clips});
                g.compute();
                double[] expected = new double[ow * oh * oc * clips * count], scale = new double[expected.length];
                for (int b = 0; b < clips; b++)
                    for (int o = 0; o < count; o++)
                        for (int q = 0; q < oc; q++)
                            for (int yy = 0; yy < ty; yy++)
                                for (int xx = 0; xx < tx; xx++) {
                                    double[][] mm = new double[t][t];
                                    for (int p = 0; p < np; p++) {
                                        // images: every product at the image's frame; video: product p at frame first + o + p, clamped
                                        int f = b * n[p] + (video ? Math.clamp(first + o + p, 0, fr - 1) - lo[p] : 0);
                                        for (int e = 0; e < t * t; e++) mm[e / t][e % t] += ms.get(p)[q + oc * (yy * tx + xx + tiles * (f + n[p] * clips * e))];
                                    }
                                    double[][] yv = sandwich(at, mm, false), ys = sandwich(at, mm, true);
                                    for (int j = 0; j < m; j++)
                                        for (int i = 0; i < m; i++) {
                                            int py = yy * m + j, px = xx * m + i;
                                            if (py >= oh || px >= ow) continue;
                                            int idx = video ? px + ow * (py + oh * (o + count * (q + oc * b))) : px + ow * (py + oh * (q + oc * b));
                                            expected[idx] = yv[j][i];
                                            scale[idx] = ys[j][i];
                                        }
                                }
                assertWithin("Y m=" + m + " case " + java.util.Arrays.toString(cs), g.floats(y), expected, bound(scale, 1e-6));
            }
        }
    }

    // ---------------------------------------------------------------- whole convolutions

    @Test
    void conv2dIsTheDirectConvolution() {
        SplittableRandom r = new SplittableRandom(91);
        // {W, H, IC, OC, B, padding}
        // Shapes below Winograd.MIN_TILES too: conv2d computes any shape the transforms take.
        int[][] shapes = {{7, 5, 3, 5, 2, 1}, {17, 1, 4, 4, 1, 1}, {9, 10, 16, 8, 1, 1}, {6, 7, 5, 6, 2, 0}, {12, 8, 8, 12, 1, 1}, {70, 3, 9, 20, 1, 1}};
        for (int[] s : shapes) {
            int w = s[0], h = s[1], ic = s[2], oc = s[3], b = s[4], pad = s[5];
            float[] x = uniform(r, w * h * ic * b), k = uniform(r, 9 * ic * oc);
            for (int m : new int[] {2, 4}) {
                for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                    for (GgmlType kt : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                        float[] kv = kt == GgmlType.F16 ? roundToF16(k) : k;
                        try (Graph g = new Graph(fast, 64)) {
                            Tensor kernel = g.input("k", kt, 3, 3, ic, oc);
                            g.set(kernel, kt == GgmlType.F16 ? halves(k) : segment(k));
                            Tensor y = g.output(Winograd.conv2d(g, kernel, input(g, "x", x, w, h, ic, b), pad, new Winograd.Config(m, type)));
                            g.compute();
                            int[] xne = {w, h, 1, ic * b}, kne = {3, 3, 1, ic * oc}, one = {1, 1, 1}, p = {pad, pad, 0};
                            double[] expected = conv3d(x, xne, ic, kv, kne, one, p);
                            double[] scale = conv3d(abs(x), xne, ic, abs(kv), kne, one, p);
                            assertThat(y.shape()).containsExactly(w + 2L * pad - 2, h + 2L * pad - 2, oc, b);
                            assertWithin("conv2d " + java.util.Arrays.toString(s) + " m=" + m + " " + type + " kernel " + kt, g.floats(y), expected,
                                    bound(scale, convRel(m, type)));
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void conv3dTapsRepeatingEdgeFramesAreTheDirectConvolution(int m) {
        // 13×8 frames: 4×2 tiles of 4×4 (the fewest the route takes), the last column partial.
        int w = 13, h = 8, fr = 4, ic = 5, oc = 6, b = 2, kd = 3;
        SplittableRandom r = new SplittableRandom(101 + m);
        float[] x = uniform(r, w * h * fr * ic * b), k = uniform(r, 27 * ic * oc);
        int[] strides = {1, 1, 1}, padding = {1, 1, 0};
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            // The three-op route (WinogradFusedTest covers the fused op's).
            String[] props = {"mmgp.conv", "mmgp.winograd.tile", "mmgp.winograd.type", "mmgp.winograd.minPositions", "mmgp.winograd.fused"};
            String[] values = {"winograd", Integer.toString(m), type == GgmlType.F16 ? "f16" : "f32", "0", "off"};
            withProperties(props, values, () -> {
                try (Graph g = new Graph(fast, 256)) {
                    Tensor in = input(g, "x", x, w, h, fr, (long) ic * b), kernel = input(g, "k", k, 3, 3, kd, (long) ic * oc);
                    Conv3d.Taps taps = Conv3d.Taps.of(g, kernel, ic, in, strides, padding);
                    assertThat(taps.winograd()).isEqualTo(new Winograd.Config(m, type));
                    // Non-causal: output frame o reads input frames o − 1 .. o + 1, clamped (the edge frames repeated).
                    Tensor y = g.output(Conv3d.concatFrames(g, taps.replicating(g, in, strides, padding, -1, fr)));
                    g.compute();
                    float[] padded = repeatEdgeFrames(x, w * h, fr, ic * b);
                    int[] xne = {w, h, fr + 2, ic * b}, kne = {3, 3, kd, ic * oc};
                    double[] expected = conv3d(padded, xne, ic, k, kne, strides, padding);
                    double[] scale = conv3d(abs(padded), xne, ic, abs(k), kne, strides, padding);
                    assertWithin("conv3d taps m=" + m + " " + type, g.floats(y), expected, bound(scale, convRel(m, type)));
                }
            });
        }
    }

    /** The values of mmgp.winograd.fused this kernels library takes: "on" only where it has the fused op. */
    static String[] fusedSwitches() {
        return MmgpKernels.hasWinogradFused() ? new String[] {"on", "off"} : new String[] {"off"};
    }

    @Test
    void aRequestAloneAndInABatchGivesTheSameBits() {
        SplittableRandom r = new SplittableRandom(111);
        // OC 6 is not a multiple of 4 and IC 5 not of 8 (ggml's dot products), OC 8 / IC 16 take tinyBLAS.
        // {IC, OC, W, H, F}: 16×8 and 32×4 frames are 8 tiles each, the fewest the route takes (see Winograd.fits).
        for (int[] ch : new int[][] {{5, 6, 9, 12, 3}, {16, 8, 9, 12, 3}, {16, 32, 16, 8, 3}, {32, 32, 32, 4, 5}, {5, 6, 16, 8, 3}}) {
            int w = ch[2], h = ch[3], fr = ch[4], ic = ch[0], oc = ch[1];
            float[] x0 = uniform(r, w * h * fr * ic), x1 = uniform(r, w * h * fr * ic), k2 = uniform(r, 9 * ic * oc), k3 = uniform(r, 27 * ic * oc);
            Winograd.Config c = new Winograd.Config(4, GgmlType.F16);
            float[] alone2 = conv2dOf(x0, 1, w, h * fr, ic, k2, oc, c), both2 = conv2dOf(concat(x0, x1), 2, w, h * fr, ic, k2, oc, c);
            assertThat(java.util.Arrays.copyOf(both2, alone2.length)).as("conv2d " + java.util.Arrays.toString(ch)).isEqualTo(alone2);
            for (String fused : fusedSwitches()) {
                withProperties(new String[] {"mmgp.conv", "mmgp.winograd.minPositions", "mmgp.winograd.fused"}, new String[] {"winograd", "0", fused}, () -> {
                    float[] alone3 = conv3dOf(x0, 1, w, h, fr, ic, k3, oc), both3 = conv3dOf(concat(x0, x1), 2, w, h, fr, ic, k3, oc);
                    // Clip 0's channels come first in [OW, OH, F, OC·B].
                    assertThat(java.util.Arrays.copyOf(both3, alone3.length)).as("conv3d " + java.util.Arrays.toString(ch) + " fused " + fused).isEqualTo(alone3);
                });
            }
        }
    }

    @Test
    void aTapsProductOverItsFramesHasTheBitsOfTheProductOverAllFrames() {
        SplittableRandom r = new SplittableRandom(131);
        int w = 16, h = 8, fr = 5, clips = 2;
        // {IC, OC}: tinyBLAS (IC a multiple of 8, OC of 4) and ggml's dot products.
        for (int[] ch : new int[][] {{16, 8}, {5, 6}}) {
            int ic = ch[0], oc = ch[1];
            Winograd.Config c = new Winograd.Config(4, GgmlType.F32);
            try (Graph g = new Graph(fast, 64)) {
                Tensor x = input(g, "x", uniform(r, w * h * fr * ic * clips), w, h, fr, (long) ic * clips);
                Tensor u = Winograd.weights3d(g, input(g, "k", uniform(r, 27 * ic * oc), 3, 3, 3, (long) ic * oc), ic, c);
                Tensor v = Winograd.input(g, x, ic, 1, true, c);
                Tensor all = g.output(Winograd.product(g, u, 1, v)), some = g.output(Winograd.product(g, u, 1, Winograd.frames(g, v, clips, 1, 3)));
                g.compute();
                float[] a = g.floats(all), b = g.floats(some);
                int block = oc * (int) c.tiles(w, h); // one frame of one position
                for (int t = 0; t < 36; t++)
                    for (int clip = 0; clip < clips; clip++)
                        for (int f = 0; f < 3; f++) {
                            int from = block * (1 + f + fr * clip + fr * clips * t), to = block * (f + 3 * clip + 3 * clips * t);
                            assertThat(java.util.Arrays.copyOfRange(b, to, to + block)).as("IC %d OC %d t %d clip %d frame %d", ic, oc, t, clip, f)
                                    .isEqualTo(java.util.Arrays.copyOfRange(a, from, from + block));
                        }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void thePlainCPathGivesTheBitsOfTheSimdPath(int m) {
        // IC 11 and OC 10: full and partial 8-lane blocks; a video with edge frames and an image batch.
        int w = 13, h = 8, fr = 3, ic = 11, oc = 10, b = 2;
        SplittableRandom r = new SplittableRandom(141 + m);
        float[] x = uniform(r, w * h * fr * ic * b), k = uniform(r, 27 * ic * oc);
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            for (GgmlType kt : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                List<List<float[]>> runs = new ArrayList<>();
                for (boolean portable : new boolean[] {false, true}) {
                    Winograd.Config c = new Winograd.Config(m, type, portable);
                    try (Graph g = new Graph(fast, 256)) {
                        Tensor kernel = g.input("k", kt, 3, 3, 3, (long) ic * oc), in = input(g, "x", x, w, h, fr, (long) ic * b);
                        g.set(kernel, kt == GgmlType.F16 ? halves(k) : segment(k));
                        Tensor u = Winograd.weights3d(g, kernel, ic, c), v = Winograd.input(g, in, ic, 1, true, c);
                        List<Tensor> products = new ArrayList<>();
                        for (int dt = 0; dt < 3; dt++) {
                            long[] read = Winograd.tapFrames(fr, -1, fr, dt);
                            products.add(Winograd.product(g, u, dt, Winograd.frames(g, v, b, read[0], read[1])));
                        }
                        Tensor y = Winograd.outputVideo(g, products, w, h, b, fr, -1, fr, c);
                        // An image batch: the clip's frames as images [W, H, IC, B·F]... of one channel group.
                        Tensor image = g.view(in, new long[] {w, h, ic, 1}, new long[] {in.nb(1), (long) fr * in.nb(2), in.nb(3)}, 0);
                        Tensor u2 = Winograd.weights(g, g.view(kernel, new long[] {3, 3, ic, oc}, new long[] {kernel.nb(1), 3 * kernel.nb(2), 3L * ic * kernel.nb(2)}, 0), c);
                        Tensor v2 = Winograd.input(g, g.cont(image), ic, 1, false, c);
                        Tensor y2 = Winograd.output(g, List.of(Winograd.product(g, u2, 0, v2)), w, h, c);
                        List<Tensor> outs = List.of(g.output(g.cast(u, GgmlType.F32)), g.output(g.cast(v, GgmlType.F32)), g.output(y),
                                g.output(g.cast(u2, GgmlType.F32)), g.output(g.cast(v2, GgmlType.F32)), g.output(y2));
                        g.compute();
                        List<float[]> values = new ArrayList<>();
                        for (Tensor t : outs) values.add(g.floats(t));
                        runs.add(values);
                    }
                }
                String[] names = {"U", "V", "Y", "image U", "image V", "image Y"};
                for (int i = 0; i < names.length; i++) {
                    assertThat(runs.get(1).get(i)).as("%s m=%d %s kernel %s", names[i], m, type, kt).isEqualTo(runs.get(0).get(i));
                }
            }
        }
    }

    @Test
    void chunksOfFramesGiveTheBitsOfTheWholeClip() {
        int w = 9, h = 7, fr = 5, ic = 8, oc = 8;
        SplittableRandom r = new SplittableRandom(121);
        float[] x = uniform(r, w * h * fr * ic * 2), k = uniform(r, 27 * ic * oc);
        int[] strides = {1, 1, 1}, padding = {1, 1, 0};
        for (String fused : fusedSwitches()) withProperties(new String[] {"mmgp.conv", "mmgp.winograd.minPositions", "mmgp.winograd.fused"}, new String[] {"winograd", "0", fused}, () -> {
            for (int batch = 1; batch <= 2; batch++) {
                try (Graph g = new Graph(fast, 512)) {
                    Tensor in = input(g, "x", java.util.Arrays.copyOf(x, w * h * fr * ic * batch), w, h, fr, (long) ic * batch);
                    Conv3d.Taps taps = Conv3d.Taps.of(g, input(g, "k", k, 3, 3, 3, (long) ic * oc), ic, in, strides, padding);
                    Tensor whole = g.output(Conv3d.concatFrames(g, taps.replicating(g, in, strides, padding, -1, fr)));
                    // Output frames [0, 2) and [2, 5), each reading its frames and their halo as a view (as CausalConv3d chunks).
                    List<Tensor> parts = new ArrayList<>();
                    for (int[] c : new int[][] {{0, 2}, {2, 5}}) {
                        int lo = Math.max(0, c[0] - 1), hi = Math.min(fr, c[1] + 1);
                        Tensor view = g.view(in, new long[] {w, h, hi - lo, in.ne(3)}, new long[] {in.nb(1), in.nb(2), in.nb(3)}, lo * in.nb(2));
                        parts.addAll(taps.replicating(g, view, strides, padding, c[0] - 1 - lo, c[1] - c[0]));
                    }
                    Tensor chunked = g.output(Conv3d.concatFrames(g, parts));
                    g.compute();
                    assertThat(g.floats(chunked)).as("batch " + batch + ", fused " + fused).isEqualTo(g.floats(whole));
                }
            }
        });
    }

    @Test
    void routeSwitchesPickTheRouteAndATypoIsRefused() {
        try (Graph g = new Graph(fast, 64); Graph exact = new Graph(backend, 64)) {
            Tensor x = g.inputF32("x", 32, 32, 4, 1), small = g.inputF32("small", 31, 32, 4, 1);
            Tensor k = g.inputF32("k", 3, 3, 4, 8), k5 = g.inputF32("k5", 5, 5, 4, 8);
            assertThat(Winograd.route(exact)).isNull();
            assertThat(Winograd.route(g)).isEqualTo(new Winograd.Config(4, GgmlType.F32, false, MmgpKernels.hasWinogradFused())); // the default
            withProperties(new String[] {"mmgp.conv"}, new String[] {"im2col"}, () -> {
                assertThat(Winograd.route(g)).isNull();
                assertThat(Conv2d.apply(g, k, x, 1, 1).name()).doesNotContain("winograd");
            });
            withProperties(new String[] {"mmgp.conv", "mmgp.winograd.tile", "mmgp.winograd.type", "mmgp.winograd.fused"}, new String[] {" Winograd ", "2", "F32", "off"}, () -> {
                assertThat(Winograd.route(g)).isEqualTo(new Winograd.Config(2, GgmlType.F32));
                assertThat(Conv2d.apply(g, k, x, 1, 1).name()).isEqualTo("winograd_y");
                assertThat(Conv2d.apply(g, k, x, 2, 1).name()).doesNotContain("winograd"); // stride 2
                assertThat(Conv2d.apply(g, k5, x, 1, 2).name()).doesNotContain("winograd"); // 5×5
                assertThat(Conv2d.apply(g, k, small, 1, 0).name()).doesNotContain("winograd"); // 29×30 < 32×32 outputs: the im2col
                assertThat(Conv2d.apply(g, k, small, 1, 1).name()).doesNotContain("winograd"); // 31×32 < 32×32
                assertThat(Winograd.fits(k, g.inputF32("one", 4, 4, 4, 1), 1, 1, 1, 1)).isFalse(); // one 4×4 tile
                assertThat(Winograd.fits(k, g.inputF32("six", 12, 8, 4, 1), 1, 1, 1, 1)).isFalse(); // 3×2 tiles
                assertThat(Winograd.fits(k, g.inputF32("seven", 28, 4, 4, 1), 1, 1, 1, 1)).isFalse(); // 7×1 tiles
                assertThat(Winograd.fits(k, g.inputF32("eight", 13, 8, 4, 1), 1, 1, 1, 1)).isTrue(); // 4×2 tiles, the last one column wide
                assertThat(Winograd.fits(k, g.inputF32("row", 32, 1, 4, 1), 1, 1, 1, 1)).isTrue(); // 8×1 tiles
            });
            withProperties(new String[] {"mmgp.conv"}, new String[] {"winogard"}, () ->
                    assertThatThrownBy(() -> Winograd.route(g)).hasMessageContaining("-Dmmgp.conv=winogard").hasMessageContaining("winograd, im2col"));
            withProperties(new String[] {"mmgp.winograd.tile"}, new String[] {"6"}, () ->
                    assertThatThrownBy(() -> Winograd.route(g)).hasMessageContaining("-Dmmgp.winograd.tile=6"));
            withProperties(new String[] {"mmgp.winograd.minPositions"}, new String[] {"many"}, () ->
                    assertThatThrownBy(() -> Winograd.minPositions()).hasMessageContaining("-Dmmgp.winograd.minPositions=many"));
        }
    }

    @Test
    void badShapesAreRefusedWithTheProblemNamed() {
        Winograd.Config c = new Winograd.Config(4, GgmlType.F16);
        assertThatThrownBy(() -> new Winograd.Config(3, GgmlType.F16)).hasMessageContaining("tile must be 2 or 4");
        assertThatThrownBy(() -> new Winograd.Config(4, GgmlType.BF16)).hasMessageContaining("F16 or F32");
        try (Graph g = new Graph(fast, 64)) {
            assertThatThrownBy(() -> Winograd.weights(g, g.inputF32("k", 5, 5, 2, 2), c)).hasMessageContaining("3×3");
            assertThatThrownBy(() -> Winograd.weights3d(g, g.inputF32("k", 3, 3, 3, 7), 2, c)).hasMessageContaining("2-channel filters");
            assertThatThrownBy(() -> Winograd.input(g, g.inputF32("x", 4, 4, 3, 1), 2, 1, false, c)).hasMessageContaining("2-channel images");
            assertThatThrownBy(() -> Winograd.input(g, g.inputF32("x", 1, 1, 2, 1), 2, 0, false, c)).hasMessageContaining("smaller than a 3×3 kernel");
            assertThatThrownBy(() -> Winograd.conv2d(g, g.inputF32("k1", 3, 3, 2, 4), g.inputF32("x1", 2, 2, 2, 1), 0, c))
                    .hasMessageContaining("cannot compute");
            Tensor m = g.inputF32("m", 4, 3, 1, 36);
            assertThatThrownBy(() -> Winograd.output(g, List.of(m), 5, 5, c)).hasMessageContaining("is not {OC, 4, n, 36}");
            Tensor m4 = g.inputF32("m4", 4, 4, 3, 36);
            assertThatThrownBy(() -> Winograd.outputVideo(g, List.of(m4), 5, 5, 2, 3, 0, 3, c)).hasMessageContaining("does not hold the 3 frames the tap reads of 2 clips");
            // Tap 1 of output frames [0, 3) of a 3-frame clip from first = −1 reads frames 0 .. 2, tap 0 only 0 .. 1.
            assertThatThrownBy(() -> Winograd.outputVideo(g, List.of(m4, m4), 5, 5, 1, 3, -1, 3, c)).hasMessageContaining("of tap 0 does not hold the 2 frames");
            assertThatThrownBy(() -> Winograd.frames(g, m4, 1, 2, 2)).hasMessageContaining("frames [2, 4) of 1 clips are not in");
        }
    }

    // ---------------------------------------------------------------- helpers

    static double convRel(int m, GgmlType type) {
        return type == GgmlType.F32 ? (m == 2 ? 2e-6 : 1e-5) : (m == 2 ? 2e-3 : 1e-2);
    }

    /** F32: 1e-6 of Σ|terms|; F16: the F32 result's rounding to half (≤ 2⁻¹¹ relative) on top. */
    private static double[] transformBound(double[] expected, double[] scale, GgmlType type) {
        double[] b = bound(scale, 1e-6);
        if (type == GgmlType.F16) for (int i = 0; i < b.length; i++) b[i] += Math.abs(expected[i]) * 0x1p-11 + 0x1p-24;
        return b;
    }

    private static float[] conv2dOf(float[] x, int b, int w, int h, int ic, float[] k, int oc, Winograd.Config c) {
        try (Graph g = new Graph(fast, 64)) {
            Tensor y = g.output(Winograd.conv2d(g, input(g, "k", k, 3, 3, ic, oc), input(g, "x", x, w, h, ic, b), 1, c));
            g.compute();
            return g.floats(y);
        }
    }

    /** Conv3d.apply, asserting that its time taps take the Winograd route. */
    private static float[] conv3dOf(float[] x, int b, int w, int h, int fr, int ic, float[] k, int oc) {
        try (Graph g = new Graph(fast, 256)) {
            Tensor kernel = input(g, "k", k, 3, 3, 3, (long) ic * oc), in = input(g, "x", x, w, h, fr, (long) ic * b);
            int[] strides = {1, 1, 1}, padding = {1, 1, 0};
            assertThat(Conv3d.Taps.of(g, kernel, ic, in, strides, padding).winograd()).as("conv3d over " + w + "×" + h + " frames takes Winograd").isNotNull();
            Tensor y = g.output(Conv3d.apply(g, kernel, in, ic, strides, padding));
            g.compute();
            return g.floats(y);
        }
    }

    /** [W·H, F, C] → [W·H, F + 2, C]: the first and last frame repeated once. */
    static float[] repeatEdgeFrames(float[] x, int plane, int fr, int channels) {
        float[] y = new float[plane * (fr + 2) * channels];
        for (int c = 0; c < channels; c++)
            for (int f = 0; f < fr + 2; f++) {
                int src = Math.clamp(f - 1, 0, fr - 1);
                System.arraycopy(x, plane * (src + fr * c), y, plane * (f + (fr + 2) * c), plane);
            }
        return y;
    }

    static void withProperties(String[] keys, String[] values, Runnable body) {
        String[] old = new String[keys.length];
        for (int i = 0; i < keys.length; i++) old[i] = System.setProperty(keys[i], values[i]);
        try {
            body.run();
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (old[i] == null) System.clearProperty(keys[i]);
                else System.setProperty(keys[i], old[i]);
            }
        }
    }

    static float[] concat(float[] a, float[] b) {
        float[] y = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, y, a.length, b.length);
        return y;
    }

    static float[] abs(float[] v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) a[i] = Math.abs(v[i]);
        return a;
    }

    /** Off-heap copies (the graph uploads inputs by a downcall). */
    static MemorySegment segment(float[] v) {
        MemorySegment s = Arena.ofAuto().allocate((long) v.length * Float.BYTES, 32);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }

    static MemorySegment halves(float[] v) {
        MemorySegment s = Arena.ofAuto().allocate((long) v.length * Short.BYTES, 32);
        for (int i = 0; i < v.length; i++) s.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(v[i]));
        return s;
    }
}
