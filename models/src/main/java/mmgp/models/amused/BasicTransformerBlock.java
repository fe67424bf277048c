package mmgp.models.amused;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Attention;
import mmgp.graph.nn.FeedForward;
import mmgp.graph.nn.LayerNorm;
import mmgp.graph.nn.Linear;
import mmgp.graph.nn.RmsNorm;

/**
 * diffusers' {@code BasicTransformerBlock} in the configuration UVit2DModel uses:
 * norm_type "ada_norm_continuous" (RMSNorm for the two attentions, LayerNorm before the
 * feed-forward, each scaled and shifted by the pooled condition), self-attention, cross-attention
 * to the text states, and a GEGLU feed-forward. Tokens are [D, T, B].
 */
final class BasicTransformerBlock {
    private final AdaLayerNormContinuous norm1, norm2, norm3;
    private final Attention attn1, attn2;
    private final FeedForward ff; // activation_fn "geglu": net.0.proj D → 2·intermediate (hidden half, gate half), net.2 back

    /**
     * AdaLayerNormContinuous: norm(x)·(1 + scale) + shift with (scale, shift) =
     * linear(silu(cond)).chunk(2); exactly one of rms / ln is set.
     */
    record AdaLayerNormContinuous(Linear linear, RmsNorm rms, LayerNorm ln) {
        Tensor forward(Graph g, Tensor x, Tensor condSilu) {
            long d = x.ne(0), b = x.ne(2);
            Tensor emb = linear.forward(g, condSilu); // [2D, B]
            Tensor scale = g.reshape(UVit2D.chunk(g, emb, 0), d, 1, b);
            Tensor shift = g.reshape(UVit2D.chunk(g, emb, 1), d, 1, b);
            Tensor normed = rms != null ? rms.forward(g, x) : ln.forward(g, x);
            return g.add(g.mul(normed, g.scaleBias(scale, 1f, 1f)), shift);
        }
    }

    BasicTransformerBlock(UVit2DConfig c, WeightSet w, String name) {
        int d = c.hiddenSize(), heads = c.numAttentionHeads(), headDim = c.headDim();
        boolean bias = c.useBias(), affine = c.lnElementwiseAffine();
        double eps = c.layerNormEps();
        norm1 = new AdaLayerNormContinuous(Linear.load(w, name + ".norm1.linear", d, 2 * d, bias),
                RmsNorm.load(w, name + ".norm1.norm", d, eps, affine, false), null);
        attn1 = Attention.load(w, name + ".attn1", d, d, heads, headDim, bias, bias);
        norm2 = new AdaLayerNormContinuous(Linear.load(w, name + ".norm2.linear", d, 2 * d, bias),
                RmsNorm.load(w, name + ".norm2.norm", d, eps, affine, false), null);
        attn2 = Attention.load(w, name + ".attn2", d, d, heads, headDim, bias, bias); // cross_attention_dim = hidden_size
        // norm3 is a LayerNorm whose bias follows ada_norm_bias (= use_bias).
        norm3 = new AdaLayerNormContinuous(Linear.load(w, name + ".norm3.linear", d, 2 * d, bias),
                null, LayerNorm.load(w, name + ".norm3.norm", d, eps, affine, bias));
        ff = FeedForward.loadDiffusers(w, name + ".ff", d, c.intermediateSize(), "geglu", bias);
    }

    /** x [D, T, B]; encoderHiddenStates [D, Tenc, B]; condSilu = silu(pooled cond) [D, B]. */
    Tensor forward(Graph g, Tensor x, Tensor encoderHiddenStates, Tensor condSilu) {
        Tensor h = norm1.forward(g, x, condSilu);
        x = g.add(attn1.forward(g, h, h), x);
        h = norm2.forward(g, x, condSilu);
        x = g.add(attn2.forward(g, h, encoderHiddenStates), x);
        h = norm3.forward(g, x, condSilu);
        return g.add(ff.forward(g, h), x);
    }
}
