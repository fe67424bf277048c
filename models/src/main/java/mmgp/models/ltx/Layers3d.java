package mmgp.models.ltx;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.nn.ChannelNorm;
import mmgp.graph.nn.LayerNorm;
import mmgp.graph.nn.Vectors;

/**
 * The leaf operations of the LTX video VAE over activations laid out ggml [W, H, F, C·B]
 * (PyTorch (B, C, F, H, W) in memory, the layout Graph.conv3d reads and writes): norms over
 * the channel axis (optionally modulated per batch row), depth-to-space
 * and space-to-depth, frame slicing.
 */
final class Layers3d {
    private Layers3d() {}

    /**
     * diffusers' {@code RMSNorm(C, eps, elementwise_affine=False)} applied as LTX does it,
     * {@code norm(x.movedim(1, -1)).movedim(-1, 1)}: x·rsqrt(mean over channels of x² + eps),
     * then SiLU (every LTX norm of this kind is followed by one). See {@link #rmsNormModulateSilu}
     * for the routes.
     */
    static Tensor rmsNormSilu(Graph g, Tensor x, int channels, float eps) {
        return rmsNormModulateSilu(g, x, channels, eps, null, null);
    }

    /**
     * As {@link #rmsNormSilu} with the timestep-conditioned decoder's modulation between the norm
     * and the SiLU: {@code x·(1 + scale) + shift}, where {@code shift} and {@code scale} are
     * [C, 1, B], one vector per batch row (see {@link #modulation}). Null shift and scale
     * give {@link #rmsNormSilu}. On the fused route ({@link ChannelNorm#fusedRoute}) one op reads
     * and writes [W, H, F, C·B]; otherwise ggml normalises along ne0 only, so the channels are
     * brought to the front and back, with the modulation and SiLU (elementwise) in between.
     */
    static Tensor rmsNormModulateSilu(Graph g, Tensor x, int channels, float eps, Tensor shift, Tensor scale) {
        if (ChannelNorm.fusedRoute(g) && ChannelNorm.fits(x)) {
            return ChannelNorm.apply(g, x, channels, ChannelNorm.Kind.RMS, eps, null, null, shift, scale, true);
        }
        return fromChannelsFirst(g, g.silu(modulate(g, g.rmsNorm(toChannelsFirst(g, x, channels), eps), shift, scale)), x);
    }

    /** {@code y·(1 + scale) + shift} over channels-first y [C, P, B], in torch's order of float operations. */
    static Tensor modulate(Graph g, Tensor y, Tensor shift, Tensor scale) {
        if (scale == null) return y;
        return g.add(g.mul(y, g.scaleBias(scale, 1f, 1f)), shift);
    }

    /**
     * {@code temb.unflatten(1, (k, C)) + scale_shift_table}: a time embedding [k·C, B] (PyTorch
     * (B, k·C)) plus the learned table (k, C) (ggml [C, k]), split into its k rows, each
     * [C, 1, B], ready to broadcast over the positions of channels-first activations.
     */
    static Tensor[] modulation(Graph g, Tensor temb, Tensor table, int channels, int k) {
        long batch = temb.ne(1);
        if (temb.ne(0) != (long) k * channels) throw new IllegalArgumentException("time embedding " + temb + " is not " + k + "·" + channels + " wide");
        Tensor sum = g.add(g.reshape(temb, channels, k, batch), Vectors.f32(g, table));
        Tensor[] rows = new Tensor[k];
        for (int i = 0; i < k; i++) {
            rows[i] = g.cont(g.view(sum, new long[] {channels, 1, batch}, new long[] {sum.nb(1), sum.nb(2)}, i * sum.nb(1)));
        }
        return rows;
    }

    /** A norm over the channel axis, e.g. nn.LayerNorm(C, eps) (LTXVideoResnetBlock3d's norm3); routes as {@link #rmsNormModulateSilu}. */
    static Tensor layerNorm(Graph g, Tensor x, int channels, LayerNorm norm) {
        if (ChannelNorm.fusedRoute(g) && ChannelNorm.fits(x)) {
            return ChannelNorm.apply(g, x, channels, ChannelNorm.Kind.LAYER, norm.eps(), norm.weight(), norm.bias(), null, null, false);
        }
        return fromChannelsFirst(g, norm.forward(g, toChannelsFirst(g, x, channels)), x);
    }

    /** [W, H, F, C·B] → contiguous [C, W·H·F, B] (PyTorch (B, F, H, W, C), the layout of {@code x.movedim(1, -1)}). */
    static Tensor toChannelsFirst(Graph g, Tensor x, int channels) {
        long positions = x.ne(0) * x.ne(1) * x.ne(2);
        long batch = x.ne(3) / channels;
        return g.cont(g.permute(g.reshape(x, positions, channels, batch), 1, 0, 2, 3));
    }

    /** [C, W·H·F, B] → contiguous and shaped like {@code like} (conv3d's im2col needs unit stride along W). */
    static Tensor fromChannelsFirst(Graph g, Tensor y, Tensor like) {
        Tensor back = g.cont(g.permute(y, 1, 0, 2, 3));
        return g.reshape(back, like.ne(0), like.ne(1), like.ne(2), like.ne(3));
    }

    /**
     * Depth-to-space over (t, h, w): [W, H, F, (C·st·sh·sw)·B] → [W·sw, H·sh, F·st, C·B], where
     * output position (f·st + it, h·sh + ih, w·sw + iw) of channel c reads input channel
     * ((c·st + it)·sh + ih)·sw + iw, or with {@code heightInnermost} ((c·st + it)·sw + iw)·sh + ih.
     * The first is LTXVideoUpsampler3d's {@code permute(0, 1, 5, 2, 6, 3, 7, 4)}; the second is
     * the decoder's unpatchify, whose {@code permute(0, 1, 5, 2, 6, 4, 7, 3)} pairs the last
     * patch axis with the height.
     */
    static Tensor depthToSpace(Graph g, Tensor x, int st, int sh, int sw, boolean heightInnermost) {
        long w = x.ne(0), h = x.ne(1), f = x.ne(2);
        long rest = x.ne(3) / ((long) st * sh * sw);  // C·B
        if (rest * st * sh * sw != x.ne(3)) throw new IllegalArgumentException(x + " has no " + st + "·" + sh + "·" + sw + " channel groups");
        // Memory order (fastest first) is w, h, f, then the sub-channel indices and c, b. Each step
        // moves one sub-index in front of its axis: iw before w, then ih before h, then it before f.
        Tensor y = x;
        if (sw > 1) {
            y = heightInnermost
                    ? g.reshape(y, w, h * f * sh, sw, st * rest)   // w, h·f·ih | iw | it·c·b
                    : g.reshape(y, w, h * f, sw, sh * st * rest);  // w, h·f | iw | ih·it·c·b
            y = g.cont(g.permute(y, 1, 2, 0, 3));                 // iw, w, h, f, ih, it, c, b
        }
        long w2 = w * sw;
        if (sh > 1) y = g.cont(g.permute(g.reshape(y, w2, h * f, sh, st * rest), 0, 2, 1, 3)); // w2, ih, h, f, it, c, b
        long h2 = h * sh;
        if (st > 1) y = g.cont(g.permute(g.reshape(y, w2 * h2, f, st, rest), 0, 2, 1, 3));    // w2, h2, it, f, c, b
        return g.reshape(y, w2, h2, f * st, rest);
    }

    /**
     * Space-to-depth over (t, h, w), the inverse of {@link #depthToSpace} with the same
     * arguments: [W, H, F, C·B] → [W/sw, H/sh, F/st, (C·st·sh·sw)·B], input position
     * (f·st + it, h·sh + ih, w·sw + iw) of channel c going to channel ((c·st + it)·sh + ih)·sw + iw,
     * or with {@code heightInnermost} ((c·st + it)·sw + iw)·sh + ih. The first is
     * LTXVideoDownsampler3d's {@code permute(0, 1, 3, 5, 7, 2, 4, 6)}; the second is the
     * encoder's patchify, whose {@code permute(0, 1, 3, 7, 5, 2, 4, 6)} puts the width patch axis
     * before the height's.
     */
    static Tensor spaceToDepth(Graph g, Tensor x, int st, int sh, int sw, boolean heightInnermost) {
        long w = x.ne(0), h = x.ne(1), f = x.ne(2), rest = x.ne(3);
        if (w % sw != 0 || h % sh != 0 || f % st != 0) {
            throw new IllegalArgumentException(x + " does not split into " + st + "·" + sh + "·" + sw + " blocks (frames × height × width)");
        }
        long w2 = w / sw, h2 = h / sh, f2 = f / st;
        // Memory order (fastest first) is iw, w', ih, h', it, f', c, b. Each step moves one
        // sub-index behind the positions: it behind f', then ih behind f', then iw behind f'.
        Tensor y = x;
        if (st > 1) y = g.cont(g.permute(g.reshape(y, w * h, st, f2, rest), 0, 2, 1, 3));               // w, h, f', it, c, b
        if (sh > 1) y = g.cont(g.permute(g.reshape(y, w, sh, h2 * f2, st * rest), 0, 2, 1, 3));         // w, h', f', ih, it, c, b
        if (sw > 1) {
            y = heightInnermost
                    ? g.cont(g.permute(g.reshape(y, sw, w2 * h2 * f2, sh, st * rest), 2, 0, 1, 3))     // w', h', f', ih, iw, it, c, b
                    : g.cont(g.permute(g.reshape(y, sw, w2 * h2 * f2, sh * st * rest, 1), 1, 0, 2, 3)); // w', h', f', iw, ih, it, c, b
        }
        return g.reshape(y, w2, h2, f2, rest * st * sh * sw);
    }

    /** Frames [from, to) of [W, H, F, C·B], as a strided view (nothing copied). */
    static Tensor frames(Graph g, Tensor x, long from, long to) {
        return g.view(x, new long[] {x.ne(0), x.ne(1), to - from, x.ne(3)}, new long[] {x.nb(1), x.nb(2), x.nb(3)}, from * x.nb(2));
    }
}
