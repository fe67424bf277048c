package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' LTXVideoUpBlock3d without timestep conditioning: a conv_in resnet when the
 * declared widths differ, then the optional upsampler (on out·upscale_factor channels), then
 * {@code numLayers} resnets at the output width.
 */
final class UpBlock3d {
    private final ResnetBlock3d convIn;
    private final Upsampler3d upsampler;
    private final List<ResnetBlock3d> resnets = new ArrayList<>();

    UpBlock3d(WeightSet weights, String name, int in, int out, int numLayers, boolean spatioTemporalScale,
            boolean upsampleResidual, int upscaleFactor, float eps, CausalConv3d.Options conv) {
        this.convIn = in != out ? new ResnetBlock3d(weights, name + ".conv_in", in, out, eps, conv) : null;
        this.upsampler = spatioTemporalScale
                ? new Upsampler3d(weights, name + ".upsamplers.0", out * upscaleFactor, upsampleResidual, upscaleFactor, conv)
                : null;
        for (int i = 0; i < numLayers; i++) resnets.add(new ResnetBlock3d(weights, name + ".resnets." + i, out, out, eps, conv));
    }

    Tensor forward(Graph g, Tensor x) {
        if (convIn != null) x = convIn.forward(g, x);
        if (upsampler != null) x = upsampler.forward(g, x);
        for (ResnetBlock3d r : resnets) x = r.forward(g, x);
        return x;
    }
}
