package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertClose;
import static mmgp.testing.TestArrays.uniform;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Normalisations against PyTorch's layer_norm / RMSNorm / GroupNorm (biased variance).
 * Tolerance 1e-5 + 1e-5·|expected|: outputs are O(1) and ggml accumulates the moments in double
 * or in fp32 over at most a few hundred values.
 */
class NormOpsTest extends GraphTestSupport {
    private static final int[] X = {24, 5, 3, 1};
    private static final float EPS = 1e-5f;

    @Test
    void normStandardisesEachRow() {
        Random random = new Random(41);
        float[] x = shifted(uniform(random, product(X), -2, 2));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2]);
            Tensor y = g.output(g.norm(tx, EPS));
            g.set(tx, x);
            g.compute();
            assertClose("norm", g.floats(y), ReferenceOps.layerNorm(x, X[0], null, null, EPS), FP32_ABS, FP32_REL);
        }
    }

    @Test
    void layerNormAppliesWeightAndBiasPerFeature() {
        Random random = new Random(42);
        float[] x = shifted(uniform(random, product(X), -2, 2));
        float[] weight = uniform(random, X[0], 0.5, 1.5), bias = uniform(random, X[0]);
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2]);
            Tensor tw = g.inputF32("w", X[0]), tb = g.inputF32("b", X[0]);
            Tensor affine = g.output(g.layerNorm(tx, tw, tb, EPS));
            Tensor weightOnly = g.output(g.layerNorm(tx, tw, null, EPS));
            g.set(tx, x);
            g.set(tw, weight);
            g.set(tb, bias);
            g.compute();
            assertClose("layerNorm weight+bias", g.floats(affine), ReferenceOps.layerNorm(x, X[0], weight, bias, EPS), FP32_ABS, FP32_REL);
            assertClose("layerNorm weight only", g.floats(weightOnly), ReferenceOps.layerNorm(x, X[0], weight, null, EPS), FP32_ABS, FP32_REL);
        }
    }

    @Test
    void layerNormHonoursALargeEpsilon() {
        // eps = 0.5 is comparable to the variance, so a dropped or misplaced eps shows.
        Random random = new Random(43);
        float[] x = uniform(random, product(X));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2]);
            Tensor y = g.output(g.norm(tx, 0.5f));
            Tensor rms = g.output(g.rmsNorm(tx, 0.5f));
            g.set(tx, x);
            g.compute();
            assertClose("norm eps=0.5", g.floats(y), ReferenceOps.layerNorm(x, X[0], null, null, 0.5), FP32_ABS, FP32_REL);
            assertClose("rmsNorm eps=0.5", g.floats(rms), ReferenceOps.rmsNorm(x, X[0], 0.5), FP32_ABS, FP32_REL);
        }
    }

    @Test
    void rmsNormDividesByTheRootMeanSquare() {
        Random random = new Random(44);
        float[] x = shifted(uniform(random, product(X), -2, 2));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2]);
            Tensor y = g.output(g.rmsNorm(tx, 1e-6f));
            g.set(tx, x);
            g.compute();
            assertClose("rmsNorm", g.floats(y), ReferenceOps.rmsNorm(x, X[0], 1e-6), FP32_ABS, FP32_REL);
        }
    }

    @Test
    void groupNormNormalisesEachGroupOfChannelsPerSample() {
        // [N=2, C=6, H=3, W=4] in ggml order; 3 groups of 2 channels, each group with its own offset.
        int[] ne = {4, 3, 6, 2};
        Random random = new Random(45);
        float[] x = uniform(random, product(ne), -1, 1);
        for (int i = 0; i < x.length; i++) x[i] += ReferenceOps.coords(ne, i)[2] * 0.75f - 1;
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne[0], ne[1], ne[2], ne[3]);
            Tensor three = g.output(g.groupNorm(tx, 3, EPS));
            Tensor six = g.output(g.groupNorm(tx, 6, EPS));   // instance norm
            Tensor one = g.output(g.groupNorm(tx, 1, 1e-3f)); // layer norm over C·H·W
            g.set(tx, x);
            g.compute();
            assertClose("groupNorm 3 groups", g.floats(three), ReferenceOps.groupNorm(x, ne, 3, EPS), FP32_ABS, FP32_REL);
            assertClose("groupNorm 6 groups", g.floats(six), ReferenceOps.groupNorm(x, ne, 6, EPS), FP32_ABS, FP32_REL);
            assertClose("groupNorm 1 group", g.floats(one), ReferenceOps.groupNorm(x, ne, 1, 1e-3), FP32_ABS, FP32_REL);
        }
    }

    /** Rows with different means and spreads, so that a normalisation over the wrong axis shows. */
    private static float[] shifted(float[] x) {
        for (int i = 0; i < x.length; i++) {
            int row = i / X[0];
            x[i] = x[i] * (0.5f + row % 3) + (row % 5) - 2;
        }
        return x;
    }
}
