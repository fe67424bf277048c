package mmgp.models.ltx;

import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.LayerNorm;
import mmgp.graph.nn.Vectors;

/**
 * diffusers' LTXVideoResnetBlock3d: norm1 → SiLU → conv1 → norm2 → SiLU → (dropout: identity)
 * → conv2, plus the input, which goes through norm3 (LayerNorm) and a 1×1×1 conv_shortcut
 * when the channel count changes. norm1/norm2 are RMSNorm(eps=1e-8) without affine, over the
 * channels — diffusers builds them with elementwise_affine=False and the VAE never passes True.
 *
 * <p>With timestep conditioning (0.9.1/0.9.5 decoders) the block's time embedding plus its
 * {@code scale_shift_table} gives (shift1, scale1, shift2, scale2), applied after norm1 and
 * norm2 as {@code x·(1 + scale) + shift}. With noise injection (0.9.1 decoders) a standard
 * normal (H, W) plane, scaled per channel by {@code per_channel_scale1/2}, is added after conv1
 * and after conv2, the same for every frame and batch row; the planes are graph inputs the
 * caller fills.
 */
final class ResnetBlock3d {
    /** LTXVideoResnetBlock3d hard-codes eps=1e-8 for its RMSNorms; resnet_norm_eps only reaches norm3. */
    static final float RMS_EPS = 1e-8f;

    private final String name;
    private final int in, out;
    private final CausalConv3d conv1, conv2, convShortcut;
    private final LayerNorm norm3; // over the channels; null unless the width changes
    private final Tensor scaleShiftTable, perChannelScale1, perChannelScale2;

    /** An unconditioned block without noise (every encoder resnet, the 0.9.0 decoder's). */
    ResnetBlock3d(WeightSet weights, String name, int in, int out, float eps, CausalConv3d.Options conv) {
        this(weights, name, in, out, eps, conv, false, false);
    }

    ResnetBlock3d(WeightSet weights, String name, int in, int out, float eps, CausalConv3d.Options conv,
            boolean timestepConditioning, boolean injectNoise) {
        if (injectNoise && in != out) {
            // per_channel_scale1 has in_channels entries but scales conv1's out_channels: torch cannot broadcast it either.
            throw new IllegalArgumentException(name + ": noise injection in a resnet that changes the width (" + in + " → " + out
                    + ") cannot run: per_channel_scale1 has " + in + " channels but conv1 produces " + out);
        }
        this.name = name;
        this.in = in;
        this.out = out;
        this.conv1 = new CausalConv3d(weights, name + ".conv1", in, out, 3, conv);
        this.conv2 = new CausalConv3d(weights, name + ".conv2", out, out, 3, conv);
        if (in != out) {
            this.norm3 = LayerNorm.load(weights, name + ".norm3", in, eps, true, true);
            this.convShortcut = new CausalConv3d(weights, name + ".conv_shortcut", in, out, 1, conv);
        } else {
            this.norm3 = null;
            this.convShortcut = null;
        }
        // torch (4, C) → ggml [C, 4]; (C, 1, 1) → ggml [1, 1, C].
        this.scaleShiftTable = timestepConditioning ? weights.get(name + ".scale_shift_table", in, 4) : null;
        this.perChannelScale1 = injectNoise ? weights.get(name + ".per_channel_scale1", 1, 1, in) : null;
        this.perChannelScale2 = injectNoise ? weights.get(name + ".per_channel_scale2", 1, 1, in) : null;
    }

    boolean injectsNoise() {
        return perChannelScale1 != null;
    }

    /** x [W, H, F, in·B] → [W, H, F, out·B], unconditioned and without noise. */
    Tensor forward(Graph g, Tensor x) {
        return forward(g, x, null, null);
    }

    /**
     * @param temb  the enclosing block's time embedding [4·in, B] (PyTorch (B, 4·in)); required
     *              exactly when the block is timestep-conditioned
     * @param noise receives the two noise inputs [W, H] (conv1's, then conv2's) this block creates
     *              when it injects noise; may be null otherwise
     */
    Tensor forward(Graph g, Tensor x, Tensor temb, List<Tensor> noise) {
        if ((scaleShiftTable != null) != (temb != null)) {
            throw new IllegalArgumentException(name + (temb == null ? " is timestep-conditioned and needs a time embedding"
                    : " is not timestep-conditioned but was given a time embedding"));
        }
        Tensor[] mod = temb == null ? new Tensor[4] : Layers3d.modulation(g, temb, scaleShiftTable, in, 4); // shift1, scale1, shift2, scale2
        Tensor h = conv1.forward(g, Layers3d.rmsNormModulateSilu(g, x, in, RMS_EPS, mod[0], mod[1]));
        h = addNoise(g, h, perChannelScale1, noise, ".noise1");
        h = conv2.forward(g, Layers3d.rmsNormModulateSilu(g, h, out, RMS_EPS, mod[2], mod[3]));
        h = addNoise(g, h, perChannelScale2, noise, ".noise2");
        Tensor shortcut = x;
        if (convShortcut != null) shortcut = convShortcut.forward(g, Layers3d.layerNorm(g, x, in, norm3));
        return g.add(h, shortcut);
    }

    /** {@code h + (spatial_noise · per_channel_scale)[None, :, None]}: one (H, W) plane for all frames and batch rows. */
    private Tensor addNoise(Graph g, Tensor h, Tensor scale, List<Tensor> noise, String suffix) {
        if (scale == null) return h;
        if (noise == null) throw new IllegalArgumentException(name + " injects noise; the caller must collect its noise inputs");
        Tensor plane = g.inputF32(name + suffix, h.ne(0), h.ne(1));
        noise.add(plane);
        // (noise · scale) as [W, H, 1, C·B]: the plane repeated per channel and batch row (channel
        // index b·C + c, so the [1, 1, 1, C] scale broadcasts row by row), then added to every frame.
        Tensor tiled = g.repeat(g.reshape(plane, h.ne(0), h.ne(1), 1, 1), Layers3d.frames(g, h, 0, 1));
        return g.add(h, g.mul(tiled, Vectors.perChannel(g, scale, 3)));
    }
}
