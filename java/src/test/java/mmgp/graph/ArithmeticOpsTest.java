package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertClose;
import static mmgp.testing.CloseAssertions.assertExactly;
import static mmgp.testing.TestArrays.uniform;

import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Element-wise arithmetic, broadcasting, reductions and repeat against Java. Tolerance: the
 * brief's fp32 bound 1e-5 + 1e-5·|expected| (ggml's SIMD exp/tanh are within a few ulps);
 * copies, additions of exact inputs and clamp must be exact where noted.
 */
class ArithmeticOpsTest extends GraphTestSupport {
    private static final int[] A = {6, 4, 3, 2};

    @Test
    void binaryOpsBroadcastLikePyTorchWhenTheOtherSideHasSizeOne() {
        // b is [6, 1, 3, 1]: repeated over ne1 and ne3 (PyTorch's [1, 3, 1, 6] against [2, 3, 4, 6]).
        checkBinaryOps(new int[] {6, 1, 3, 1}, 21);
        // b is [1, 4, 1, 2]: a per-row scalar, the norm-weight / gate pattern.
        checkBinaryOps(new int[] {1, 4, 1, 2}, 22);
        // b has a's exact shape.
        checkBinaryOps(A, 23);
    }

    @Test
    void binaryOpsTileASmallerDivisorShape() {
        // ggml's broadcast is tiling: ne 3 repeats twice along a's ne0 = 6 (PyTorch would refuse).
        checkBinaryOps(new int[] {3, 2, 1, 1}, 24);
    }

    private void checkBinaryOps(int[] bne, long seed) {
        Random random = new Random(seed);
        float[] a = uniform(random, product(A));
        float[] b = uniform(random, product(bne), 0.5, 2); // away from 0 so that div is well conditioned
        for (int i = 0; i < b.length; i += 2) b[i] = -b[i];
        record Op(String name, BiFunction<Graph, Tensor[], Tensor> build, DoubleBinaryOperator ref) {}
        Op[] ops = {
                new Op("add", (g, t) -> g.add(t[0], t[1]), Double::sum),
                new Op("sub", (g, t) -> g.sub(t[0], t[1]), (x, y) -> x - y),
                new Op("mul", (g, t) -> g.mul(t[0], t[1]), (x, y) -> x * y),
                new Op("div", (g, t) -> g.div(t[0], t[1]), (x, y) -> x / y),
        };
        try (Graph g = newGraph()) {
            Tensor ta = g.inputF32("a", A[0], A[1], A[2], A[3]);
            Tensor tb = g.inputF32("b", bne[0], bne[1], bne[2], bne[3]);
            Tensor[] outs = new Tensor[ops.length];
            for (int i = 0; i < ops.length; i++) outs[i] = g.output(ops[i].build.apply(g, new Tensor[] {ta, tb}));
            g.set(ta, a);
            g.set(tb, b);
            g.compute();
            for (int i = 0; i < ops.length; i++) {
                assertShape(outs[i], A[0], A[1], A[2], A[3]);
                // One fp32 rounding of the exact result: ≤ 2^-24 relative.
                assertClose(ops[i].name + " with b " + java.util.Arrays.toString(bne), g.floats(outs[i]),
                        ReferenceOps.broadcast(a, A, b, bne, ops[i].ref), 0, 0x1p-24);
            }
        }
    }

    @Test
    void scaleAndScaleBias() {
        Random random = new Random(25);
        float[] x = uniform(random, product(A));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", A[0], A[1], A[2], A[3]);
            Tensor scaled = g.output(g.scale(tx, -2.5f));
            Tensor affine = g.output(g.scaleBias(tx, 0.75f, 0.125f));
            g.set(tx, x);
            g.compute();
            assertClose("scale", g.floats(scaled), ReferenceOps.map(x, v -> -2.5 * v), 0, 0x1p-24);
            // s·x + b: at most two roundings (one if fused).
            assertClose("scaleBias", g.floats(affine), ReferenceOps.map(x, v -> 0.75 * v + 0.125), 1e-7, 0x1p-23);
        }
    }

    @Test
    void unaryMathMatchesJavaMath() {
        Random random = new Random(26);
        float[] x = uniform(random, product(A), -3, 3);
        float[] positive = uniform(random, product(A), 0, 5);
        record Op(String name, Function<Graph, Function<Tensor, Tensor>> build, DoubleUnaryOperator ref, boolean positiveInput) {}
        Op[] ops = {
                new Op("sqr", g -> g::sqr, v -> v * v, false),
                new Op("sqrt", g -> g::sqrt, Math::sqrt, true),
                new Op("exp", g -> g::exp, Math::exp, false),
                new Op("sin", g -> g::sin, Math::sin, false),
                new Op("cos", g -> g::cos, Math::cos, false),
                new Op("tanh", g -> g::tanh, Math::tanh, false),
                new Op("clamp", g -> t -> g.clamp(t, -1.25f, 0.5f), v -> Math.min(Math.max(v, -1.25), 0.5), false),
        };
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", A[0], A[1], A[2], A[3]);
            Tensor tp = g.inputF32("p", A[0], A[1], A[2], A[3]);
            Tensor[] outs = new Tensor[ops.length];
            for (int i = 0; i < ops.length; i++) outs[i] = g.output(ops[i].build.apply(g).apply(ops[i].positiveInput ? tp : tx));
            g.set(tx, x);
            g.set(tp, positive);
            g.compute();
            for (int i = 0; i < ops.length - 1; i++) {
                float[] in = ops[i].positiveInput ? positive : x;
                assertClose(ops[i].name, g.floats(outs[i]), ReferenceOps.map(in, ops[i].ref), FP32_ABS, FP32_REL);
            }
            assertExactly("clamp is a selection, no arithmetic", g.floats(outs[6]),
                    ReferenceOps.map(x, v -> Math.min(Math.max(v, -1.25f), 0.5f)));
        }
    }

    @Test
    void sumRowsAndMeanReduceAlongNe0() {
        Random random = new Random(27);
        float[] x = uniform(random, product(A));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", A[0], A[1], A[2], A[3]);
            Tensor sum = g.output(g.sumRows(tx));
            Tensor mean = g.output(g.mean(tx));
            g.set(tx, x);
            g.compute();
            assertShape(sum, 1, A[1], A[2], A[3]);
            assertShape(mean, 1, A[1], A[2], A[3]);
            double[] expectedSum = ReferenceOps.sumRows(x, A[0]);
            double[] expectedMean = expectedSum.clone();
            for (int i = 0; i < expectedMean.length; i++) expectedMean[i] /= A[0];
            assertClose("sumRows", g.floats(sum), expectedSum, FP32_ABS, FP32_REL);
            assertClose("mean", g.floats(mean), expectedMean, FP32_ABS, FP32_REL);
        }
    }

    @Test
    void repeatTilesToTheTargetShape() {
        Random random = new Random(28);
        int[] small = {3, 1, 1, 2};
        float[] x = uniform(random, product(small));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", small[0], small[1], small[2], small[3]);
            Tensor like = g.inputF32("like", A[0], A[1], A[2], A[3]);
            Tensor y = g.output(g.repeat(tx, like));
            g.set(tx, x); // `like` only lends its shape: it is not part of the graph
            g.compute();
            assertShape(y, A[0], A[1], A[2], A[3]);
            assertExactly("repeat", g.floats(y), ReferenceOps.repeat(x, small, A));
        }
    }
}
