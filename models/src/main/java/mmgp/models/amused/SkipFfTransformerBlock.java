package mmgp.models.amused;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Attention;
import mmgp.graph.nn.Linear;
import mmgp.graph.nn.RmsNorm;

/**
 * diffusers' {@code SkipFFTransformerBlock} as UVitBlock builds it: two pre-RMSNorm attention
 * layers, both attending to the (kv-mapped) text states, and no feed-forward. Tokens are
 * [C, T, B].
 */
final class SkipFfTransformerBlock {
    /** RMSNorm(dim, 1e-06): this block ignores layer_norm_eps and ln_elementwise_affine. */
    static final double NORM_EPS = 1e-6;

    private final Linear kvMapper; // hidden → C after silu; absent when hidden_size == C
    private final RmsNorm norm1, norm2;
    private final Attention attn1, attn2;

    SkipFfTransformerBlock(UVit2DConfig c, WeightSet w, String name) {
        int ch = c.blockOutChannels(), heads = c.blockNumHeads(), headDim = c.blockHeadDim();
        kvMapper = c.hiddenSize() != ch ? Linear.load(w, name + ".kv_mapper", c.hiddenSize(), ch, c.useBias()) : null;
        norm1 = RmsNorm.load(w, name + ".norm1", ch, NORM_EPS, true, false);
        attn1 = Attention.load(w, name + ".attn1", ch, ch, heads, headDim, c.useBias(), c.useBias());
        norm2 = RmsNorm.load(w, name + ".norm2", ch, NORM_EPS, true, false);
        attn2 = Attention.load(w, name + ".attn2", ch, ch, heads, headDim, c.useBias(), c.useBias());
    }

    /** x [C, T, B]; encoderHiddenStates [hidden, Tenc, B] (already projected and normed). */
    Tensor forward(Graph g, Tensor x, Tensor encoderHiddenStates) {
        Tensor context = kvMapper == null ? encoderHiddenStates : kvMapper.forward(g, g.silu(encoderHiddenStates));
        x = g.add(attn1.forward(g, norm1.forward(g, x), context), x);
        return g.add(attn2.forward(g, norm2.forward(g, x), context), x);
    }
}
