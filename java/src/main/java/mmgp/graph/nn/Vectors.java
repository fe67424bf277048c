package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * Small learned vectors (biases, norm scales, modulation tables) as operands of element-wise
 * ops: ggml's CPU add and mul take no F16 or BF16 second operand next to F32 activations, so a
 * half-precision checkpoint's vectors are widened to F32 in the graph.
 */
public final class Vectors {
    private Vectors() {}

    /** {@code t} as F32: itself when it already is (or is null), else a cast. */
    public static Tensor f32(Graph g, Tensor t) {
        return t == null || t.type() == GgmlType.F32 ? t : g.cast(t, GgmlType.F32);
    }

    /**
     * {@code v} (C values) widened to F32 and laid along {@code axis} of a 4-D tensor, so that it
     * broadcasts one value per channel: axis 2 for images [W, H, C, B], axis 3 for videos
     * [W, H, F, C·B] (there it repeats over the batch rows of the channel axis).
     */
    public static Tensor perChannel(Graph g, Tensor v, int axis) {
        if (axis < 0 || axis > 3) throw new IllegalArgumentException("axis must be 0 to 3, got " + axis);
        long[] ne = {1, 1, 1, 1};
        ne[axis] = v.elements();
        return g.reshape(f32(g, v), ne);
    }

    /**
     * {@code v} as mmgp's custom ops read a per-channel vector: 1-D, F32 or F16 (another type cast to
     * F32), elements contiguous.
     */
    public static Tensor contiguous(Graph g, Tensor v) {
        Tensor t = v.type() == GgmlType.F32 || v.type() == GgmlType.F16 ? v : g.cast(v, GgmlType.F32);
        return g.reshape(t.nb(0) == t.type().rowBytes(1) ? t : g.cont(t), t.elements());
    }
}
