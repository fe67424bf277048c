package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' LTXVideoMidBlock3d: {@code numLayers} resnets at one width. Timestep-conditioned
 * (decoder of 0.9.1/0.9.5), it first embeds the scaled timestep with its own time_embedder to
 * 4·C, which every resnet then reads.
 */
final class MidBlock3d {
    private final String name;
    private final TimeEmbedder timeEmbedder;
    private final List<ResnetBlock3d> resnets = new ArrayList<>();

    /** Unconditioned, without noise (the encoder's, the 0.9.0 decoder's). */
    MidBlock3d(WeightSet weights, String name, int channels, int numLayers, float eps, CausalConv3d.Options conv) {
        this(weights, name, channels, numLayers, eps, conv, false, false);
    }

    MidBlock3d(WeightSet weights, String name, int channels, int numLayers, float eps, CausalConv3d.Options conv,
            boolean timestepConditioning, boolean injectNoise) {
        this.name = name;
        this.timeEmbedder = timestepConditioning ? new TimeEmbedder(weights, name + ".time_embedder", 4 * channels) : null;
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock3d(weights, name + ".resnets." + i, channels, channels, eps, conv, timestepConditioning, injectNoise));
        }
    }

    Tensor forward(Graph g, Tensor x) {
        return forward(g, x, null, null, name);
    }

    /**
     * @param t     the scaled decode timestep F32 [B], or null when not conditioned
     * @param noise collects the noise inputs of noise-injecting resnets (see {@link ResnetBlock3d})
     * @param module the diffusers module name; traces "{@code module}.time_embedder" ({@link Graph#trace})
     */
    Tensor forward(Graph g, Tensor x, Tensor t, List<Tensor> noise, String module) {
        Tensor temb = embed(g, timeEmbedder, t, module);
        for (ResnetBlock3d r : resnets) x = r.forward(g, x, temb, noise);
        return x;
    }

    /** The block's time embedding of {@code t}, or null for an unconditioned block (which must get no timestep). */
    static Tensor embed(Graph g, TimeEmbedder embedder, Tensor t, String module) {
        if ((embedder != null) != (t != null)) {
            throw new IllegalArgumentException(module + (t == null ? " is timestep-conditioned and needs a timestep" : " is not timestep-conditioned but was given a timestep"));
        }
        return t == null ? null : g.trace(module + ".time_embedder", embedder.forward(g, t));
    }
}
