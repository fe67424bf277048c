package mmgp.graph;

import static mmgp.testing.CloseAssertions.assertExactly;
import static mmgp.testing.TestArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;
import org.junit.jupiter.api.Test;

/**
 * Data movement: concat, permute, transpose, reshape, view, cont and cast. All are copies (or a
 * single IEEE rounding for cast), so every comparison is exact.
 */
class ShapeOpsTest extends GraphTestSupport {
    /** Four distinct sizes, so that any mixed-up axis changes the shape or the values. */
    private static final int[] X = {2, 3, 4, 5};

    @Test
    void concatAlongEachDimension() {
        int[] ane = {4, 3, 2, 2};
        Random random = new Random(91);
        float[] a = uniform(random, product(ane));
        for (int dim = 0; dim < 4; dim++) {
            int[] bne = ane.clone();
            bne[dim] = 3;
            float[] b = uniform(random, product(bne));
            try (Graph g = newGraph()) {
                Tensor ta = g.inputF32("a", ane[0], ane[1], ane[2], ane[3]);
                Tensor tb = g.inputF32("b", bne[0], bne[1], bne[2], bne[3]);
                Tensor y = g.output(g.concat(ta, tb, dim));
                long[] expectedShape = {ane[0], ane[1], ane[2], ane[3]};
                expectedShape[dim] += 3;
                assertShape(y, expectedShape);
                g.set(ta, a);
                g.set(tb, b);
                g.compute();
                assertExactly("concat dim " + dim, g.floats(y), ReferenceOps.concat(a, ane, b, bne, dim));
            }
        }
    }

    @Test
    void permuteSendsSourceAxisIToPositionAxesI() {
        float[] x = uniform(new Random(92), product(X));
        int[][] permutations = {{1, 0, 2, 3}, {0, 2, 1, 3}, {2, 0, 1, 3}, {1, 2, 0, 3}, {0, 1, 3, 2}, {1, 2, 3, 0}, {3, 2, 1, 0}, {0, 3, 1, 2}};
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2], X[3]);
            Tensor[] outs = new Tensor[permutations.length];
            for (int i = 0; i < permutations.length; i++) {
                int[] p = permutations[i];
                Tensor view = g.permute(tx, p[0], p[1], p[2], p[3]);
                int[] shape = ReferenceOps.permutedShape(X, p);
                assertShape(view, shape[0], shape[1], shape[2], shape[3]);
                outs[i] = g.output(g.cont(view));
            }
            g.set(tx, x);
            g.compute();
            for (int i = 0; i < permutations.length; i++) {
                assertExactly("permute " + java.util.Arrays.toString(permutations[i]), g.floats(outs[i]), ReferenceOps.permute(x, X, permutations[i]));
            }
        }
    }

    @Test
    void transposeThenContSwapsTheFirstTwoAxes() {
        int[] ne = {5, 3, 1, 1};
        float[] x = uniform(new Random(93), product(ne));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne[0], ne[1]);
            Tensor y = g.output(g.cont(g.transpose(tx)));
            g.set(tx, x);
            g.compute();
            assertShape(y, 3, 5);
            double[] expected = new double[x.length];
            for (int r = 0; r < 3; r++) for (int c = 0; c < 5; c++) expected[c * 3 + r] = x[r * 5 + c];
            assertExactly("transpose", g.floats(y), expected);
        }
    }

    @Test
    void reshapeKeepsMemoryOrderAndContsANonContiguousSource() {
        float[] x = uniform(new Random(94), product(X));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", X[0], X[1], X[2], X[3]);
            Tensor flat = g.output(g.reshape(tx, 6, 20));
            // A permuted (non-contiguous) source: reshape must first make it contiguous.
            Tensor permuted = g.permute(tx, 1, 0, 2, 3);
            Tensor fromPermuted = g.output(g.reshape(permuted, 12, 10));
            Tensor back = g.output(g.reshape(g.reshape(tx, 120), X[0], X[1], X[2], X[3]));
            g.set(tx, x);
            g.compute();
            assertShape(flat, 6, 20);
            assertShape(fromPermuted, 12, 10);
            assertExactly("reshape contiguous", g.floats(flat), ReferenceOps.toDouble(x));
            assertExactly("reshape of a permutation", g.floats(fromPermuted), ReferenceOps.permute(x, X, 1, 0, 2, 3));
            assertExactly("reshape round trip", g.floats(back), ReferenceOps.toDouble(x));
        }
    }

    @Test
    void viewsSelectByOffsetAndStride() {
        int[] ne = {6, 5, 4, 1};
        float[] x = uniform(new Random(95), product(ne));
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", ne[0], ne[1], ne[2]);
            long nb1 = tx.nb(1), nb2 = tx.nb(2);
            // 1-D: 7 consecutive values from element 3.
            Tensor v1 = g.output(g.cont(g.view(tx, new long[] {7}, new long[0], 3 * 4)));
            // 2-D: rows 1..2, columns 2..4 of the first matrix.
            Tensor v2 = g.output(g.cont(g.view(tx, new long[] {3, 2}, new long[] {nb1}, nb1 + 2 * 4)));
            // 2-D with a stride: every other row, starting at row 1.
            Tensor v2s = g.output(g.cont(g.view(tx, new long[] {6, 2}, new long[] {2 * nb1}, nb1)));
            // 3-D: columns 1..2, all rows, matrices 0 and 2.
            Tensor v3 = g.output(g.cont(g.view(tx, new long[] {2, 5, 2}, new long[] {nb1, 2 * nb2}, 4)));
            // 4-D: matrix 3 as a [6, 5, 1, 1] block.
            Tensor v4 = g.output(g.cont(g.view(tx, new long[] {6, 5, 1, 1}, new long[] {nb1, nb2, nb2}, 3 * nb2)));
            g.set(tx, x);
            g.compute();
            assertExactly("view 1d", g.floats(v1), pick(x, ne, 7, 1, 1, (i0, i1, i2) -> 3 + i0));
            assertExactly("view 2d", g.floats(v2), pick(x, ne, 3, 2, 1, (i0, i1, i2) -> ReferenceOps.at(ne, 2 + i0, 1 + i1, 0, 0)));
            assertExactly("view 2d strided", g.floats(v2s), pick(x, ne, 6, 2, 1, (i0, i1, i2) -> ReferenceOps.at(ne, i0, 1 + 2 * i1, 0, 0)));
            assertExactly("view 3d", g.floats(v3), pick(x, ne, 2, 5, 2, (i0, i1, i2) -> ReferenceOps.at(ne, 1 + i0, i1, 2 * i2, 0)));
            assertExactly("view 4d", g.floats(v4), pick(x, ne, 6, 5, 1, (i0, i1, i2) -> ReferenceOps.at(ne, i0, i1, 3, 0)));
        }
    }

    private interface Index3 {
        int of(int i0, int i1, int i2);
    }

    private static double[] pick(float[] x, int[] ne, int n0, int n1, int n2, Index3 source) {
        double[] y = new double[n0 * n1 * n2];
        for (int i2 = 0; i2 < n2; i2++)
            for (int i1 = 0; i1 < n1; i1++)
                for (int i0 = 0; i0 < n0; i0++) y[i0 + n0 * (i1 + n1 * i2)] = x[source.of(i0, i1, i2)];
        return y;
    }

    @Test
    void castRoundsToNearestF16AndWidensExactly() {
        Random random = new Random(96);
        float[] x = uniform(random, 40, -70000, 70000);
        float[] special = {0.1f, -0f, 1e-6f, -3e-8f, 65504f, 65520f, -65536f, 1.0009766f, 2.0f / 3, Float.MIN_NORMAL};
        float[] all = java.util.Arrays.copyOf(x, x.length + special.length);
        System.arraycopy(special, 0, all, x.length, special.length);
        try (Graph g = newGraph()) {
            Tensor tx = g.inputF32("x", all.length);
            Tensor half = g.output(g.cast(tx, GgmlType.F16));
            Tensor h = g.input("h", GgmlType.F16, all.length);
            Tensor widened = g.output(g.cast(h, GgmlType.F32));
            g.set(tx, all);
            g.set(h, f16Bytes(all));
            g.compute();
            short[] bits = f16Output(half);
            for (int i = 0; i < all.length; i++) {
                assertThat(bits[i]).as("F32 → F16 of %s", all[i]).isEqualTo(HalfPrecision.floatToF16(all[i]));
            }
            double[] expected = new double[all.length];
            for (int i = 0; i < all.length; i++) expected[i] = HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(all[i]));
            float[] actual = g.floats(widened);
            for (int i = 0; i < all.length; i++) {
                assertThat(Float.floatToRawIntBits(actual[i])).as("F16 → F32 of %s", all[i]).isEqualTo(Float.floatToRawIntBits((float) expected[i]));
            }
        }
    }
}
