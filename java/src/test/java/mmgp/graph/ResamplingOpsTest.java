package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertClose;
import static mmgp.testing.CloseAssertions.assertExactly;
import static mmgp.testing.TestArrays.uniform;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Upscaling, interpolation and padding. Nearest, padding and pad are copies: exact. Bilinear
 * interpolation is a handful of fp32 products and sums: 1e-5 + 1e-5·|expected|.
 *
 * <p>Convention: ggml's bilinear mode without flags uses half-pixel centres, source coordinate
 * (i + 0.5)·in/out − 0.5 clamped to the edges — PyTorch's F.interpolate(mode="bilinear",
 * align_corners=False, antialias=False). With GGML_SCALE_FLAG_ALIGN_CORNERS (256) or-ed into
 * the mode it is align_corners=True, source coordinate i·(in − 1)/(out − 1).
 */
class ResamplingOpsTest extends GraphTestSupport {
    private static final int ALIGN_CORNERS = 1 << 8;
    private static final int[] X = {5, 4, 3, 2};

    @Test
    void upscaleNearestRepeatsEachPixelFactorTimesInWidthAndHeight() {
        float[] x = uniform(new Random(81), product(X));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2], X[3]);
            Tensor y = g.output(g.upscaleNearest(tx, 2));
            Tensor y3 = g.output(g.upscaleNearest(tx, 3));
            g.set(tx, x);
            g.compute();
            assertShape(y, 10, 8, X[2], X[3]);
            assertExactly("upscale ×2", g.floats(y), ReferenceOps.upscaleNearest(x, X, 2));
            assertExactly("upscale ×3", g.floats(y3), ReferenceOps.upscaleNearest(x, X, 3));
        }
    }

    @Test
    void bilinearUsesHalfPixelCentresLikeAlignCornersFalse() {
        checkBilinear(8, 7, false);  // up
        checkBilinear(3, 2, false);  // down (no antialiasing, as PyTorch's default)
        checkBilinear(11, 4, false); // mixed
    }

    @Test
    void bilinearWithTheAlignCornersFlagMapsCornerToCorner() {
        checkBilinear(8, 7, true);
        checkBilinear(3, 2, true);
    }

    private void checkBilinear(int ow, int oh, boolean alignCorners) {
        float[] x = uniform(new Random(82 + ow), product(X));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2], X[3]);
            int mode = Graph.SCALE_BILINEAR | (alignCorners ? ALIGN_CORNERS : 0);
            Tensor y = g.output(g.interpolate(tx, ow, oh, X[2], X[3], mode));
            g.set(tx, x);
            g.compute();
            assertShape(y, ow, oh, X[2], X[3]);
            assertClose("bilinear " + X[0] + "×" + X[1] + " → " + ow + "×" + oh + (alignCorners ? " align corners" : " half pixel"),
                    g.floats(y), ReferenceOps.bilinear(x, X, ow, oh, alignCorners), FP32_ABS, FP32_REL);
        }
    }

    @Test
    void interpolateNearestToANonIntegerSizeTakesTheFlooredSourcePixel() {
        // PyTorch's legacy "nearest": source index floor(i·in/out).
        float[] x = uniform(new Random(83), product(X));
        int ow = 8, oh = 6;
        double[] expected = new double[ow * oh * X[2] * X[3]];
        int[] yne = {ow, oh, X[2], X[3]};
        for (int i = 0; i < expected.length; i++) {
            int[] c = ReferenceOps.coords(yne, i);
            expected[i] = x[ReferenceOps.at(X, c[0] * X[0] / ow, c[1] * X[1] / oh, c[2], c[3])];
        }
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2], X[3]);
            Tensor y = g.output(g.interpolate(tx, ow, oh, X[2], X[3], Graph.SCALE_NEAREST));
            g.set(tx, x);
            g.compute();
            assertExactly("nearest 5×4 → 8×6", g.floats(y), expected);
        }
    }

    @Test
    void padAddsZerosAtTheEndOfEachDimension() {
        float[] x = uniform(new Random(84), product(X));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2], X[3]);
            Tensor y = g.output(g.pad(tx, 2, 1, 0, 3));
            g.set(tx, x);
            g.compute();
            assertShape(y, X[0] + 2, X[1] + 1, X[2], X[3] + 3);
            assertExactly("pad", g.floats(y), ReferenceOps.pad(x, X, 0, 2, 0, 1, 0, 0, 0, 3));
        }
    }

    @Test
    void padExtPadsBothSidesOfEachDimension() {
        float[] x = uniform(new Random(85), product(X));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2], X[3]);
            Tensor all = g.output(g.padExt(tx, 1, 2, 0, 1, 2, 0, 1, 1));
            Tensor spatial = g.output(g.padExt(tx, 1, 1, 1, 1)); // trailing dimensions default to 0
            g.set(tx, x);
            g.compute();
            assertShape(all, X[0] + 3, X[1] + 1, X[2] + 2, X[3] + 2);
            assertExactly("padExt all dims", g.floats(all), ReferenceOps.pad(x, X, 1, 2, 0, 1, 2, 0, 1, 1));
            assertExactly("padExt spatial", g.floats(spatial), ReferenceOps.pad(x, X, 1, 1, 1, 1));
        }
    }
}
