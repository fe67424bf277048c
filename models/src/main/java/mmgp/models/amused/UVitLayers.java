package mmgp.models.amused;

import java.util.Arrays;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Attention;
import mmgp.tensor.GgmlType;

/**
 * The leaf layers UVit2DModel is made of (nn.Linear, 1×1 nn.Conv2d, diffusers' RMSNorm and
 * LayerNorm, Attention with the default processor), over activations whose ne0 is the
 * feature / channel axis: [D, T, B] sequences or [C, W, H, B] token grids (PyTorch's
 * channels-last (B, H, W, C)).
 */
final class UVitLayers {
    private UVitLayers() {}

    /** A vector operand of add/mul as F32: ggml's CPU add/mul take no F16 second operand with F32 activations. */
    static Tensor f32(Graph g, Tensor t) {
        return t == null || t.type() == GgmlType.F32 ? t : g.cast(t, GgmlType.F32);
    }

    /**
     * Half {@code index} (0 or 1) of a [2D, B] embedding, as PyTorch's {@code chunk(2, dim=1)}
     * gives it, made contiguous [D, B] so that scale and friends accept it.
     */
    static Tensor chunk(Graph g, Tensor emb, int index) {
        long d = emb.ne(0) / 2;
        Tensor half = g.view(emb, new long[] {d, emb.ne(1)}, new long[] {emb.nb(1)}, index * d * emb.nb(0));
        return g.cont(half);
    }

    /** nn.Linear (weight [in, out] in ggml order), or a 1×1 nn.Conv2d applied to channels-last tokens. */
    record Linear(Tensor weight, Tensor bias) {
        static Linear load(WeightSet w, String name, int in, int out, boolean bias) {
            return new Linear(w.get(name + ".weight", in, out), bias ? w.get(name + ".bias", out) : null);
        }

        /** A 1×1 conv: its [1, 1, in, out] kernel is the same bytes as a Linear's [in, out]. */
        static Linear loadConv1x1(WeightSet w, String name, int in, int out, boolean bias) {
            w.get(name + ".weight", 1, 1, in, out);
            Tensor k = w.get(name + ".weight");
            return new Linear(k, bias ? w.get(name + ".bias", out) : null);
        }

        Tensor forward(Graph g, Tensor x) {
            Tensor wt = weight.ne(2) > 1 || weight.ne(3) > 1 ? g.reshape(weight, weight.ne(2), weight.ne(3)) : weight;
            Tensor y = g.mulMat(wt, x);
            return bias == null ? y : g.add(y, f32(g, bias));
        }
    }

    /** diffusers' RMSNorm: x·rsqrt(mean(x²) + eps), then ·weight (+ bias) when elementwise_affine. */
    record RmsNorm(Tensor weight, Tensor bias, float eps) {
        static RmsNorm load(WeightSet w, String name, int dim, double eps, boolean affine, boolean bias) {
            return new RmsNorm(affine ? w.get(name + ".weight", dim) : null,
                    affine && bias ? w.get(name + ".bias", dim) : null, (float) eps);
        }

        Tensor forward(Graph g, Tensor x) {
            Tensor y = g.rmsNorm(x, eps);
            if (weight != null) y = g.mul(y, f32(g, weight));
            if (bias != null) y = g.add(y, f32(g, bias));
            return y;
        }
    }

    /** nn.LayerNorm / diffusers' LayerNorm with an optional bias. */
    record LayerNorm(Tensor weight, Tensor bias, float eps) {
        static LayerNorm load(WeightSet w, String name, int dim, double eps, boolean affine, boolean bias) {
            return new LayerNorm(affine ? w.get(name + ".weight", dim) : null,
                    affine && bias ? w.get(name + ".bias", dim) : null, (float) eps);
        }

        Tensor forward(Graph g, Tensor x) {
            return g.layerNorm(x, f32(g, weight), f32(g, bias), eps);
        }
    }

    /**
     * diffusers' Attention with AttnProcessor2_0 and no extras (no qk-norm, no residual, no
     * rescale): to_q(x), to_k/to_v(context), softmax(q·kᵀ/√head_dim)·v per head, to_out.0.
     */
    record Attn(Linear toQ, Linear toK, Linear toV, Linear toOut, int heads) {
        static Attn load(WeightSet w, String name, int queryDim, int crossDim, int heads, int headDim, boolean bias, boolean outBias) {
            int inner = heads * headDim;
            return new Attn(
                    Linear.load(w, name + ".to_q", queryDim, inner, bias),
                    Linear.load(w, name + ".to_k", crossDim, inner, bias),
                    Linear.load(w, name + ".to_v", crossDim, inner, bias),
                    Linear.load(w, name + ".to_out.0", inner, queryDim, outBias),
                    heads);
        }

        /** x [Dq, Tq, B], context [Dc, Tk, B] (x itself for self-attention) → [Dq, Tq, B]. */
        Tensor forward(Graph g, Tensor x, Tensor context) {
            Tensor q = toQ.forward(g, x), k = toK.forward(g, context), v = toV.forward(g, context);
            return toOut.forward(g, Attention.multiHead(g, q, k, v, heads, null));
        }
    }
}
