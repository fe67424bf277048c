package mmgp.graph.nn;

import static mmgp.graph.nn.WinogradTest.abs;
import static mmgp.graph.nn.WinogradTest.concat;
import static mmgp.graph.nn.WinogradTest.convRel;
import static mmgp.graph.nn.WinogradTest.halves;
import static mmgp.graph.nn.WinogradTest.segment;
import static mmgp.graph.nn.WinogradTest.withProperties;
import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.relativeRms;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fused Winograd op ({@code mmgp_winograd_fused}): against the direct convolution in double
 * (WinogradTest's reference loops and tolerances), against the three-op route (relative RMS of
 * the difference), and its determinism: the same bits for 1 and 2 threads, any block size, alone
 * and in a batch, on the plain C and the SIMD path.
 */
class WinogradFusedTest extends FastNnTestSupport {

    @BeforeAll
    static void requireTheOp() {
        assumeTrue(MmgpKernels.hasWinogradFused(), "the kernels library has no fused Winograd op");
    }

    /**
     * The two routes differ only in the order of the products' sums, whose rounding the output
     * transform amplifies (more at m = 4): bound on the relative RMS of their difference.
     */
    private static double routesRms(int m) {
        return m == 2 ? 5e-7 : 3e-6;
    }

    @Test
    void conv2dIsTheDirectConvolutionPlusBiasAndAgreesWithTheThreeOpRoute() {
        SplittableRandom r = new SplittableRandom(201);
        // {W, H, IC, OC, B, padding}: odd sizes, partial tiles, partial 8-channel and 16-channel blocks, paddings 0, 1, 2.
        int[][] shapes = {{7, 5, 3, 5, 2, 1}, {13, 9, 11, 17, 2, 0}, {9, 10, 16, 8, 1, 2}, {23, 6, 20, 33, 1, 1}, {5, 5, 1, 1, 1, 2}, {31, 17, 9, 16, 2, 1}};
        double[] worst = new double[5];
        for (int[] s : shapes) {
            int w = s[0], h = s[1], ic = s[2], oc = s[3], b = s[4], pad = s[5];
            float[] x = uniform(r, w * h * ic * b), k = uniform(r, 9 * ic * oc), bias = uniform(r, oc);
            for (int m : new int[] {2, 4}) {
                for (GgmlType kt : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                    float[] kv = kt == GgmlType.F16 ? roundToF16(k) : k;
                    int[] xne = {w, h, 1, ic * b}, kne = {3, 3, 1, ic * oc}, one = {1, 1, 1}, p = {pad, pad, 0};
                    double[] direct = conv3d(x, xne, ic, kv, kne, one, p), scale = conv3d(abs(x), xne, ic, abs(kv), kne, one, p);
                    for (boolean withBias : new boolean[] {false, true}) {
                        float[] fused = conv2d(fast, x, w, h, ic, b, k, kt, oc, withBias ? bias : null, pad, new Winograd.Config(m, GgmlType.F32, false, true));
                        float[] three = conv2d(fast, x, w, h, ic, b, k, kt, oc, withBias ? bias : null, pad, new Winograd.Config(m, GgmlType.F32));
                        double[] expected = direct.clone(), bound = bound(scale, convRel(m, GgmlType.F32));
                        int plane = (w + 2 * pad - 2) * (h + 2 * pad - 2);
                        for (int i = 0; withBias && i < expected.length; i++) {
                            expected[i] += bias[i / plane % oc];
                            bound[i] += Math.abs(expected[i]) * 0x1p-23;
                        }
                        String what = "conv2d " + Arrays.toString(s) + " m=" + m + " kernel " + kt + (withBias ? " bias" : "");
                        assertThat(fused).as(what + " shape").hasSize(expected.length);
                        assertWithin(what, fused, expected, bound);
                        double rms = relativeRms(fused, three);
                        worst[m] = Math.max(worst[m], rms);
                        assertThat(rms).as(what + " fused vs three-op relative RMS").isLessThan(routesRms(m));
                    }
                }
            }
        }
        System.out.printf("fused vs three-op Winograd conv2d: worst relative RMS %.2e (m = 2), %.2e (m = 4)%n", worst[2], worst[4]);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void conv3dTapsWithClampedEdgeFramesAreTheDirectConvolutionPlusBias(int m) {
        // 13×9 frames (partial tiles), OC 18 (a partial 16-channel panel), two clips.
        int w = 13, h = 9, fr = 4, ic = 5, oc = 18, b = 2, kd = 3;
        SplittableRandom r = new SplittableRandom(211 + m);
        float[] x = uniform(r, w * h * fr * ic * b), k = uniform(r, 27 * ic * oc), bias = uniform(r, oc);
        int[] strides = {1, 1, 1}, padding = {1, 1, 0};
        // {first, count}: non-causal (the first and last frame repeated), causal (the first twice), a chunk inside.
        int[][] ranges = {{-1, fr}, {-2, fr}, {0, 2}, {1, 1}};
        for (GgmlType kt : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            float[] kv = kt == GgmlType.F16 ? roundToF16(k) : k;
            for (int[] range : ranges) {
                int first = range[0], count = range[1];
                List<float[]> routes = new ArrayList<>();
                for (String fused : new String[] {"on", "off"}) {
                    String[] props = {"mmgp.conv", "mmgp.winograd.tile", "mmgp.winograd.type", "mmgp.winograd.minPositions", "mmgp.winograd.fused"};
                    withProperties(props, new String[] {"winograd", Integer.toString(m), "f32", "0", fused}, () -> {
                        try (Graph g = new Graph(fast, 512)) {
                            Tensor in = input(g, "x", x, w, h, fr, (long) ic * b), kernel = g.input("k", kt, 3, 3, kd, (long) ic * oc);
                            g.set(kernel, kt == GgmlType.F16 ? halves(k) : segment(k));
                            Conv3d.Taps taps = Conv3d.Taps.of(g, kernel, ic, in, strides, padding);
                            assertThat(taps.winograd()).isEqualTo(new Winograd.Config(m, GgmlType.F32, false, fused.equals("on")));
                            Tensor y = g.output(Conv3d.concatFrames(g, taps.replicating(g, in, strides, padding, first, count, input(g, "b", bias, oc))));
                            g.compute();
                            routes.add(g.floats(y));
                        }
                    });
                }
                float[] clip = clampedFrames(x, w * h, fr, ic * b, first, count + kd - 1);
                int[] xne = {w, h, count + kd - 1, ic * b}, kne = {3, 3, kd, ic * oc};
                double[] expected = conv3d(clip, xne, ic, kv, kne, strides, padding), bound = bound(conv3d(abs(clip), xne, ic, abs(kv), kne, strides, padding), convRel(m, GgmlType.F32));
                for (int i = 0; i < expected.length; i++) {
                    expected[i] += bias[i / (w * h * count) % oc];
                    bound[i] += Math.abs(expected[i]) * 0x1p-23;
                }
                String what = "conv3d m=" + m + " kernel " + kt + " first " + first + " count " + count;
                assertWithin(what, routes.get(0), expected, bound);
                assertThat(relativeRms(routes.get(0), routes.get(1))).as(what + " fused vs three-op relative RMS").isLessThan(routesRms(m));
            }
        }
    }

    @Test
    void theBitsDoNotDependOnThreadsBlocksOrTheBatch() {
        SplittableRandom r = new SplittableRandom(221);
        // 21×10 outputs: 6×3 tiles of 4×4 (11×5 of 2×2); IC 13 and OC 20 partial blocks and panels.
        int w = 21, h = 10, fr = 3, ic = 13, oc = 20;
        float[] x0 = uniform(r, w * h * fr * ic), x1 = uniform(r, w * h * fr * ic), k2 = uniform(r, 9 * ic * oc), k3 = uniform(r, 27 * ic * oc);
        float[] bias = uniform(r, oc), both = concat(x0, x1);
        for (int m : new int[] {2, 4}) {
            Winograd.Config c = new Winograd.Config(m, GgmlType.F32, false, true);
            float[] ref2 = conv2d(fast, both, w, h * fr, ic, 2, k2, GgmlType.F32, oc, bias, 1, c);
            float[] ref3 = video(fast, both, w, h, fr, ic, 2, k3, oc, bias, -1, fr, c);
            for (ComputeBackend be : new ComputeBackend[] {fast, fast1}) {
                for (String block : new String[] {"0", "1", "5", "7", "1000"}) {
                    withProperties(new String[] {"mmgp.winograd.block"}, new String[] {block}, () -> {
                        String what = "m=" + m + " " + be.threads() + " threads, block " + block;
                        assertThat(conv2d(be, both, w, h * fr, ic, 2, k2, GgmlType.F32, oc, bias, 1, c)).as("conv2d batch, " + what).isEqualTo(ref2);
                        float[] alone2 = conv2d(be, x0, w, h * fr, ic, 1, k2, GgmlType.F32, oc, bias, 1, c);
                        assertThat(alone2).as("conv2d alone, " + what).isEqualTo(Arrays.copyOf(ref2, alone2.length));
                        assertThat(video(be, both, w, h, fr, ic, 2, k3, oc, bias, -1, fr, c)).as("conv3d batch, " + what).isEqualTo(ref3);
                        float[] alone3 = video(be, x0, w, h, fr, ic, 1, k3, oc, bias, -1, fr, c);
                        assertThat(alone3).as("conv3d alone, " + what).isEqualTo(Arrays.copyOf(ref3, alone3.length));
                    });
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void thePlainCPathGivesTheBitsOfTheSimdPath(int m) {
        String features = MmgpKernels.buildInfo().getOrDefault("features", "");
        assumeTrue(Arrays.asList(features.split(" ")).contains("avx"), "this kernels build has no SIMD Winograd path (no AVX)");
        int w = 13, h = 8, fr = 3, ic = 11, oc = 10, b = 2;
        SplittableRandom r = new SplittableRandom(231 + m);
        float[] x = uniform(r, w * h * fr * ic * b), k2 = uniform(r, 9 * ic * oc), k3 = uniform(r, 27 * ic * oc), bias = uniform(r, oc);
        for (GgmlType kt : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            Winograd.Config simd = new Winograd.Config(m, GgmlType.F32, false, true), plain = new Winograd.Config(m, GgmlType.F32, true, true);
            assertThat(conv2d(fast, x, w, h * fr, ic, b, k2, kt, oc, bias, 2, plain)).as("conv2d m=%d kernel %s", m, kt)
                    .isEqualTo(conv2d(fast, x, w, h * fr, ic, b, k2, kt, oc, bias, 2, simd));
            assertThat(video(fast, x, w, h, fr, ic, b, k3, oc, bias, -2, fr, plain)).as("conv3d m=%d", m)
                    .isEqualTo(video(fast, x, w, h, fr, ic, b, k3, oc, bias, -2, fr, simd));
        }
    }

    @Test
    void theSwitchPicksTheFusedOpAndRefusesTyposAndF16() {
        try (Graph g = new Graph(fast, 64)) {
            Tensor x = g.inputF32("x", 32, 32, 4, 1), k = g.inputF32("k", 3, 3, 4, 8), bias = g.inputF32("b", 8);
            assertThat(Winograd.route(g)).isEqualTo(new Winograd.Config(4, GgmlType.F32, false, true)); // the default
            assertThat(Conv2d.apply(g, k, bias, x, 1, 1).name()).isEqualTo("winograd_fused"); // the bias inside
            withProperties(new String[] {"mmgp.winograd.fused"}, new String[] {" OFF "}, () -> {
                assertThat(Winograd.route(g)).isEqualTo(new Winograd.Config(4, GgmlType.F32));
                assertThat(Conv2d.apply(g, k, bias, x, 1, 1).name()).doesNotContain("winograd"); // the bias added after winograd_y
                assertThat(Conv2d.apply(g, k, x, 1, 1).name()).isEqualTo("winograd_y");
            });
            withProperties(new String[] {"mmgp.winograd.type"}, new String[] {"f16"}, () ->
                    assertThat(Winograd.route(g)).isEqualTo(new Winograd.Config(4, GgmlType.F16))); // by default F16 operands keep the three ops
            withProperties(new String[] {"mmgp.winograd.fused", "mmgp.winograd.type"}, new String[] {"on", "f16"}, () ->
                    assertThatThrownBy(() -> Winograd.route(g)).hasMessageContaining("multiplies F32 operands"));
            withProperties(new String[] {"mmgp.winograd.fused"}, new String[] {"yes"}, () ->
                    assertThatThrownBy(() -> Winograd.route(g)).hasMessageContaining("-Dmmgp.winograd.fused=yes").hasMessageContaining("on, off"));
            withProperties(new String[] {"mmgp.winograd.block"}, new String[] {"-3"}, () ->
                    assertThatThrownBy(Winograd::block).hasMessageContaining("-Dmmgp.winograd.block=-3"));
            assertThatThrownBy(() -> new Winograd.Config(4, GgmlType.F16, false, true)).hasMessageContaining("F32 operands");
        }
    }

    @Test
    void theFusedTapsHoldTheirOutputInTheGraphAndTheirThreadBuffersInThePlan() {
        withProperties(new String[] {"mmgp.winograd.minPositions"}, new String[] {"0"}, () -> {
            try (Graph g = new Graph(fast, 64)) {
                Tensor in = g.inputF32("x", 40, 24, 5, 8 * 2), kernel = g.inputF32("k", 3, 3, 3, 8 * 12);
                int[] strides = {1, 1, 1}, padding = {1, 1, 0};
                Conv3d.Taps taps = Conv3d.Taps.of(g, kernel, 8, in, strides, padding);
                assertThat(taps.winograd().fused()).isTrue();
                assertThat(taps.unfoldedBytesPerFrame(40, 24)).isZero();
                assertThat(taps.productBytesPerFrame(40, 24)).isEqualTo(12L * 40 * 24 * Float.BYTES);
                withProperties(new String[] {"mmgp.winograd.fused"}, new String[] {"off"}, () -> {
                    Conv3d.Taps three = Conv3d.Taps.of(g, kernel, 8, in, strides, padding);
                    assertThat(three.unfoldedBytesPerFrame(40, 24)).isEqualTo(8L * 60 * 36 * Float.BYTES);
                    assertThat(three.productBytesPerFrame(40, 24)).isGreaterThan(taps.productBytesPerFrame(40, 24));
                });
            }
        });
        // 40×24 outputs at m = 4: 10×6 tiles, IC 8 (ICs 8), OC 12 (OCp 16). The default block is 96 tiles, so all 60:
        // V and M 36·(60·(8 + 16) + 32) floats and 6 input rows of 10·4 + 2 columns in 8 channels. Block 6: 36·(6·24 + 32) and 6·26·8.
        Winograd.Config c = new Winograd.Config(4, GgmlType.F32, false, true);
        long whole = (36L * (60 * 24 + 32) + 6 * 42 * 8) * Float.BYTES, six = (36L * (6 * 24 + 32) + 6 * 26 * 8) * Float.BYTES;
        assertThat(Winograd.fusedThreadBytes(c, 8, 12, 40, 24)).isEqualTo(whole);
        long[] planned = new long[2];
        String[] blocks = {"0", "6"};
        for (int i = 0; i < 2; i++) {
            int j = i;
            withProperties(new String[] {"mmgp.winograd.block"}, new String[] {blocks[i]}, () -> {
                assertThat(Winograd.fusedThreadBytes(c, 8, 12, 40, 24)).isEqualTo(j == 0 ? whole : six);
                try (Graph g = new Graph(fast, 64)) {
                    Tensor u = Winograd.weights3d(g, g.inputF32("k", 3, 3, 3, 8 * 12), 8, c);
                    g.output(Winograd.fusedVideo(g, u, 12, null, g.inputF32("x", 40, 24, 5, 8 * 2), 8, 1, -1, 5, c));
                    planned[j] = g.plannedBufferBytes();
                }
            });
        }
        // Same graph, same buffer: the plans differ by each thread's buffers.
        assertThat(planned[0] - planned[1]).isEqualTo(fast.threads() * (whole - six));
    }

    @Test
    void aHugeBlockIsRefusedAndALegalOneStaysWithinTheThreadBudget() {
        Winograd.Config c = new Winograd.Config(4, GgmlType.F32, false, true);
        withProperties(new String[] {"mmgp.winograd.block"}, new String[] {Integer.toString(Winograd.MAX_BLOCK + 1)}, () -> {
            try (Graph g = new Graph(fast, 64)) {
                Tensor k = g.inputF32("k", 3, 3, 4, 6), x = g.inputF32("x", 12, 8, 4, 1);
                assertThatThrownBy(() -> Winograd.conv2d(g, k, x, 1, c)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("MMGP_WINOGRAD_BLOCK=" + (Winograd.MAX_BLOCK + 1)).hasMessageContaining("more than " + Winograd.MAX_BLOCK);
            }
        });
        withProperties(new String[] {"mmgp.winograd.block"}, new String[] {Integer.toString(Winograd.MAX_BLOCK)}, () -> {
            // 1024 channels each way over a 4096² output: the kernel caps the block so V and M stay within 64 MB a thread.
            long bytes = Winograd.fusedThreadBytes(c, 1024, 1024, 4096, 4096);
            assertThat(bytes).isLessThanOrEqualTo((64L << 20) + 6L * (4096 + 2) * 8 * Float.BYTES).isGreaterThan(32L << 20);
        });
    }

    @Test
    void manyTapsWithPaddingThreeOnThreeThreadsGiveTheDirectConvolutionAndOneThreadsBits() {
        // 12 taps (more than the three-op route's 10 products), padding 3 along W and H, clamped edge frames.
        int w = 11, h = 7, fr = 6, ic = 5, oc = 18, kd = 12, first = -6, count = 4;
        SplittableRandom r = new SplittableRandom(251);
        float[] x = uniform(r, w * h * fr * ic), k = uniform(r, 9 * kd * ic * oc), bias = uniform(r, oc);
        int[] strides = {1, 1, 1}, padding = {3, 3, 0};
        int ow = w + 4, oh = h + 4;
        List<float[]> runs = new ArrayList<>();
        try (ComputeBackend fast3 = ComputeBackend.cpu(3, Numerics.FAST)) {
            for (ComputeBackend be : new ComputeBackend[] {fast3, fast1}) {
                String[] props = {"mmgp.conv", "mmgp.winograd.tile", "mmgp.winograd.type", "mmgp.winograd.minPositions", "mmgp.winograd.fused"};
                withProperties(props, new String[] {"winograd", "4", "f32", "0", "on"}, () -> {
                    try (Graph g = new Graph(be, 512)) {
                        Tensor in = input(g, "x", x, w, h, fr, ic), kernel = input(g, "k", k, 3, 3, kd, (long) ic * oc);
                        Conv3d.Taps taps = Conv3d.Taps.of(g, kernel, ic, in, strides, padding);
                        assertThat(taps.winograd()).isEqualTo(new Winograd.Config(4, GgmlType.F32, false, true));
                        Tensor y = g.output(Conv3d.concatFrames(g, taps.replicating(g, in, strides, padding, first, count, input(g, "b", bias, oc))));
                        g.compute();
                        runs.add(g.floats(y));
                    }
                });
            }
        }
        assertThat(runs.get(0)).as("3 threads vs 1").isEqualTo(runs.get(1));
        float[] clip = clampedFrames(x, w * h, fr, ic, first, count + kd - 1);
        int[] xne = {w, h, count + kd - 1, ic}, kne = {3, 3, kd, ic * oc};
        double[] expected = conv3d(clip, xne, ic, k, kne, strides, padding), scale = conv3d(abs(clip), xne, ic, abs(k), kne, strides, padding);
        // With padding 3 an edge output's own inputs are mostly padding, but its tile's transform
        // carries its neighbours' values and their rounding: bound by the largest scale of its plane.
        double[] planeScale = new double[expected.length];
        for (int p = 0; p < expected.length; p += ow * oh) {
            double most = 0;
            for (int i = p; i < p + ow * oh; i++) most = Math.max(most, scale[i]);
            Arrays.fill(planeScale, p, p + ow * oh, most);
        }
        double[] bound = bound(planeScale, convRel(4, GgmlType.F32));
        for (int i = 0; i < expected.length; i++) {
            expected[i] += bias[i / (ow * oh * count) % oc];
            bound[i] += Math.abs(expected[i]) * 0x1p-23;
        }
        assertWithin("12 taps, padding 3", runs.get(0), expected, bound);
    }

    @Test
    void theProfileCountsTheFusedProductsAsTheThreeOpRouteDoes() {
        // 13×9 outputs at m = 4: 4×3 tiles; IC 5, OC 18, 2 images: 2·36·IC·OC FLOPs per tile, as the mul_mats of the three ops count.
        double[] flops = new double[2];
        for (int fused = 0; fused < 2; fused++) {
            try (Graph g = new Graph(fast, 64)) {
                Tensor y = g.output(Winograd.conv2d(g, g.inputF32("k", 3, 3, 5, 18), g.inputF32("x", 13, 9, 5, 2), 1,
                        new Winograd.Config(4, GgmlType.F32, false, fused == 1)));
                assertThat(y.name()).isEqualTo(fused == 1 ? "winograd_fused" : "winograd_y");
                flops[fused] = g.flops();
            }
        }
        assertThat(flops[1]).isEqualTo(2.0 * 36 * 5 * 18 * 12 * 2).isEqualTo(flops[0]);
    }

    @Test
    void badOperandsAreRefusedWithTheProblemNamed() {
        Winograd.Config c = new Winograd.Config(4, GgmlType.F32, false, true);
        try (Graph g = new Graph(fast, 64)) {
            Tensor x = g.inputF32("x", 12, 8, 3, 2 * 4), k = g.inputF32("k", 3, 3, 3, 4 * 6);
            Tensor packed = Winograd.weights3d(g, k, 4, c), plain = Winograd.weights3d(g, k, 4, new Winograd.Config(4, GgmlType.F32));
            assertThat(packed.shape()).containsExactly(64, 1, 36, 3);
            assertThatThrownBy(() -> Winograd.fusedVideo(g, packed, 6, null, x, 4, 1, 0, 1, new Winograd.Config(4, GgmlType.F32)))
                    .hasMessageContaining("needs a fused configuration");
            assertThatThrownBy(() -> Winograd.fusedVideo(g, plain, 6, null, x, 4, 1, 0, 1, c)).hasMessageContaining("is not packed for 4 → 6 channels");
            assertThatThrownBy(() -> Winograd.fusedVideo(g, packed, 6, null, x, 3, 1, 0, 1, c)).hasMessageContaining("3-channel clips");
            assertThatThrownBy(() -> Winograd.fusedVideo(g, packed, 6, g.inputF32("b", 5), x, 4, 1, 0, 1, c)).hasMessageContaining("does not hold 6 channels");
            assertThatThrownBy(() -> Winograd.fusedVideo(g, packed, 6, null, x, 4, 1, 0, 0, c)).hasMessageContaining("at least one frame");
        }
    }

    // ---------------------------------------------------------------- helpers


    /** Winograd.conv2d with the bias (null: none) of an F32 image batch [W, H, IC, B] by a kernel stored as {@code kt}. */
    private static float[] conv2d(ComputeBackend be, float[] x, int w, int h, int ic, int b, float[] k, GgmlType kt, int oc, float[] bias, int pad,
            Winograd.Config c) {
        try (Graph g = new Graph(be, 64)) {
            Tensor kernel = g.input("k", kt, 3, 3, ic, oc);
            g.set(kernel, kt == GgmlType.F16 ? halves(k) : segment(k));
            Tensor y = g.output(Winograd.conv2d(g, kernel, bias == null ? null : input(g, "b", bias, oc), input(g, "x", x, w, h, ic, b), pad, c));
            g.compute();
            return g.floats(y);
        }
    }

    /** Winograd.fusedVideo with padding 1 of clips [W, H, F, IC·B] by an F32 kernel [3, 3, 3, IC·OC]: output frames [0, count) from {@code first}. */
    private static float[] video(ComputeBackend be, float[] x, int w, int h, int fr, int ic, int b, float[] k, int oc, float[] bias, int first, int count,
            Winograd.Config c) {
        try (Graph g = new Graph(be, 64)) {
            Tensor u = Winograd.weights3d(g, input(g, "k", k, 3, 3, 3, (long) ic * oc), ic, c);
            Tensor y = g.output(Winograd.fusedVideo(g, u, oc, input(g, "b", bias, oc), input(g, "x", x, w, h, fr, (long) ic * b), ic, 1, first, count, c));
            g.compute();
            return g.floats(y);
        }
    }

    /** [W·H, F, C] → [W·H, n, C]: frame z is input frame clamp(first + z, 0, F − 1). */
    private static float[] clampedFrames(float[] x, int plane, int fr, int channels, int first, int n) {
        float[] y = new float[plane * n * channels];
        for (int c = 0; c < channels; c++)
            for (int z = 0; z < n; z++) System.arraycopy(x, plane * (Math.clamp(first + z, 0, fr - 1) + fr * c), y, plane * (z + n * c), plane);
        return y;
    }
}
