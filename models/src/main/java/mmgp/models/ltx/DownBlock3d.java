package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * The encoder's down blocks: resnets at the input width, then the downsampler, then (0.9.0
 * only) a conv_out resnet to the output width.
 * <ul>
 *   <li>{@code LTXVideoDownBlock3D} (0.9.0/0.9.1): the downsampler is a causal conv with stride
 *       (2, 2, 2) at the input width; conv_out changes the width.</li>
 *   <li>{@code LTXVideo095DownBlock3D} (0.9.5): the downsampler ({@link Downsampler3d}, by
 *       downsample_type) changes the width itself; "conv" is the strided conv again.</li>
 * </ul>
 */
final class DownBlock3d {
    static final String LTX = "LTXVideoDownBlock3D", LTX_095 = "LTXVideo095DownBlock3D";

    private final List<ResnetBlock3d> resnets = new ArrayList<>();
    private final CausalConv3d convDownsampler;
    private final Downsampler3d downsampler;
    private final ResnetBlock3d convOut;

    DownBlock3d(WeightSet weights, String name, String type, int in, int out, int numLayers, boolean spatioTemporalScale,
            String downsampleType, float eps, CausalConv3d.Options conv) {
        for (int i = 0; i < numLayers; i++) resnets.add(new ResnetBlock3d(weights, name + ".resnets." + i, in, in, eps, conv));
        String down = name + ".downsamplers.0";
        CausalConv3d strided = null;
        Downsampler3d sampler = null;
        ResnetBlock3d widen = null;
        switch (type) {
            case LTX -> {
                if (spatioTemporalScale) strided = new CausalConv3d(weights, down, in, in, 3, 2, conv);
                if (in != out) widen = new ResnetBlock3d(weights, name + ".conv_out", in, out, eps, conv);
            }
            case LTX_095 -> {
                int width = in;
                if (spatioTemporalScale) {
                    switch (downsampleType) {
                        case "conv" -> strided = new CausalConv3d(weights, down, in, in, 3, 2, conv);
                        case "spatial" -> sampler = new Downsampler3d(weights, down, in, out, 1, 2, 2, conv);
                        case "temporal" -> sampler = new Downsampler3d(weights, down, in, out, 2, 1, 1, conv);
                        case "spatiotemporal" -> sampler = new Downsampler3d(weights, down, in, out, 2, 2, 2, conv);
                        default -> throw new IllegalArgumentException(name + ": unknown downsample_type \"" + downsampleType
                                + "\" (conv, spatial, temporal or spatiotemporal)");
                    }
                    if (sampler != null) width = out;
                }
                if (width != out) {
                    // The block has no conv_out, so the next block (or the mid block) would get the wrong width.
                    throw new IllegalArgumentException(name + ": an LTXVideo095DownBlock3D " + (spatioTemporalScale ? "with downsample_type \"conv\"" : "without downsampling")
                            + " keeps its " + in + " channels, but the encoder expects " + out);
                }
            }
            default -> throw new IllegalArgumentException(name + ": unknown down block type \"" + type + "\" (" + LTX + " or " + LTX_095 + ")");
        }
        this.convDownsampler = strided;
        this.downsampler = sampler;
        this.convOut = widen;
    }

    /** Output frames, height and width for an input of {@code f × h × w}. */
    long[] outShape(long f, long h, long w) {
        if (convDownsampler != null) return new long[] {convDownsampler.outLength(f, 2), convDownsampler.outLength(h, 2), convDownsampler.outLength(w, 2)};
        if (downsampler != null) return downsampler.outShape(f, h, w);
        return new long[] {f, h, w};
    }

    /** Traces "{@code module}.downsamplers.0" ({@link Graph#trace}). */
    Tensor forward(Graph g, Tensor x, String module) {
        for (ResnetBlock3d r : resnets) x = r.forward(g, x);
        if (convDownsampler != null) x = g.trace(module + ".downsamplers.0", convDownsampler.forward(g, x));
        if (downsampler != null) x = g.trace(module + ".downsamplers.0", downsampler.forward(g, x));
        if (convOut != null) x = convOut.forward(g, x);
        return x;
    }
}
