package mmgp.models.amused;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Linear;
import mmgp.graph.nn.RmsNorm;
import mmgp.graph.nn.Vectors;

/**
 * diffusers' uvit_2d {@code ConvNextBlock}: depthwise 3×3 conv, RMSNorm, Linear ×4, GELU,
 * GlobalResponseNorm, Linear back, residual, then a FiLM-style scale/shift from the pooled
 * condition. Works on channels-last token grids [C, W, H, B], where every step but the
 * depthwise conv acts on ne0 and needs no transposition.
 */
final class ConvNextBlock {
    /** res_ffn_factor, fixed in UVitBlock. */
    static final int RES_FFN_FACTOR = 4;
    /** GlobalResponseNorm's hard-coded epsilon. */
    static final float GRN_EPS = 1e-6f;

    private final Tensor depthwise;     // [3, 3, 1, C] (groups = C)
    private final Tensor depthwiseBias; // [C] or null
    private final RmsNorm norm;
    private final Linear channelwiseLinear1;
    private final Tensor channelwiseNormGamma; // [4C, 1, 1, 1] (PyTorch [1, 1, 1, 4C])
    private final Tensor channelwiseNormBeta;
    private final Linear channelwiseLinear2;
    private final Linear condEmbedsMapper; // hidden → 2C: scale, shift

    ConvNextBlock(UVit2DConfig c, WeightSet w, String name) {
        int ch = c.blockOutChannels(), wide = ch * RES_FFN_FACTOR;
        depthwise = w.get(name + ".depthwise.weight", 3, 3, 1, ch);
        depthwiseBias = c.useBias() ? w.get(name + ".depthwise.bias", ch) : null;
        norm = RmsNorm.load(w, name + ".norm", ch, c.layerNormEps(), c.lnElementwiseAffine(), false);
        channelwiseLinear1 = Linear.load(w, name + ".channelwise_linear_1", ch, wide, c.useBias());
        channelwiseNormGamma = w.get(name + ".channelwise_norm.gamma", wide, 1, 1, 1);
        channelwiseNormBeta = w.get(name + ".channelwise_norm.beta", wide, 1, 1, 1);
        channelwiseLinear2 = Linear.load(w, name + ".channelwise_linear_2", wide, ch, c.useBias());
        condEmbedsMapper = Linear.load(w, name + ".cond_embeds_mapper", c.hiddenSize(), ch * 2, c.useBias());
    }

    /** x [C, W, H, B]; condSilu = silu(pooled cond) [hidden, B], shared by every block. */
    Tensor forward(Graph g, Tensor x, Tensor condSilu) {
        Tensor res = x;
        Tensor h = depthwise3x3(g, x, depthwise, depthwiseBias);
        h = norm.forward(g, h);
        h = channelwiseLinear1.forward(g, h);
        h = g.gelu(h); // nn.GELU(): erf form
        h = globalResponseNorm(g, h, channelwiseNormGamma, channelwiseNormBeta);
        h = channelwiseLinear2.forward(g, h);
        h = g.add(h, res);

        long ch = x.ne(0), b = x.ne(3);
        Tensor emb = condEmbedsMapper.forward(g, condSilu); // [2C, B]
        Tensor scale = g.reshape(UVit2D.chunk(g, emb, 0), ch, 1, 1, b);
        Tensor shift = g.reshape(UVit2D.chunk(g, emb, 1), ch, 1, 1, b);
        return g.add(g.mul(h, g.scaleBias(scale, 1f, 1f)), shift);
    }

    /**
     * nn.Conv2d(C, C, 3, padding=1, groups=C) on channels-last tokens: each of the nine taps is
     * a shifted window of the zero-padded grid times that tap's per-channel weight, so the
     * channel axis stays fastest and no im2col buffer is needed.
     */
    static Tensor depthwise3x3(Graph g, Tensor x, Tensor kernel, Tensor bias) {
        long c = x.ne(0), w = x.ne(1), h = x.ne(2), b = x.ne(3);
        Tensor taps = g.cont(g.transpose(g.reshape(Vectors.f32(g, kernel), 9, c))); // [C, 9]: tap kh·3+kw
        Tensor xp = g.padExt(x, 0, 0, 1, 1, 1, 1);                                       // [C, W+2, H+2, B]
        Tensor acc = null;
        for (int kh = 0; kh < 3; kh++) {
            for (int kw = 0; kw < 3; kw++) {
                Tensor window = g.view(xp, new long[] {c, w, h, b}, new long[] {xp.nb(1), xp.nb(2), xp.nb(3)},
                        kw * xp.nb(1) + kh * xp.nb(2));
                Tensor tap = g.view(taps, new long[] {c}, new long[0], (kh * 3L + kw) * taps.nb(1));
                Tensor term = g.mul(window, tap);
                acc = acc == null ? term : g.add(acc, term);
            }
        }
        return bias == null ? acc : g.add(acc, Vectors.f32(g, bias));
    }

    /**
     * GlobalResponseNorm over channels-last x [C, W, H, B]: gx = ‖x‖₂ over the grid per
     * channel, nx = gx / (mean_C gx + 1e-6), out = γ·(x·nx) + β + x.
     */
    static Tensor globalResponseNorm(Graph g, Tensor x, Tensor gamma, Tensor beta) {
        long c = x.ne(0), n = x.ne(1) * x.ne(2), b = x.ne(3);
        // Sum over the grid: bring the W·H axis to ne0 so sum_rows reduces it.
        Tensor sq = g.cont(g.permute(g.reshape(g.sqr(x), c, n, b), 1, 0, 2, 3)); // [W·H, C, B]
        Tensor gx = g.reshape(g.sqrt(g.sumRows(sq)), c, b);                          // [C, B]
        Tensor denom = g.scaleBias(g.mean(gx), 1f, GRN_EPS);                          // [1, B]
        Tensor nx = g.reshape(g.div(gx, denom), c, 1, 1, b);
        Tensor y = g.mul(g.mul(x, nx), Vectors.f32(g, gamma));
        return g.add(g.add(y, Vectors.f32(g, beta)), x);
    }
}
