package mmgp.models.ltx;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' LTXVideoDownsampler3d (the 0.9.5 encoder's "spatial", "temporal" and
 * "spatiotemporal" downsamplers): the first stride_t − 1 frames are prepended; a conv to
 * out/(st·sh·sw) channels, space-to-depth over (t, h, w) to {@code out} channels; plus the
 * padded input itself space-to-depthed to in·st·sh·sw channels and averaged over consecutive
 * groups of in·st·sh·sw/out channels.
 */
final class Downsampler3d {
    private final int in, out, st, sh, sw, groupSize;
    private final CausalConv3d conv;

    Downsampler3d(WeightSet weights, String name, int in, int out, int st, int sh, int sw, CausalConv3d.Options conv) {
        int volume = st * sh * sw;
        if (out % volume != 0 || (in * volume) % out != 0) {
            // LTXVideoDownsampler3d's integer divisions would drop channels, and its reshapes then fail.
            throw new IllegalArgumentException(name + ": downsampling " + in + " → " + out + " channels with stride (" + st + ", " + sh + ", " + sw
                    + ") needs out divisible by " + volume + " and in·" + volume + " divisible by out");
        }
        this.in = in;
        this.out = out;
        this.st = st;
        this.sh = sh;
        this.sw = sw;
        this.groupSize = in * volume / out;
        this.conv = new CausalConv3d(weights, name + ".conv", in, out / volume, 3, conv);
    }

    /**
     * Frames, height and width after downsampling {@code f × h × w}: ((F + st − 1)/st, H/sh, W/sw),
     * which must divide (torch's unflatten fails otherwise).
     */
    long[] outShape(long f, long h, long w) {
        if ((f + st - 1) % st != 0 || h % sh != 0 || w % sw != 0) {
            throw new IllegalArgumentException("a stage of " + f + " frames × " + h + " × " + w + " cannot be downsampled by stride (" + st + ", " + sh + ", " + sw
                    + "): the frames must be 1 + k·" + st + ", the height a multiple of " + sh + " and the width of " + sw);
        }
        return new long[] {(f + st - 1) / st, h / sh, w / sw};
    }

    /** x [W, H, F, in·B] → [W/sw, H/sh, (F + st − 1)/st, out·B]. */
    Tensor forward(Graph g, Tensor x) {
        outShape(x.ne(2), x.ne(1), x.ne(0));
        long batch = x.ne(3) / in;
        if (st > 1) x = g.concat(Layers3d.frames(g, x, 0, st - 1), x, 2); // torch.cat([x[:, :, :st − 1], x], dim=2)
        Tensor residual = Layers3d.spaceToDepth(g, x, st, sh, sw, false); // in·st·sh·sw channels
        if (groupSize > 1) {
            // residual.unflatten(1, (-1, group_size)).mean(dim=2): ggml averages along ne0, so the group goes first.
            long positions = residual.ne(0) * residual.ne(1) * residual.ne(2);
            Tensor grouped = g.cont(g.permute(g.reshape(residual, positions, groupSize, out * batch), 1, 0, 2, 3));
            residual = g.reshape(g.mean(grouped), residual.ne(0), residual.ne(1), residual.ne(2), out * batch);
        }
        Tensor h = Layers3d.spaceToDepth(g, conv.forward(g, x), st, sh, sw, false);
        return g.add(h, residual);
    }
}
