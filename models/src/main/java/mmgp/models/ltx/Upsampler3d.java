package mmgp.models.ltx;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' LTXVideoUpsampler3d with stride (2, 2, 2), as the up blocks build it: a conv to
 * C·8/upscale_factor channels, depth-to-space over (t, h, w) and the first frame dropped
 * (stride_t − 1 frames), so F frames become 2F − 1. With {@code residual} (the 0.9.5
 * decoder's upsample_residual) the input itself, depth-to-spaced the same way to C/8
 * channels and tiled 8/upscale_factor times along the channels (torch's {@code repeat}), is
 * added.
 */
final class Upsampler3d {
    private static final int ST = 2, SH = 2, SW = 2;
    private static final int GROUP = ST * SH * SW;

    private final int in, upscaleFactor;
    private final boolean residual;
    private final CausalConv3d conv;

    Upsampler3d(WeightSet weights, String name, int in, boolean residual, int upscaleFactor, CausalConv3d.Options conv) {
        if (upscaleFactor <= 0 || (in * GROUP) % upscaleFactor != 0) {
            throw new IllegalArgumentException(name + ": " + in + " channels cannot upsample with upscale_factor " + upscaleFactor);
        }
        if (residual && (in % GROUP != 0 || GROUP % upscaleFactor != 0)) {
            // The residual reshapes the input to (B, C/8, 2, 2, 2, F, H, W) and repeats it 8/upscale_factor times.
            throw new IllegalArgumentException(name + ": a residual upsampler needs channels divisible by 8 and upscale_factor dividing 8, got "
                    + in + " and " + upscaleFactor);
        }
        this.in = in;
        this.residual = residual;
        this.upscaleFactor = upscaleFactor;
        this.conv = new CausalConv3d(weights, name + ".conv", in, in * GROUP / upscaleFactor, 3, conv);
    }

    /** Channels out: in / upscale_factor. */
    int outChannels() {
        return in / upscaleFactor;
    }

    /** x [W, H, F, in·B] → [2W, 2H, 2F − 1, (in/upscale_factor)·B]. */
    Tensor forward(Graph g, Tensor x) {
        Tensor h = dropLeadingFrames(g, Layers3d.depthToSpace(g, conv.forward(g, x), ST, SH, SW, false));
        if (!residual) return h;
        long batch = x.ne(3) / in;
        Tensor r = dropLeadingFrames(g, Layers3d.depthToSpace(g, x, ST, SH, SW, false)); // (in/8) channels
        long positions = r.ne(0) * r.ne(1) * r.ne(2);
        // torch .repeat(1, k, 1, 1, 1): output channel j·C/8 + c is input channel c, per batch row.
        Tensor tiled = g.repeat(g.reshape(r, positions, in / GROUP, 1, batch),
                g.reshape(h, positions, in / GROUP, GROUP / upscaleFactor, batch));
        return g.add(h, g.reshape(tiled, h.ne(0), h.ne(1), h.ne(2), h.ne(3)));
    }

    private static Tensor dropLeadingFrames(Graph g, Tensor x) {
        return g.cont(Layers3d.frames(g, x, ST - 1, x.ne(2)));
    }
}
