package mmgp.models.amused;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/** diffusers' UpDecoderBlock2D: {@code numLayers} ResnetBlock2Ds (the first changes the channel count), then an optional Upsample2D. */
final class UpDecoderBlock2D {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Upsample2D upsampler;

    UpDecoderBlock2D(WeightSet weights, String name, int numLayers, int in, int out, boolean addUpsample,
            int groups, float eps, String actFn) {
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(weights, name + ".resnets." + i, i == 0 ? in : out, out, groups, eps, actFn, 1f));
        }
        this.upsampler = addUpsample ? new Upsample2D(weights, name + ".upsamplers.0", out) : null;
    }

    Tensor forward(Graph g, Tensor x) {
        for (ResnetBlock2D r : resnets) x = r.forward(g, x);
        return upsampler != null ? upsampler.forward(g, x) : x;
    }
}
