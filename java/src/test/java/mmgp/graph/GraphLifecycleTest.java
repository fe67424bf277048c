package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertClose;
import static mmgp.testing.CloseAssertions.assertExactly;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** A Graph is allocated once and computed many times: what the sampling loops rely on. */
class GraphLifecycleTest extends GraphTestSupport {

    @Test
    void recomputingWithNewInputsGivesNewResults() {
        Random random = new Random(111);
        int k = 32, m = 6, n = 3;
        try (Graph g = newGraph()) {
            Tensor tw = g.inputF32("w", k, m), tx = g.inputF32("x", k, n);
            Tensor y = g.output(g.silu(g.mulMat(tw, tx)));
            for (int step = 0; step < 3; step++) {
                float[] w = uniform(random, k * m), x = uniform(random, k * n);
                g.set(tw, w);
                g.set(tx, x);
                g.compute();
                double[] product = ReferenceOps.mulMat(w, k, m, x, n);
                double[] expected = new double[product.length];
                for (int i = 0; i < expected.length; i++) expected[i] = ReferenceOps.silu(product[i]);
                assertClose("step " + step, g.floats(y), expected, 1e-5, 1e-5);
            }
        }
    }

    @Test
    void anInputThatIsNotSetAgainKeepsItsValue() {
        // y = 2·(a + b). ggml's allocator lets `a + b` reuse a's memory in place and recycles
        // inputs once consumed, so an input is only intact if it is uploaded again before each
        // compute. Graph.compute uploads only the inputs set since the previous compute.
        float[] a = {1, 2, 3, 4}, b = {10, 20, 30, 40}, b2 = {100, 200, 300, 400};
        try (Graph g = newGraph()) {
            Tensor ta = g.inputF32("a", 4), tb = g.inputF32("b", 4);
            Tensor y = g.output(g.scale(g.add(ta, tb), 2));
            g.set(ta, a);
            g.set(tb, b);
            g.compute();
            assertExactly("first compute", g.floats(y), new double[] {22, 44, 66, 88});
            g.set(tb, b2); // only b changes
            g.compute();
            assertExactly("second compute with a unchanged", g.floats(y), new double[] {202, 404, 606, 808});
        }
    }

    @Test
    void computeBufferIsPlannedOnFirstCompute() {
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", 64, 8);
            Tensor y = g.output(g.sumRows(g.sqr(tx)));
            assertThat(g.computeBufferBytes()).isZero();
            assertThat(g.nodeCount()).isEqualTo(2);
            g.set(tx, new float[64 * 8]);
            g.compute();
            // At least the input and the output live in it.
            assertThat(g.computeBufferBytes()).isGreaterThanOrEqualTo(tx.bytes() + y.bytes());
        }
    }

    @Test
    void nameLabelsATensor() {
        try (Graph g = newGraph()) {
            Tensor y = g.name(g.sqr(g.inputF32("x", 4)), "squared");
            assertThat(y.name()).isEqualTo("squared");
        }
    }

    @Test
    void computeWithoutOutputsIsRejected() {
        try (Graph g = newGraph()) {
            g.inputF32("x", 4);
            assertThatThrownBy(g::compute).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void settingAnInputWithTheWrongByteCountIsRejected() {
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", 4);
            assertThatThrownBy(() -> g.set(tx, new float[5])).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
