package mmgp.models.ltx;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Attention;
import mmgp.graph.nn.FeedForward;
import mmgp.graph.nn.RmsNorm;
import mmgp.graph.nn.Vectors;

/**
 * diffusers' {@code LTXVideoTransformerBlock}: RMS-normed self-attention with rotary q/k, cross
 * attention to the caption states (on the un-normed stream, ungated), and a GELU feed-forward,
 * with shift / scale / gate for the self-attention and feed-forward taken from
 * scale_shift_table + temb. Tokens are [D, T, B].
 *
 * <p>Both attentions are diffusers' Attention with LTXVideoAttentionProcessor2_0: to_q / to_k /
 * to_v, RMSNorm over the whole inner_dim of q and of k (with weight), rotary embedding of q and
 * k when given, softmax(q·kᵀ/√head_dim + bias)·v per head, to_out.0.
 */
final class LtxTransformerBlock {
    /** The q/k norms are RMSNorm(inner_dim) built with Attention's default eps, not norm_eps. */
    static final float QK_NORM_EPS = 1e-5f;

    private final RmsNorm norm1, norm2; // weights only with norm_elementwise_affine
    private final Attention attn1, attn2;
    private final FeedForward ff;       // ff.net.0.proj: D → ff_inner, ff.net.2 back
    private final Tensor scaleShiftTable; // [D, 6]: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp

    LtxTransformerBlock(LtxTransformerConfig c, WeightSet w, String name) {
        int d = c.innerDim();
        boolean affine = c.normElementwiseAffine();
        double eps = c.normEps();
        norm1 = RmsNorm.load(w, name + ".norm1", d, eps, affine, false);
        attn1 = attention(w, name + ".attn1", d, d, c);
        norm2 = RmsNorm.load(w, name + ".norm2", d, eps, affine, false);
        attn2 = attention(w, name + ".attn2", d, c.crossAttentionDim(), c);
        ff = FeedForward.loadDiffusers(w, name + ".ff", d, c.ffInnerDim(), c.activationFn(), true);
        scaleShiftTable = w.get(name + ".scale_shift_table", d, 6);
    }

    /** heads × head_dim = inner_dim = query_dim in LTX; qk_norm "rms_norm_across_heads". */
    private static Attention attention(WeightSet w, String name, int queryDim, int crossDim, LtxTransformerConfig c) {
        int heads = c.numAttentionHeads();
        return Attention.load(w, name, queryDim, crossDim, heads, queryDim / heads, c.attentionBias(), c.attentionOutBias())
                .withQkNorm(RmsNorm.load(w, name + ".norm_q", queryDim, QK_NORM_EPS, true, false),
                        RmsNorm.load(w, name + ".norm_k", queryDim, QK_NORM_EPS, true, false));
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
        Tensor ada = g.add(g.reshape(temb, d, 6, nt, b), Vectors.f32(g, scaleShiftTable)); // [D, 6, nt, B]

        Tensor h = norm1.forward(g, x);
        h = g.add(g.mul(h, onePlus(g, ada, 1)), chunk(g, ada, 0));
        Tensor attn = attn1.forward(g, h, h, ropeCos, ropeSin, null, null);
        x = g.add(x, g.mul(attn, chunk(g, ada, 2)));

        attn = attn2.forward(g, x, encoderHiddenStates, encoderBias);
        x = g.add(x, attn);

        h = norm2.forward(g, x);
        h = g.add(g.mul(h, onePlus(g, ada, 4)), chunk(g, ada, 3));
        return g.add(x, g.mul(ff.forward(g, h), chunk(g, ada, 5)));
    }

    /** Modulation {@code i} of [D, 6, nt, B] as a [D, nt, B] view (rows stay contiguous, so add/mul broadcast it). */
    static Tensor chunk(Graph g, Tensor ada, int i) {
        return g.view(ada, new long[] {ada.ne(0), ada.ne(2), ada.ne(3)}, new long[] {ada.nb(2), ada.nb(3)}, i * ada.nb(1));
    }

    /** 1 + modulation {@code i}, as the reference rounds it (scale wants a contiguous operand). */
    static Tensor onePlus(Graph g, Tensor ada, int i) {
        return g.scaleBias(g.cont(chunk(g, ada, i)), 1f, 1f);
    }
}
