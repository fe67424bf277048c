package mmgp.graph.nn;

import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conv2d and the Conv3d route point against the direct convolution in double, and the
 * per-channel vectors their biases use. Tolerance 1e-5·S + 1e-6 with S = Σ|x·w| over each
 * output's receptive field; an F16 kernel is compared with the reference fed its fp16 values
 * at the same fp32 bound, which holds only because Conv2d widens it (an F16 im2col would also
 * round the activations to fp16).
 */
class ConvTest extends NnTestSupport {
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16"})
    void conv2dIsTheDirectConvolutionPlusBiasAtFp32Precision(GgmlType kernelType) {
        int w = 7, h = 6, ic = 3, oc = 4, n = 2, k = 3;
        SplittableRandom r = new SplittableRandom(51);
        float[] x = uniform(r, w * h * ic * n), kernel = uniform(r, k * k * ic * oc), bias = uniform(r, oc);
        try (Weights weights = new Weights().add("conv.weight", kernelType, kernel, k, k, ic, oc).add("conv.bias", GgmlType.F16, bias, oc);
             Graph g = newGraph()) {
            Conv2d conv = Conv2d.load(weights.map(), "conv", ic, oc, k);
            assertThat(conv.padding()).isEqualTo(1);
            Tensor y = g.output(conv.forward(g, input(g, "x", x, w, h, ic, n)));
            g.compute();
            assertThat(y.shape()).containsExactly(w, h, oc, n);
            float[] kv = kernelType == GgmlType.F16 ? roundToF16(kernel) : kernel, b16 = roundToF16(bias);
            double[] expected = conv3d(x, new int[] {w, h, 1, ic * n}, ic, kv, new int[] {k, k, 1, ic * oc}, new int[] {1, 1, 1}, new int[] {1, 1, 0});
            for (int i = 0; i < expected.length; i++) expected[i] += b16[i / (w * h) % oc];
            assertWithin("conv2d " + kernelType, g.floats(y), expected, bound(absConv(x, w, h, ic, n, kv, k, oc), 1e-5));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void conv3dRoutePointIsTheDirectConvolution(int stride) {
        int w = 6, h = 5, f = 4, ic = 2, oc = 3, n = 2, k = 3;
        SplittableRandom r = new SplittableRandom(60 + stride);
        float[] x = uniform(r, w * h * f * ic * n), kernel = uniform(r, k * k * k * ic * oc);
        int[] strides = {stride, stride, stride}, padding = {1, 1, 0};
        try (Graph g = newGraph()) {
            Tensor y = g.output(Conv3d.apply(g, input(g, "k", kernel, k, k, k, (long) ic * oc), input(g, "x", x, w, h, f, (long) ic * n), ic, strides, padding));
            g.compute();
            double[] expected = conv3d(x, new int[] {w, h, f, ic * n}, ic, kernel, new int[] {k, k, k, ic * oc}, strides, padding);
            float[] absX = abs(x), absK = abs(kernel);
            double[] scale = conv3d(absX, new int[] {w, h, f, ic * n}, ic, absK, new int[] {k, k, k, ic * oc}, strides, padding);
            assertWithin("conv3d stride " + stride, g.floats(y), expected, bound(scale, 1e-5));
        }
    }

    @Test
    void vectorsAreWidenedToF32AndLaidAlongTheChannelAxis() {
        float[] v = {1.5f, -2.25f, 3.125f};
        try (Weights weights = new Weights().add("v16", GgmlType.F16, v, 3).add("v32", v, 3); Graph g = newGraph()) {
            var set = weights.map();
            assertThat(Vectors.f32(g, null)).isNull();
            assertThat(Vectors.f32(g, set.get("v32"))).isSameAs(set.get("v32"));
            Tensor wide = Vectors.f32(g, set.get("v16"));
            assertThat(wide.type()).isEqualTo(GgmlType.F32);
            Tensor image = Vectors.perChannel(g, set.get("v16"), 2), video = Vectors.perChannel(g, set.get("v32"), 3);
            assertThat(image.shape()).containsExactly(1, 1, 3, 1);
            assertThat(video.shape()).containsExactly(1, 1, 1, 3);
            Tensor out = g.output(g.add(input(g, "x", new float[2 * 3], 1, 2, 3, 1), image)); // broadcast over ne1
            g.compute();
            assertThat(g.floats(out)).containsExactly(1.5f, 1.5f, -2.25f, -2.25f, 3.125f, 3.125f);
        }
    }

    private static float[] abs(float[] v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) a[i] = Math.abs(v[i]);
        return a;
    }

    private static double[] absConv(float[] x, int w, int h, int ic, int n, float[] kernel, int k, int oc) {
        return conv3d(abs(x), new int[] {w, h, 1, ic * n}, ic, abs(kernel), new int[] {k, k, 1, ic * oc}, new int[] {1, 1, 1}, new int[] {1, 1, 0});
    }
}
