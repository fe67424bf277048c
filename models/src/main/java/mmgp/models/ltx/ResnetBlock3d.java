package mmgp.models.ltx;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' LTXVideoResnetBlock3d without timestep conditioning or noise injection:
 * norm1 → SiLU → conv1 → norm2 → SiLU → (dropout: identity) → conv2, plus the input, which
 * goes through norm3 (LayerNorm) and a 1×1×1 conv_shortcut when the channel count changes.
 * norm1/norm2 are RMSNorm(eps=1e-8) without affine, over the channels — diffusers builds
 * them with elementwise_affine=False and the decoder never passes True.
 */
final class ResnetBlock3d {
    /** LTXVideoResnetBlock3d hard-codes eps=1e-8 for its RMSNorms; resnet_norm_eps only reaches norm3. */
    static final float RMS_EPS = 1e-8f;

    private final int in, out;
    private final CausalConv3d conv1, conv2, convShortcut;
    private final Tensor norm3Weight, norm3Bias;
    private final float eps;

    ResnetBlock3d(WeightSet weights, String name, int in, int out, float eps, CausalConv3d.Options conv) {
        this.in = in;
        this.out = out;
        this.eps = eps;
        this.conv1 = new CausalConv3d(weights, name + ".conv1", in, out, 3, conv);
        this.conv2 = new CausalConv3d(weights, name + ".conv2", out, out, 3, conv);
        if (in != out) {
            this.norm3Weight = weights.get(name + ".norm3.weight", in);
            this.norm3Bias = weights.get(name + ".norm3.bias", in);
            this.convShortcut = new CausalConv3d(weights, name + ".conv_shortcut", in, out, 1, conv);
        } else {
            this.norm3Weight = null;
            this.norm3Bias = null;
            this.convShortcut = null;
        }
    }

    /** x [W, H, F, in·B] → [W, H, F, out·B]. */
    Tensor forward(Graph g, Tensor x) {
        Tensor h = conv1.forward(g, Layers3d.rmsNormSilu(g, x, in, RMS_EPS));
        h = conv2.forward(g, Layers3d.rmsNormSilu(g, h, out, RMS_EPS));
        Tensor shortcut = x;
        if (convShortcut != null) shortcut = convShortcut.forward(g, Layers3d.layerNorm(g, x, in, norm3Weight, norm3Bias, eps));
        return g.add(h, shortcut);
    }
}
