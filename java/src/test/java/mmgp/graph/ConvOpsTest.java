package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertExactly;
import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;

import java.util.Random;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * Convolutions against direct PyTorch definitions (ReferenceOps.conv2d / convTranspose2d /
 * conv3d / causalConv3d), im2col against its definition.
 *
 * <p>Tolerances, with S = Σ|x·w| over each output's receptive field: fp32 paths 1e-5·S + 1e-6;
 * F16 kernels are compared with the reference fed fp16-rounded kernel and input (the kernels
 * round the input to fp16 as well) at the same 1e-5·S + 1e-6. im2col copies values: exact for an
 * F32 destination, exactly fp16-rounded for an F16 one.
 */
class ConvOpsTest extends GraphTestSupport {
    // [N=2, IC=3, H=6, W=7] and a 3×3 kernel to OC=4, in ggml order.
    private static final int[] X2 = {7, 6, 3, 2};
    private static final int[] W2 = {3, 3, 3, 4};

    @Test
    void conv2dMatchesTheDirectDefinitionForEachStrideAndPadding() {
        // Checks layout, stride and padding at a tolerance that admits ggml_conv_2d's fp16 im2col
        // (2^-10·S from rounding both x and w to fp16); the precision itself is the next test.
        Random random = new Random(71);
        float[] x = uniform(random, product(X2)), w = uniform(random, product(W2));
        for (int[] sp : new int[][] {{1, 0}, {1, 1}, {2, 0}, {2, 1}}) {
            float[] actual = conv2d(x, w, GgmlType.F32, sp[0], sp[1]);
            assertWithin("conv2d stride " + sp[0] + " padding " + sp[1], actual,
                    ReferenceOps.conv2d(x, X2, w, W2, sp[0], sp[1]), bound(ReferenceOps.conv2dAbs(x, X2, w, W2, sp[0], sp[1]), 1e-3));
        }
    }

    @Test
    void conv2dWithAnF32KernelIsFp32Accurate() {
        // Graph.conv2d documents "F32 kernels stay F32 end to end"; ggml_conv_2d builds its im2col
        // as F16 for every non-BF16 kernel, which this bound catches.
        Random random = new Random(72);
        float[] x = uniform(random, product(X2)), w = uniform(random, product(W2));
        float[] actual = conv2d(x, w, GgmlType.F32, 1, 1);
        assertWithin("conv2d F32 kernel, fp32 bound", actual,
                ReferenceOps.conv2d(x, X2, w, W2, 1, 1), bound(ReferenceOps.conv2dAbs(x, X2, w, W2, 1, 1), 1e-5));
    }

    @Test
    void conv2dWithAnF16KernelRoundsTheInputToF16() {
        Random random = new Random(73);
        float[] x = uniform(random, product(X2)), w = uniform(random, product(W2));
        float[] x16 = roundToF16(x), w16 = roundToF16(w);
        float[] actual = conv2d(x, w, GgmlType.F16, 2, 1);
        assertWithin("conv2d F16 kernel", actual, ReferenceOps.conv2d(x16, X2, w16, W2, 2, 1),
                bound(ReferenceOps.conv2dAbs(x16, X2, w16, W2, 2, 1), 1e-5));
    }

    private float[] conv2d(float[] x, float[] w, GgmlType kernelType, int stride, int pad) {
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X2[0], X2[1], X2[2], X2[3]);
            Tensor tw = g.input("w", kernelType, W2[0], W2[1], W2[2], W2[3]);
            Tensor y = g.output(g.conv2d(tw, tx, stride, pad));
            assertShape(y, (X2[0] + 2 * pad - W2[0]) / stride + 1, (X2[1] + 2 * pad - W2[1]) / stride + 1, W2[3], X2[3]);
            g.set(tx, x);
            if (kernelType == GgmlType.F16) g.set(tw, f16Bytes(w)); else g.set(tw, w);
            g.compute();
            return g.floats(y);
        }
    }

    @Test
    void convTranspose2dWithStrideTwo() {
        // PyTorch ConvTranspose2d weight [IC=3, OC=2, KH=3, KW=3] = ggml [3, 3, 2, 3]; input [N=2, IC=3, H=3, W=4].
        int[] xne = {4, 3, 3, 2}, wne = {3, 3, 2, 3};
        Random random = new Random(74);
        float[] x = uniform(random, product(xne)), w = uniform(random, product(wne));
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            float[] xr = type == GgmlType.F16 ? roundToF16(x) : x, wr = type == GgmlType.F16 ? roundToF16(w) : w;
            try (Graph g = newGraph()) {
                Tensor tx = g.inputF32("x", xne[0], xne[1], xne[2], xne[3]);
                Tensor tw = g.input("w", type, wne[0], wne[1], wne[2], wne[3]);
                Tensor y = g.output(g.convTranspose2d(tw, tx, 2));
                assertShape(y, (xne[0] - 1) * 2 + wne[0], (xne[1] - 1) * 2 + wne[1], wne[2], xne[3]);
                g.set(tx, x);
                if (type == GgmlType.F16) g.set(tw, f16Bytes(w)); else g.set(tw, w);
                g.compute();
                assertWithin("convTranspose2d " + type, g.floats(y), ReferenceOps.convTranspose2d(xr, xne, wr, wne, 2),
                        bound(ReferenceOps.convTranspose2d(ReferenceOps.abs(xr), xne, ReferenceOps.abs(wr), wne, 2), 1e-5));
            }
        }
    }

    @Test
    void im2col2dLaysOutPatchesChannelMajor() {
        Random random = new Random(75);
        float[] x = uniform(random, product(X2));
        for (int[] sp : new int[][] {{1, 1}, {2, 0}}) {
            try (Graph g = newGraph()) {
                Tensor tx = g.inputF32("x", X2[0], X2[1], X2[2], X2[3]);
                Tensor kernel = g.inputF32("kernel", 3, 2, X2[2], 5); // only its shape matters
                Tensor cols = g.output(g.im2col(kernel, tx, sp[0], sp[1], true, GgmlType.F32));
                Tensor cols16 = g.output(g.cast(g.im2col(kernel, tx, sp[0], sp[1], true, GgmlType.F16), GgmlType.F32));
                int ow = (X2[0] + 2 * sp[1] - 3) / sp[0] + 1, oh = (X2[1] + 2 * sp[1] - 2) / sp[0] + 1;
                assertShape(cols, 3L * 2 * X2[2], ow, oh, X2[3]);
                g.set(tx, x);
                g.compute();
                assertExactly("im2col 2d F32, stride " + sp[0] + " padding " + sp[1], g.floats(cols), ReferenceOps.im2col2d(x, X2, 3, 2, sp[0], sp[1]));
                assertExactly("im2col 2d F16, stride " + sp[0] + " padding " + sp[1], g.floats(cols16), ReferenceOps.im2col2d(roundToF16(x), X2, 3, 2, sp[0], sp[1]));
            }
        }
    }

    @Test
    void im2col1dPadsOnlyTheSequence() {
        // 1-D: input [W=9, IC=2, N=2], kernel [KW=3, IC=2, OC=4]; padding applies to W alone.
        int w = 9, ic = 2, n = 2;
        float[] x = uniform(new Random(76), w * ic * n);
        for (int[] sp : new int[][] {{1, 0}, {2, 1}}) {
            try (Graph g = newGraph()) {
                Tensor tx = g.inputF32("x", w, ic, n);
                Tensor kernel = g.inputF32("kernel", 3, ic, 4);
                Tensor cols = g.output(g.im2col(kernel, tx, sp[0], sp[1], false, GgmlType.F32));
                assertShape(cols, 3L * ic, (w + 2 * sp[1] - 3) / sp[0] + 1, n);
                g.set(tx, x);
                g.compute();
                assertExactly("im2col 1d stride " + sp[0] + " padding " + sp[1], g.floats(cols), ReferenceOps.im2col1d(x, w, ic, n, 3, sp[0], sp[1]));
            }
        }
    }

    // ---------------------------------------------------------------- 3-D

    // [N=2, IC=3, D=4, H=5, W=6] and a [OC=2, IC=3, KD=3, KH=2, KW=3] kernel, in ggml order.
    private static final int IC3 = 3;
    private static final int[] X3 = {6, 5, 4, IC3 * 2};
    private static final int[] W3 = {3, 2, 3, IC3 * 2};

    @Test
    void conv3dMatchesTheDirectDefinitionWithPerAxisStrideAndPadding() {
        Random random = new Random(77);
        float[] x = uniform(random, product(X3)), w = uniform(random, product(W3));
        // Different strides and paddings per axis ({w, h, d}) so that a swapped axis shows.
        int[][][] cases = {{{1, 1, 1}, {0, 0, 0}}, {{1, 2, 1}, {1, 0, 1}}, {{2, 1, 2}, {0, 1, 1}}};
        for (int[][] c : cases) {
            float[] actual = conv3d(x, w, GgmlType.F32, c[0], c[1]);
            String what = "conv3d stride " + java.util.Arrays.toString(c[0]) + " padding " + java.util.Arrays.toString(c[1]);
            assertWithin(what, actual, ReferenceOps.conv3d(x, X3, IC3, w, W3, c[0], c[1]),
                    bound(ReferenceOps.conv3d(ReferenceOps.abs(x), X3, IC3, ReferenceOps.abs(w), W3, c[0], c[1]), 1e-5));
        }
    }

    @Test
    void conv3dWithAnF16KernelRoundsTheInputToF16() {
        Random random = new Random(78);
        float[] x = uniform(random, product(X3)), w = uniform(random, product(W3));
        float[] x16 = roundToF16(x), w16 = roundToF16(w);
        int[] stride = {1, 1, 2}, pad = {1, 1, 0};
        float[] actual = conv3d(x, w, GgmlType.F16, stride, pad);
        assertWithin("conv3d F16 kernel", actual, ReferenceOps.conv3d(x16, X3, IC3, w16, W3, stride, pad),
                bound(ReferenceOps.conv3d(ReferenceOps.abs(x16), X3, IC3, ReferenceOps.abs(w16), W3, stride, pad), 1e-5));
    }

    private float[] conv3d(float[] x, float[] w, GgmlType kernelType, int[] stride, int[] pad) {
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X3[0], X3[1], X3[2], X3[3]);
            Tensor tw = g.input("w", kernelType, W3[0], W3[1], W3[2], W3[3]);
            Tensor y = g.output(g.conv3d(tw, tx, IC3, stride, pad));
            int n = X3[3] / IC3, oc = W3[3] / IC3;
            assertShape(y, (X3[0] + 2 * pad[0] - W3[0]) / stride[0] + 1, (X3[1] + 2 * pad[1] - W3[1]) / stride[1] + 1,
                    (X3[2] + 2 * pad[2] - W3[2]) / stride[2] + 1, (long) oc * n);
            g.set(tx, x);
            if (kernelType == GgmlType.F16) g.set(tw, f16Bytes(w)); else g.set(tw, w);
            g.compute();
            return g.floats(y);
        }
    }

    @Test
    void causalConv3dRepeatsTheFirstFrameAndKeepsTheFrameCount() {
        // One clip [C=2, T=3, H=4, W=5]; kernels with KD = 3 (two replicated frames), 2 (one) and 1 (none).
        int ic = 2, oc = 3;
        int[] xne = {5, 4, 3, ic};
        Random random = new Random(79);
        float[] x = uniform(random, product(xne));
        for (int kd : new int[] {3, 2, 1}) {
            int[] wne = {3, 3, kd, ic * oc};
            float[] w = uniform(random, product(wne));
            try (Graph g = newGraph()) {
                Tensor tx = g.inputF32("x", xne[0], xne[1], xne[2], xne[3]);
                Tensor tw = g.inputF32("w", wne[0], wne[1], wne[2], wne[3]);
                Tensor y = g.output(g.causalConv3d(tw, tx, ic, 1));
                assertShape(y, xne[0], xne[1], xne[2], oc);
                g.set(tx, x);
                g.set(tw, w);
                g.compute();
                assertWithin("causalConv3d kd=" + kd, g.floats(y), ReferenceOps.causalConv3d(x, xne, ic, w, wne, 1),
                        bound(ReferenceOps.causalConv3d(ReferenceOps.abs(x), xne, ic, ReferenceOps.abs(w), wne, 1), 1e-5));
            }
        }
    }

    @Test
    void causalConv3dOutputAtFrameZeroIgnoresLaterFrames() {
        // Causality itself: changing frames 1.. must leave output frame 0 bit-identical.
        int ic = 2, oc = 2;
        int[] xne = {4, 4, 3, ic}, wne = {3, 3, 3, ic * oc};
        Random random = new Random(80);
        float[] x = uniform(random, product(xne)), w = uniform(random, product(wne));
        float[] later = x.clone();
        for (int i = 0; i < later.length; i++) if (ReferenceOps.coords(xne, i)[2] > 0) later[i] += 1;
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", xne[0], xne[1], xne[2], xne[3]);
            Tensor tw = g.inputF32("w", wne[0], wne[1], wne[2], wne[3]);
            Tensor y = g.output(g.causalConv3d(tw, tx, ic, 1));
            g.set(tw, w);
            g.set(tx, x);
            g.compute();
            float[] first = g.floats(y);
            g.set(tw, w); // every input again: see GraphLifecycleTest for why
            g.set(tx, later);
            g.compute();
            float[] second = g.floats(y);
            int frame = xne[0] * xne[1];
            for (int o = 0; o < oc; o++) {
                float[] a = java.util.Arrays.copyOfRange(first, o * frame * xne[2], o * frame * xne[2] + frame);
                float[] b = java.util.Arrays.copyOfRange(second, o * frame * xne[2], o * frame * xne[2] + frame);
                assertExactly("frame 0 of output channel " + o, b, ReferenceOps.toDouble(a));
            }
        }
    }

    private static double[] bound(double[] sumAbs, double rel) {
        double[] b = new double[sumAbs.length];
        for (int i = 0; i < b.length; i++) b[i] = rel * sumAbs[i] + 1e-6;
        return b;
    }
}
