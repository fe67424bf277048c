package mmgp.graph.nn;

import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The three feed-forward kinds against their definitions in double: plain out(act(in·x)) for
 * every activation, GEGLU out(hidden·gelu(gate)) over one doubled projection, gated
 * out(act(in·x)·gate·x) over two. Tolerance 1e-5·S + 1e-5 with S = Σ|terms| of the output
 * projection over the reference hidden values: the hidden values are O(1) fp32 results.
 */
class FeedForwardTest extends NnTestSupport {
    static final int D = 16, I = 32, T = 3, B = 2;

    @ParameterizedTest
    @EnumSource(Activation.class)
    void plainAppliesTheActivationBetweenTheProjections(Activation act) {
        SplittableRandom r = new SplittableRandom(21 + act.ordinal());
        float[] x = uniform(r, D * T * B, -2, 2), w1 = uniform(r, D * I), b1 = uniform(r, I), w2 = uniform(r, I * D), b2 = uniform(r, D);
        try (Weights weights = new Weights().add("mlp.linear_1.weight", w1, D, I).add("mlp.linear_1.bias", b1, I)
                .add("mlp.linear_2.weight", w2, I, D).add("mlp.linear_2.bias", b2, D);
             Graph g = newGraph()) {
            FeedForward ff = FeedForward.loadMlp(weights.map(), "mlp", D, I, D, act, true);
            assertThat(ff.kind()).isEqualTo(FeedForward.Kind.PLAIN);
            Tensor y = g.output(ff.forward(g, input(g, "x", x, D, T, B)));
            g.compute();
            double[] hidden = map(linear(w1, b1, D, I, x, T * B), v -> activation(act, v));
            check(act.name(), g.floats(y), hidden, w2, b2);
        }
    }

    @Test
    void gegluMultipliesTheFirstHalfByTheGeluOfTheSecond() {
        SplittableRandom r = new SplittableRandom(31);
        float[] x = uniform(r, D * T * B, -2, 2), w1 = uniform(r, D * 2 * I), b1 = uniform(r, 2 * I), w2 = uniform(r, I * D), b2 = uniform(r, D);
        try (Weights weights = new Weights().add("ff.net.0.proj.weight", w1, D, 2 * I).add("ff.net.0.proj.bias", b1, 2 * I)
                .add("ff.net.2.weight", w2, I, D).add("ff.net.2.bias", b2, D);
             Graph g = newGraph()) {
            FeedForward ff = FeedForward.loadDiffusers(weights.map(), "ff", D, I, "geglu", true);
            assertThat(ff.kind()).isEqualTo(FeedForward.Kind.GEGLU);
            Tensor y = g.output(ff.forward(g, input(g, "x", x, D, T, B)));
            g.compute();
            double[] p = linear(w1, b1, D, 2 * I, x, T * B);
            double[] hidden = new double[I * T * B];
            for (int n = 0; n < T * B; n++)
                for (int i = 0; i < I; i++) hidden[n * I + i] = p[n * 2 * I + i] * activation(Activation.GELU, p[n * 2 * I + I + i]);
            check("geglu", g.floats(y), hidden, w2, b2);
        }
    }

    @Test
    void gatedMultipliesTheActivatedProjectionByTheSecondProjection() {
        // T5's T5DenseGatedActDense: gelu_new(wi_0·x) ⊙ wi_1·x, then wo; no biases.
        SplittableRandom r = new SplittableRandom(41);
        float[] x = uniform(r, D * T * B, -2, 2), wi0 = uniform(r, D * I), wi1 = uniform(r, D * I), wo = uniform(r, I * D);
        try (Weights weights = new Weights().add("wi_0.weight", wi0, D, I).add("wi_1.weight", wi1, D, I).add("wo.weight", wo, I, D);
             Graph g = newGraph()) {
            WeightSet set = weights.map();
            FeedForward ff = FeedForward.gated(Linear.load(set, "wi_0", D, I, false), Linear.load(set, "wi_1", D, I, false),
                    Activation.GELU_TANH, Linear.load(set, "wo", I, D, false));
            Tensor y = g.output(ff.forward(g, input(g, "x", x, D, T, B)));
            g.compute();
            double[] a = linear(wi0, null, D, I, x, T * B), gate = linear(wi1, null, D, I, x, T * B);
            double[] hidden = new double[a.length];
            for (int i = 0; i < a.length; i++) hidden[i] = activation(Activation.GELU_TANH, a[i]) * gate[i];
            check("gated", g.floats(y), hidden, wo, null);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gelu", "gelu-approximate"})
    void diffusersGeluFeedForwardsArePlainWithTheirGeluForm(String activationFn) {
        try (Weights weights = new Weights().add("ff.net.0.proj.weight", new float[D * I], D, I).add("ff.net.0.proj.bias", new float[I], I)
                .add("ff.net.2.weight", new float[I * D], I, D).add("ff.net.2.bias", new float[D], D)) {
            WeightSet set = weights.map();
            FeedForward ff = FeedForward.loadDiffusers(set, "ff", D, I, activationFn, true);
            assertThat(ff.kind()).isEqualTo(FeedForward.Kind.PLAIN);
            assertThat(ff.activation()).isEqualTo(activationFn.equals("gelu") ? Activation.GELU : Activation.GELU_TANH);
            assertThatThrownBy(() -> FeedForward.loadDiffusers(set, "ff", D, I, "swiglu", true)).hasMessageContaining("swiglu");
        }
    }

    /** out = w2·hidden + b2, with the bound growing with Σ|w2·hidden|. */
    private static void check(String what, float[] actual, double[] hidden, float[] w2, float[] b2) {
        int cols = hidden.length / I;
        float[] h = floats(hidden);
        double[] expected = new double[D * cols];
        for (int n = 0; n < cols; n++)
            for (int o = 0; o < D; o++) {
                double s = b2 == null ? 0 : b2[o];
                for (int i = 0; i < I; i++) s += w2[o * I + i] * hidden[n * I + i];
                expected[n * D + o] = s;
            }
        double[] scale = linearAbs(w2, I, D, h, cols);
        double[] bound = new double[scale.length];
        for (int i = 0; i < bound.length; i++) bound[i] = 1e-5 * scale[i] + 1e-5;
        assertWithin(what, actual, expected, bound);
    }
}
