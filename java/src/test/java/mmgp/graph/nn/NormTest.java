package mmgp.graph.nn;

import static mmgp.testing.CloseAssertions.assertClose;
import static mmgp.testing.TestArrays.doubles;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * RmsNorm, LayerNorm and GroupNorm against their PyTorch definitions in double (biased
 * variance), with and without their learned vectors, loaded as a checkpoint's. Tolerance
 * 1e-5 + 1e-5·|expected|: outputs are O(1) and the moments are sums of at most a few hundred
 * values.
 */
class NormTest extends NnTestSupport {
    static final int D = 24, T = 5, B = 2;

    @Test
    void rmsNormScalesByTheRootMeanSquareThenAppliesWeightAndBias() {
        SplittableRandom r = new SplittableRandom(11);
        float[] x = uniform(r, D * T * B, -2, 3), w = uniform(r, D, 0.5, 1.5), b = uniform(r, D);
        try (Weights weights = new Weights().add("n.weight", w, D).add("n.bias", b, D); Graph g = newGraph()) {
            WeightSet set = weights.map();
            Tensor xi = input(g, "x", x, D, T, B);
            Tensor affineBias = g.output(RmsNorm.load(set, "n", D, 1e-6, true, true).forward(g, xi));
            Tensor affine = g.output(RmsNorm.load(set, "n", D, 1e-6, true, false).forward(g, xi));
            RmsNorm bare = RmsNorm.load(set, "n", D, 0.5, false, true); // bias only with elementwise_affine
            assertThat(bare.weight()).isNull();
            assertThat(bare.bias()).isNull();
            Tensor plain = g.output(bare.forward(g, xi));
            g.compute();
            assertClose("rms weight+bias", g.floats(affineBias), rowNorm(doubles(x), D, false, w, b, 1e-6), FP32, FP32);
            assertClose("rms weight", g.floats(affine), rowNorm(doubles(x), D, false, w, null, 1e-6), FP32, FP32);
            assertClose("rms eps=0.5", g.floats(plain), rowNorm(doubles(x), D, false, null, null, 0.5), FP32, FP32);
        }
    }

    @Test
    void layerNormCentresScalesAndAppliesWeightAndBiasWidenedFromF16() {
        SplittableRandom r = new SplittableRandom(12);
        float[] x = uniform(r, D * T * B, -2, 3), w = uniform(r, D, 0.5, 1.5), b = uniform(r, D);
        try (Weights weights = new Weights().add("ln.weight", GgmlType.F16, w, D).add("ln.bias", GgmlType.F16, b, D); Graph g = newGraph()) {
            WeightSet set = weights.map();
            Tensor xi = input(g, "x", x, D, T, B);
            Tensor affineBias = g.output(LayerNorm.load(set, "ln", D, 1e-5, true, true).forward(g, xi));
            Tensor noBias = g.output(LayerNorm.load(set, "ln", D, 1e-5, true, false).forward(g, xi));
            Tensor plain = g.output(LayerNorm.plain(1e-6).forward(g, xi));
            g.compute();
            float[] w16 = roundToF16(w), b16 = roundToF16(b);
            assertClose("layer weight+bias", g.floats(affineBias), rowNorm(doubles(x), D, true, w16, b16, 1e-5), FP32, FP32);
            assertClose("layer weight", g.floats(noBias), rowNorm(doubles(x), D, true, w16, null, 1e-5), FP32, FP32);
            assertClose("layer plain", g.floats(plain), rowNorm(doubles(x), D, true, null, null, 1e-6), FP32, FP32);
        }
    }

    @Test
    void groupNormNormalisesEachGroupOfChannelsOverTheImageThenAppliesPerChannelAffine() {
        int w = 5, h = 4, c = 6, n = 2, groups = 3;
        SplittableRandom r = new SplittableRandom(13);
        float[] x = uniform(r, w * h * c * n, -1, 2), gamma = uniform(r, c, 0.5, 1.5), beta = uniform(r, c);
        try (Weights weights = new Weights().add("gn.weight", gamma, c).add("gn.bias", GgmlType.F16, beta, c); Graph g = newGraph()) {
            GroupNorm norm = GroupNorm.load(weights.map(), "gn", c, groups, 1e-6f);
            Tensor y = g.output(norm.forward(g, input(g, "x", x, w, h, c, n)));
            g.compute();
            // Each (group, image) is one contiguous block of w·h·c/groups values: normalise it as a row.
            int block = w * h * c / groups;
            double[] expected = rowNorm(doubles(x), block, true, null, null, 1e-6);
            float[] b16 = roundToF16(beta);
            for (int i = 0; i < expected.length; i++) {
                int ch = i / (w * h) % c;
                expected[i] = expected[i] * gamma[ch] + b16[ch];
            }
            assertClose("group norm", g.floats(y), expected, FP32, FP32);
        }
    }
}
