package mmgp.models.ltx;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Attention;
import mmgp.tensor.GgmlType;

/**
 * diffusers' {@code LTXVideoTransformerBlock}: RMS-normed self-attention with rotary q/k, cross
 * attention to the caption states (on the un-normed stream, ungated), and a GELU feed-forward,
 * with shift / scale / gate for the self-attention and feed-forward taken from
 * scale_shift_table + temb. Tokens are [D, T, B].
 */
final class LtxTransformerBlock {
    /** The q/k norms are RMSNorm(inner_dim) built with Attention's default eps, not norm_eps. */
    static final float QK_NORM_EPS = 1e-5f;

    private final Tensor norm1Weight, norm2Weight; // null unless norm_elementwise_affine
    private final float eps;
    private final LtxAttention attn1, attn2;
    private final Linear ffProj; // ff.net.0.proj: D → 4D
    private final Linear ffOut;  // ff.net.2: 4D → D
    private final boolean geluTanh;
    private final Tensor scaleShiftTable; // [D, 6]: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp

    LtxTransformerBlock(LtxTransformerConfig c, WeightSet w, String name) {
        int d = c.innerDim();
        boolean affine = c.normElementwiseAffine();
        eps = (float) c.normEps();
        norm1Weight = affine ? w.get(name + ".norm1.weight", d) : null;
        attn1 = LtxAttention.load(w, name + ".attn1", d, d, c.numAttentionHeads(), c.attentionBias(), c.attentionOutBias());
        norm2Weight = affine ? w.get(name + ".norm2.weight", d) : null;
        attn2 = LtxAttention.load(w, name + ".attn2", d, c.crossAttentionDim(), c.numAttentionHeads(), c.attentionBias(), c.attentionOutBias());
        ffProj = Linear.load(w, name + ".ff.net.0.proj", d, c.ffInnerDim(), true);
        ffOut = Linear.load(w, name + ".ff.net.2", c.ffInnerDim(), d, true);
        geluTanh = c.activationFn().equals("gelu-approximate");
        scaleShiftTable = w.get(name + ".scale_shift_table", d, 6);
    }

    /**
     * @param x                 [D, T, B]
     * @param encoderHiddenStates projected caption states [D, L, B]
     * @param temb              [6D, nt, B] with nt 1 (one timestep per sample) or T (one per token)
     * @param ropeCos           [D, T] (the same for every sample)
     * @param encoderBias       additive F32 [L, T, 1, B] for the cross-attention scores, or null
     */
    Tensor forward(Graph g, Tensor x, Tensor encoderHiddenStates, Tensor temb, Tensor ropeCos, Tensor ropeSin, Tensor encoderBias) {
        long d = x.ne(0), nt = temb.ne(1), b = temb.ne(2);
        // ada_values = scale_shift_table[None, None] + temb.reshape(B, nt, 6, D)
        Tensor ada = g.add(g.reshape(temb, d, 6, nt, b), f32(g, scaleShiftTable)); // [D, 6, nt, B]

        Tensor h = norm(g, x, norm1Weight);
        h = g.add(g.mul(h, onePlus(g, ada, 1)), chunk(g, ada, 0));
        Tensor attn = attn1.forward(g, h, h, ropeCos, ropeSin, null);
        x = g.add(x, g.mul(attn, chunk(g, ada, 2)));

        attn = attn2.forward(g, x, encoderHiddenStates, null, null, encoderBias);
        x = g.add(x, attn);

        h = norm(g, x, norm2Weight);
        h = g.add(g.mul(h, onePlus(g, ada, 4)), chunk(g, ada, 3));
        Tensor ff = ffProj.forward(g, h);
        ff = ffOut.forward(g, geluTanh ? g.geluTanh(ff) : g.gelu(ff));
        return g.add(x, g.mul(ff, chunk(g, ada, 5)));
    }

    /** RMSNorm(dim, eps, elementwise_affine) without bias. */
    private Tensor norm(Graph g, Tensor x, Tensor weight) {
        Tensor y = g.rmsNorm(x, eps);
        return weight == null ? y : g.mul(y, f32(g, weight));
    }

    /** Modulation {@code i} of [D, 6, nt, B] as a [D, nt, B] view (rows stay contiguous, so add/mul broadcast it). */
    static Tensor chunk(Graph g, Tensor ada, int i) {
        return g.view(ada, new long[] {ada.ne(0), ada.ne(2), ada.ne(3)}, new long[] {ada.nb(2), ada.nb(3)}, i * ada.nb(1));
    }

    /** 1 + modulation {@code i}, as the reference rounds it (scale wants a contiguous operand). */
    static Tensor onePlus(Graph g, Tensor ada, int i) {
        return g.scaleBias(g.cont(chunk(g, ada, i)), 1f, 1f);
    }

    /** A vector operand of add/mul as F32: ggml's CPU add/mul take no F16/BF16 second operand with F32 activations. */
    static Tensor f32(Graph g, Tensor t) {
        return t == null || t.type() == GgmlType.F32 ? t : g.cast(t, GgmlType.F32);
    }

    /** nn.Linear with weight [in, out] in ggml order. */
    record Linear(Tensor weight, Tensor bias) {
        static Linear load(WeightSet w, String name, int in, int out, boolean bias) {
            return new Linear(w.get(name + ".weight", in, out), bias ? w.get(name + ".bias", out) : null);
        }

        Tensor forward(Graph g, Tensor x) {
            Tensor y = g.mulMat(weight, x);
            return bias == null ? y : g.add(y, f32(g, bias));
        }
    }

    /**
     * diffusers' Attention with LTXVideoAttentionProcessor2_0: to_q / to_k / to_v, RMSNorm over
     * the whole inner_dim of q and of k (with weight), rotary embedding of q and k when given,
     * softmax(q·kᵀ/√head_dim + bias)·v per head, to_out.0.
     */
    record LtxAttention(Linear toQ, Linear toK, Linear toV, Linear toOut, Tensor normQ, Tensor normK, int heads) {
        static LtxAttention load(WeightSet w, String name, int queryDim, int crossDim, int heads, boolean bias, boolean outBias) {
            int inner = queryDim; // heads × head_dim = inner_dim = query_dim in LTX
            return new LtxAttention(
                    Linear.load(w, name + ".to_q", queryDim, inner, bias),
                    Linear.load(w, name + ".to_k", crossDim, inner, bias),
                    Linear.load(w, name + ".to_v", crossDim, inner, bias),
                    Linear.load(w, name + ".to_out.0", inner, queryDim, outBias),
                    w.get(name + ".norm_q.weight", inner),
                    w.get(name + ".norm_k.weight", inner),
                    heads);
        }

        /** x [D, Tq, B], context [Dc, Tk, B]; cos/sin [D, Tq] or null; bias [Tk, Tq, 1, B] or null → [D, Tq, B]. */
        Tensor forward(Graph g, Tensor x, Tensor context, Tensor cos, Tensor sin, Tensor bias) {
            Tensor q = g.mul(g.rmsNorm(toQ.forward(g, x), QK_NORM_EPS), f32(g, normQ));
            Tensor k = g.mul(g.rmsNorm(toK.forward(g, context), QK_NORM_EPS), f32(g, normK));
            Tensor v = toV.forward(g, context);
            if (cos != null) {
                q = g.rotaryInterleaved(q, cos, sin);
                k = g.rotaryInterleaved(k, cos, sin);
            }
            return toOut.forward(g, Attention.multiHead(g, q, k, v, heads, bias));
        }
    }
}
