package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Conv3d;
import mmgp.graph.nn.Vectors;

/**
 * diffusers' LTXVideoCausalConv3d: a Conv3d with zero padding kernel/2 along H and W and none
 * along time, after the frames are padded by repeating the edge frames — kernel−1 copies of
 * the first frame when causal, (kernel−1)/2 of the first and of the last frame when not
 * (LTX-Video's released decoders are not causal, its encoders are). Stride 1 everywhere but
 * in the 0.9.0 encoder's "conv" downsamplers, which stride (2, 2, 2).
 *
 * <p>Memory: on the im2col and three-op Winograd routes the convolution ({@link Conv3d.Taps})
 * unfolds its input frames (im2col, kernel²·C values per output position and frame; the Winograd
 * transform, (m+2)²/m²·C), which for a full-resolution video stage is many times the activation
 * itself. The output frames are therefore computed in chunks whose unfolded input frames (chunk +
 * kernel − 1), plus the F32 tap products held while the taps are summed, stay within
 * {@link Options#chunkBytes()} (as the route unfolds and sums: {@link Conv3d.Taps#unfoldedBytesPerFrame},
 * {@link Conv3d.Taps#productBytesPerFrame}), each chunk reading its input frames (plus the kernel's
 * halo) as a strided view; the repeated edge frames are not materialised, their taps read the
 * first/last frame's patches. The fused Winograd op unfolds nothing into the graph (it transforms
 * a block of tiles at a time in thread buffers, which {@link mmgp.graph.Graph#plannedBufferBytes}
 * counts) and holds only its F32 output with the bias, so its chunks are bounded by the output
 * alone. The parts are concatenated along
 * the frame axis. A conv strided in time unfolds its padded frames with the 3-D im2col instead
 * (kernel³·C values per output position).
 */
final class CausalConv3d {
    /**
     * @param causal     LTX's is_causal (decoder_causal for the decoder)
     * @param chunkBytes the most memory one chunk of output frames may unfold (im2col) and, on the tap route, hold in
     *                   F32 tap products (at least one output frame is always taken)
     */
    record Options(boolean causal, long chunkBytes) {
        Options {
            if (chunkBytes <= 0) throw new IllegalArgumentException("conv chunk budget must be positive, got " + chunkBytes);
        }
    }

    private final Tensor weight, bias;
    private final int inChannels, kernel, stride;
    private final Options options;

    /** {@code name} is the module, e.g. "vae.decoder.conv_in"; its nn.Conv3d is {@code name.conv}. */
    CausalConv3d(WeightSet weights, String name, int in, int out, int kernel, Options options) {
        this(weights, name, in, out, kernel, 1, options);
    }

    /** With {@code stride} along time, height and width alike. */
    CausalConv3d(WeightSet weights, String name, int in, int out, int kernel, int stride, Options options) {
        if (stride <= 0) throw new IllegalArgumentException(name + ": stride must be positive, got " + stride);
        this.weight = weights.get(name + ".conv.weight", kernel, kernel, kernel, (long) in * out);
        this.bias = weights.get(name + ".conv.bias", out);
        this.inChannels = in;
        this.kernel = kernel;
        this.stride = stride;
        this.options = options;
    }

    /** Output length along an axis of {@code n} after padding {@code pad} in all: nn.Conv3d's floor((n + pad − k)/s) + 1. */
    long outLength(long n, long pad) {
        if (n + pad < kernel) throw new IllegalArgumentException(n + " positions are too few for a kernel of " + kernel);
        return (n + pad - kernel) / stride + 1;
    }

    /** x [W, H, F, in·B] → [W', H', F', out·B]: the same W, H, F for stride 1 and odd kernels. */
    Tensor forward(Graph g, Tensor x) {
        if (x.ne(3) % inChannels != 0) throw new IllegalArgumentException(x + " does not hold " + inChannels + "-channel clips");
        long frames = x.ne(2);
        int left = options.causal() ? kernel - 1 : (kernel - 1) / 2;
        int right = options.causal() ? 0 : (kernel - 1) / 2;
        long outFrames = outLength(frames, left + right);
        long outWidth = outLength(x.ne(0), kernel / 2 * 2), outHeight = outLength(x.ne(1), kernel / 2 * 2);
        long outPositions = outWidth * outHeight;
        long batch = x.ne(3) / inChannels;
        int[] strides = {stride, stride, stride};
        int[] padding = {kernel / 2, kernel / 2, 0};
        List<Tensor> parts = new ArrayList<>();
        if (Conv3d.Taps.handles(strides, padding)) {
            // The tap route: each chunk unfolds its input frames once, KH·KW·C values per position,
            // and reads the repeated edge frames from the first/last frame's patches.
            Conv3d.Taps taps = Conv3d.Taps.of(g, weight, inChannels, x, strides, padding);
            long colBytesPerFrame = taps.unfoldedBytesPerFrame(outWidth, outHeight) * batch;
            // c output frames unfold c + kernel − 1 input frames (fewer at the clip's ends) and hold the
            // F32 tap products of c frames while the taps are summed (as the route sums them); the fused
            // Winograd op unfolds nothing into the graph and holds only its F32 result (with the bias).
            long sumBytesPerFrame = taps.productBytesPerFrame(outWidth, outHeight) * batch;
            long chunk = Math.clamp((options.chunkBytes() - (kernel - 1) * colBytesPerFrame) / (colBytesPerFrame + sumBytesPerFrame), 1, outFrames);
            for (long s = 0; s < outFrames; s += chunk) {
                long e = Math.min(outFrames, s + chunk);
                // Output frames [s, e) read padded frames [s, e − 1 + kernel), i.e. input frames shifted by −left.
                long lo = Math.max(0, s - left), hi = Math.min(frames, e - 1 + kernel - left);
                Tensor in = lo == 0 && hi == frames ? x : Layers3d.frames(g, x, lo, hi);
                parts.addAll(taps.replicating(g, in, strides, padding, s - left - lo, e - s, bias));
            }
            return Conv3d.concatFrames(g, parts);
        } else {
            // Strided in time (the 0.9.0 encoder's downsamplers), or -Dmmgp.conv3d=im2col3d: the 3-D im2col over the padded frames.
            long colBytesPerFrame = (long) kernel * kernel * kernel * inChannels * outPositions * batch
                    * Conv3d.routeType(g).rowBytes(1);
            long chunk = Math.clamp(options.chunkBytes() / colBytesPerFrame, 1, outFrames);
            for (long s = 0; s < outFrames; s += chunk) {
                long e = Math.min(outFrames, s + chunk);
                // Output frames [s, e) read padded frames [s·stride, (e − 1)·stride + kernel), i.e. input
                // frames shifted by −left; beyond either end they are the replicated edge frames.
                long from = s * stride - left, to = (e - 1) * stride + kernel - left;
                long lo = Math.max(0, from), hi = Math.min(frames, to);
                List<Tensor> in = new ArrayList<>();
                for (long i = from; i < lo; i++) in.add(Layers3d.frames(g, x, 0, 1));
                in.add(lo == 0 && hi == frames ? x : Layers3d.frames(g, x, lo, hi));
                for (long i = hi; i < to; i++) in.add(Layers3d.frames(g, x, frames - 1, frames));
                parts.add(Conv3d.apply(g, weight, concat(g, in, 2), inChannels, strides, padding));
            }
        }
        return g.add(Conv3d.concatFrames(g, parts), Vectors.perChannel(g, bias, 3));
    }

    /** Concatenates along {@code dim} pairwise in a balanced tree, so each value is copied log₂(n) times, not n. */
    static Tensor concat(Graph g, List<Tensor> parts, int dim) {
        if (parts.size() == 1) return parts.getFirst();
        int mid = parts.size() / 2;
        return g.concat(concat(g, parts.subList(0, mid), dim), concat(g, parts.subList(mid, parts.size()), dim), dim);
    }
}
