package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' LTXVideoUpBlock3d: a conv_in resnet when the declared widths differ, then (when
 * timestep-conditioned) the block's time embedding, then the optional upsampler (on
 * out·upscale_factor channels), then {@code numLayers} resnets at the output width, which read
 * the embedding.
 */
final class UpBlock3d {
    private final TimeEmbedder timeEmbedder;
    private final ResnetBlock3d convIn;
    private final Upsampler3d upsampler;
    private final List<ResnetBlock3d> resnets = new ArrayList<>();

    UpBlock3d(WeightSet weights, String name, int in, int out, int numLayers, boolean spatioTemporalScale,
            boolean upsampleResidual, int upscaleFactor, float eps, CausalConv3d.Options conv,
            boolean timestepConditioning, boolean injectNoise) {
        if (in != out && timestepConditioning) {
            // LTXVideoUpBlock3d.forward runs conv_in before its time_embedder, handing the conditioned
            // resnet the raw timestep (B,), which its temb.unflatten(1, (4, -1)) cannot split.
            throw new IllegalArgumentException(name + ": a timestep-conditioned up block that changes the width (" + in + " → " + out
                    + ") cannot run: diffusers gives its conv_in resnet the raw timestep instead of an embedding");
        }
        this.timeEmbedder = timestepConditioning ? new TimeEmbedder(weights, name + ".time_embedder", 4 * out) : null;
        this.convIn = in != out ? new ResnetBlock3d(weights, name + ".conv_in", in, out, eps, conv, false, injectNoise) : null;
        this.upsampler = spatioTemporalScale
                ? new Upsampler3d(weights, name + ".upsamplers.0", out * upscaleFactor, upsampleResidual, upscaleFactor, conv)
                : null;
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock3d(weights, name + ".resnets." + i, out, out, eps, conv, timestepConditioning, injectNoise));
        }
    }

    /**
     * @param t     the scaled decode timestep F32 [B], or null when not conditioned
     * @param noise collects the noise inputs of noise-injecting resnets (see {@link ResnetBlock3d})
     * @param module the diffusers module name; traces "{@code module}.time_embedder", ".upsamplers.0" and ".resnets.i" ({@link Graph#trace})
     */
    Tensor forward(Graph g, Tensor x, Tensor t, List<Tensor> noise, String module) {
        if (convIn != null) x = convIn.forward(g, x, null, noise);
        Tensor temb = MidBlock3d.embed(g, timeEmbedder, t, module);
        if (upsampler != null) x = g.trace(module + ".upsamplers.0", upsampler.forward(g, x));
        for (int i = 0; i < resnets.size(); i++) {
            x = g.trace(module + ".resnets." + i, resnets.get(i).forward(g, x, temb, noise));
        }
        return x;
    }
}
