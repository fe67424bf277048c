package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertExactly;
import static mmgp.testing.CloseAssertions.assertWithin;
import static mmgp.testing.TestArrays.uniform;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Activations against their PyTorch definitions.
 *
 * <p>gelu (erf), silu and sigmoid are evaluated in fp32 by ggml: 1e-5 + 1e-5·|expected|. relu is
 * exact. geluTanh and geluQuick are composed from fp32 ops and held to the fp32 bound;
 * geluTanhTable is ggml's fused op, read from a 65536-entry fp16 table (GGML_GELU_FP16 in
 * ggml-cpu/vec.h): the input is rounded to fp16 (error ≤ 2^-11·|x|, times a slope below 1.2)
 * and so is the output (≤ 2^-11·|f(x)|), hence the bound 2^-11·(1.2·|x| + |f(x)|) + 1e-7.
 */
class ActivationOpsTest extends GraphTestSupport {

    private static float[] inputs() {
        Random random = new Random(31);
        float[] x = uniform(random, 250, -5, 5);
        // The tails: ggml's tanh-GELU switches to 0 / x beyond ±10.
        float[] tails = {-12f, -10.5f, -9.75f, 0f, 9.75f, 10.5f};
        float[] all = java.util.Arrays.copyOf(x, x.length + tails.length);
        System.arraycopy(tails, 0, all, x.length, tails.length);
        return all;
    }

    @Test
    void fp32Activations() {
        // erf-GELU and tanh-GELU differ by up to 4.7e-4 (at |x| ≈ 2.7), far above this bound, so a
        // swap of gelu() and geluTanh() fails here.
        check("gelu (erf)", g -> g::gelu, ReferenceOps::gelu, false);
        check("silu", g -> g::silu, ReferenceOps::silu, false);
        check("gelu tanh approximation", g -> g::geluTanh, ReferenceOps::geluTanh, false);
        check("quick gelu", g -> g::geluQuick, ReferenceOps::geluQuick, false);
        check("sigmoid", g -> g::sigmoid, ReferenceOps::sigmoid, false);
    }

    @Test
    void reluIsExact() {
        float[] x = inputs();
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", x.length);
            Tensor y = g.output(g.relu(tx));
            g.set(tx, x);
            g.compute();
            assertExactly("relu", g.floats(y), ReferenceOps.map(x, v -> Math.max(v, 0)));
        }
    }

    @Test
    void tableDrivenGeluIsWithinFp16RoundingOfItsDefinition() {
        check("gelu tanh approximation (fp16 table)", g -> g::geluTanhTable, ReferenceOps::geluTanh, true);
    }

    private void check(String name, Function<Graph, Function<Tensor, Tensor>> op, DoubleUnaryOperator ref, boolean fp16Table) {
        float[] x = inputs();
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", x.length);
            Tensor y = g.output(op.apply(g).apply(tx));
            g.set(tx, x);
            g.compute();
            double[] expected = ReferenceOps.map(x, ref);
            double[] bound = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                bound[i] = fp16Table
                        ? F16_EPS * (1.2 * Math.abs(x[i]) + Math.abs(expected[i])) + 1e-7
                        : FP32_ABS + FP32_REL * Math.abs(expected[i]);
            }
            assertWithin(name, g.floats(y), expected, bound);
        }
    }
}
