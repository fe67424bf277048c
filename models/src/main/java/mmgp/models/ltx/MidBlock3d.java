package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/** diffusers' LTXVideoMidBlock3d without timestep conditioning: {@code numLayers} resnets at one width. */
final class MidBlock3d {
    private final List<ResnetBlock3d> resnets = new ArrayList<>();

    MidBlock3d(WeightSet weights, String name, int channels, int numLayers, float eps, CausalConv3d.Options conv) {
        for (int i = 0; i < numLayers; i++) resnets.add(new ResnetBlock3d(weights, name + ".resnets." + i, channels, channels, eps, conv));
    }

    Tensor forward(Graph g, Tensor x) {
        for (ResnetBlock3d r : resnets) x = r.forward(g, x);
        return x;
    }
}
