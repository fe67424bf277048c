package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertClose;
import static mmgp.testing.TestArrays.uniform;

import java.util.Random;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * Rotary embeddings against the textbook formulas (rope), ggml's documented multi-axis
 * semantics (ropeMulti, reference written from ggml-cpu/ops.cpp ggml_mrope_cache_init) and
 * x·cos + rotate_pairs(x)·sin (rotaryInterleaved).
 *
 * <p>Tolerance for rope/ropeMulti: ggml builds θ_i by multiplying θ_0 by base^(−2/nDims) i times
 * in fp32, so θ_i is off by up to ~pos·(i + 2)·2^-24 relative; with |x| ≤ 1 that moves an
 * output by at most maxPos·nDims·2^-23, on top of the fp32 bound 1e-5. rotaryInterleaved is two
 * products and a sum: 1e-5 + 1e-5·|expected|.
 */
class RopeOpsTest extends GraphTestSupport {
    private static final int[] POSITIONS = {0, 3, 7, 12, 20};

    @Test
    void normalRopeRotatesAdjacentPairs() {
        checkRope(16, Graph.ROPE_NORMAL, 10000f, 1f, 61);
    }

    @Test
    void neoxRopeRotatesHalvesAgainstEachOther() {
        checkRope(16, Graph.ROPE_NEOX, 10000f, 1f, 62);
    }

    @Test
    void partialRopeLeavesTheTrailingDimensionsAlone() {
        // Only the first 8 of 16 dimensions rotate; a different base and a frequency scale as well.
        checkRope(8, Graph.ROPE_NORMAL, 500f, 0.5f, 63);
        checkRope(8, Graph.ROPE_NEOX, 500f, 0.5f, 64);
    }

    private void checkRope(int nDims, int mode, float base, float freqScale, long seed) {
        int[] ne = {16, 3, POSITIONS.length, 1};
        float[] x = uniform(new Random(seed), product(ne));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne[0], ne[1], ne[2]);
            Tensor pos = g.input("pos", GgmlType.I32, ne[2]);
            Tensor y = g.output(g.rope(tx, pos, nDims, mode, base, freqScale));
            g.set(tx, x);
            g.set(pos, POSITIONS);
            g.compute();
            double[] expected = ReferenceOps.rope(x, ne, POSITIONS, nDims, mode == Graph.ROPE_NEOX, base, freqScale);
            assertClose("rope mode " + mode + " nDims " + nDims, g.floats(y), expected, thetaTolerance(20, nDims), FP32_REL);
        }
    }

    @Test
    void mropeTakesEachSectionsPositionFromItsOwnAxis() {
        // 20 dims, 16 rotated (8 pairs) in sections t=3, h=2, w=2, e=1; dims 16..19 pass through.
        int[] ne = {20, 2, 4, 1};
        int[] sections = {3, 2, 2, 1};
        int[] pos = {0, 1, 2, 3, /* h */ 5, 0, 9, 2, /* w */ 1, 7, 4, 11, /* e */ 6, 3, 8, 0};
        float[] x = uniform(new Random(65), product(ne));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne[0], ne[1], ne[2]);
            Tensor tp = g.input("pos", GgmlType.I32, 4L * ne[2]);
            Tensor y = g.output(g.ropeMulti(tx, tp, 16, sections, Graph.ROPE_MROPE, 10000f));
            g.set(tx, x);
            g.set(tp, pos);
            g.compute();
            assertClose("mrope", g.floats(y), ReferenceOps.mrope(x, ne, pos, 16, sections, 10000), thetaTolerance(11, 16), FP32_REL);
        }
    }

    @Test
    void visionRopeRestartsTheFrequenciesInEachSection() {
        // Head size 16, nDims = 8: pairs (x[i], x[i+8]); pairs 0-3 follow axis 0, pairs 4-7 axis 1.
        int[] ne = {16, 2, 4, 1};
        int[] sections = {4, 4, 0, 0};
        int[] pos = {0, 1, 2, 3, /* axis 1 */ 3, 0, 5, 1, /* unused */ 0, 0, 0, 0, 0, 0, 0, 0};
        float[] x = uniform(new Random(66), product(ne));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne[0], ne[1], ne[2]);
            Tensor tp = g.input("pos", GgmlType.I32, 4L * ne[2]);
            Tensor y = g.output(g.ropeMulti(tx, tp, 8, sections, Graph.ROPE_VISION, 100f));
            g.set(tx, x);
            g.set(tp, pos);
            g.compute();
            assertClose("vision rope", g.floats(y), ReferenceOps.visionRope(x, ne, pos, sections, 100), thetaTolerance(5, 16), FP32_REL);
        }
    }

    private static double thetaTolerance(int maxPos, int nDims) {
        return FP32_ABS + maxPos * nDims * 0x1p-23;
    }

    // ---------------------------------------------------------------- rotaryInterleaved

    private static final int[] ROT_X = {8, 2, 3, 1};
    private static final int[] ROT_CS = {8, 1, 3, 1}; // per token, shared by the heads

    @Test
    void rotaryInterleavedIsXCosPlusRotatedPairsSin() {
        // Runs in a child JVM: the current Graph.rotaryInterleaved trips a GGML_ASSERT (abort).
        float[][] in = rotaryInputs();
        float[] actual = ChildJvm.compute(RopeOpsTest.class, "rotaryInterleavedScenario");
        assertClose("rotaryInterleaved", actual, ReferenceOps.rotaryInterleaved(in[0], ROT_X, in[1], in[2], ROT_CS), FP32_ABS, FP32_REL);
    }

    private static float[][] rotaryInputs() {
        Random random = new Random(67);
        float[] x = uniform(random, product(ROT_X));
        float[] angle = uniform(random, product(ROT_CS), -3, 3);
        float[] cos = new float[angle.length], sin = new float[angle.length];
        for (int i = 0; i < angle.length; i++) {
            cos[i] = (float) Math.cos(angle[i]);
            sin[i] = (float) Math.sin(angle[i]);
        }
        return new float[][] {x, cos, sin};
    }

    static float[] rotaryInterleavedScenario(ComputeBackend backend) {
        float[][] in = rotaryInputs();
        try (Graph g = new Graph(backend, 256)) {
            Tensor x = g.inputF32("x", ROT_X[0], ROT_X[1], ROT_X[2]);
            Tensor cos = g.inputF32("cos", ROT_CS[0], ROT_CS[1], ROT_CS[2]);
            Tensor sin = g.inputF32("sin", ROT_CS[0], ROT_CS[1], ROT_CS[2]);
            Tensor y = g.output(g.rotaryInterleaved(x, cos, sin));
            g.set(x, in[0]);
            g.set(cos, in[1]);
            g.set(sin, in[2]);
            g.compute();
            return g.floats(y);
        }
    }
}
