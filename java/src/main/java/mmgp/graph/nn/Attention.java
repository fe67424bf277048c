package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * Multi-head scaled-dot-product attention as the PyTorch models compute it
 * (softmax(q·kᵀ/√d + mask)·v per head), built from exact fp32 ops so golden tests hold at 1e-4.
 * Layouts are ggml order: a sequence of T tokens of width D for B items is [D, T, B].
 */
public final class Attention {
    private Attention() {}

    /**
     * q [D, Tq, B], k and v [D, Tk, B] with D = heads·headDim (already projected); mask is an
     * additive F32 [Tk, Tq] (broadcast over heads and batch) or [Tk, Tq, 1, B] tensor, or null.
     * Returns [D, Tq, B] with heads concatenated as PyTorch's reshape does.
     */
    public static Tensor multiHead(Graph g, Tensor q, Tensor k, Tensor v, int heads, Tensor mask) {
        long d = q.ne(0), tq = q.ne(1), tk = k.ne(1), b = q.ne(2);
        if (d % heads != 0) throw new IllegalArgumentException("width " + d + " is not divisible by " + heads + " heads");
        long hd = d / heads;
        Tensor q4 = g.permute(g.reshape(q, hd, heads, tq, b), 0, 2, 1, 3);        // [hd, Tq, H, B]
        Tensor k4 = g.permute(g.reshape(k, hd, heads, tk, b), 0, 2, 1, 3);        // [hd, Tk, H, B]
        Tensor vt = g.cont(g.permute(g.reshape(v, hd, heads, tk, b), 1, 2, 0, 3)); // [Tk, hd, H, B]
        Tensor scores = g.mulMat(k4, q4);                                          // [Tk, Tq, H, B]
        Tensor probs = g.softMax(scores, mask, (float) (1.0 / Math.sqrt(hd)));
        Tensor out = g.mulMat(vt, probs);                                          // [hd, Tq, H, B]
        return g.reshape(g.cont(g.permute(out, 0, 2, 1, 3)), d, tq, b);            // [D, Tq, B]
    }

    /** An input holding the causal mask for T tokens: 0 on and below the diagonal, −∞ above. */
    public static Tensor causalMask(Graph g, String name, int t) {
        Tensor mask = g.input(name, GgmlType.F32, t, t);
        float[] m = new float[t * t];
        for (int row = 0; row < t; row++)
            for (int col = row + 1; col < t; col++) m[row * t + col] = Float.NEGATIVE_INFINITY;
        g.set(mask, m);
        return mask;
    }
}
