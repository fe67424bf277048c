package mmgp.graph.nn;

import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.roundToF16;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Linear against x·Wᵀ + b in double. Tolerance, with S = Σ|w·x| over each output: fp32
 * weights 1e-5·S + 1e-6; F16 weights (ggml rounds the activations to fp16 for the dot product)
 * 2⁻¹⁰·S + 1e-6 against the reference fed the fp16-rounded weights.
 */
class LinearTest extends NnTestSupport {
    static final int IN = 40, OUT = 12, T = 5, B = 2;

    @ParameterizedTest(name = "bias {0}")
    @ValueSource(booleans = {true, false})
    void isXTimesTheTransposedWeightPlusTheBias(boolean bias) {
        SplittableRandom r = new SplittableRandom(bias ? 1 : 2);
        float[] w = uniform(r, IN * OUT), b = uniform(r, OUT), x = uniform(r, IN * T * B);
        try (Weights weights = new Weights().add("fc.weight", w, IN, OUT).add("fc.bias", b, OUT); Graph g = newGraph()) {
            Linear fc = Linear.load(weights.map(), "fc", IN, OUT, bias);
            assertThat(fc.bias() == null).isEqualTo(!bias);
            Tensor y = g.output(fc.forward(g, input(g, "x", x, IN, T, B)));
            g.compute();
            assertThat(y.shape()).containsExactly(OUT, T, B, 1);
            double[] expected = linear(w, bias ? b : null, IN, OUT, x, T * B);
            assertWithin("linear", g.floats(y), expected, bound(linearAbs(w, IN, OUT, x, T * B), 1e-5));
        }
    }

    @Test
    void halfPrecisionWeightAndBiasAreUsedAsTheirFp16Values() {
        SplittableRandom r = new SplittableRandom(3);
        float[] w = uniform(r, IN * OUT), b = uniform(r, OUT), x = uniform(r, IN * T * B);
        try (Weights weights = new Weights().add("fc.weight", GgmlType.F16, w, IN, OUT).add("fc.bias", GgmlType.F16, b, OUT);
             Graph g = newGraph()) {
            Linear fc = Linear.load(weights.map(), "fc", IN, OUT, true);
            Tensor y = g.output(fc.forward(g, input(g, "x", x, IN, T, B)));
            g.compute();
            float[] w16 = roundToF16(w);
            double[] expected = linear(w16, roundToF16(b), IN, OUT, x, T * B);
            assertWithin("linear F16", g.floats(y), expected, bound(linearAbs(w16, IN, OUT, x, T * B), 0x1p-10));
        }
    }

    @Test
    void aOneByOneConvKernelComputesTheSameLinearBitForBit() {
        SplittableRandom r = new SplittableRandom(4);
        float[] w = uniform(r, IN * OUT), b = uniform(r, OUT), x = uniform(r, IN * T * B);
        try (Weights weights = new Weights().add("fc.weight", w, IN, OUT).add("fc.bias", b, OUT)
                .add("conv.weight", w, 1, 1, IN, OUT).add("conv.bias", b, OUT);
             Graph g = newGraph()) {
            WeightSet set = weights.map();
            Tensor xi = input(g, "x", x, IN, T, B);
            Tensor viaLinear = g.output(Linear.load(set, "fc", IN, OUT, true).forward(g, xi));
            Tensor viaConv = g.output(Linear.loadConv1x1(set, "conv", IN, OUT, true).forward(g, xi));
            g.compute();
            assertThat(g.floats(viaConv)).containsExactly(g.floats(viaLinear));
        }
    }

    @Test
    void aWeightOfTheWrongShapeFailsAtLoadNamingIt() {
        try (Weights weights = new Weights().add("fc.weight", new float[IN * OUT], IN, OUT)) {
            WeightSet set = weights.map();
            assertThatThrownBy(() -> Linear.load(set, "fc", OUT, IN, false))
                    .hasMessageContaining("fc.weight");
        }
    }
}
