package mmgp.models.amused;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' UNetMidBlock2D with add_attention=False (VqConfig refuses the attention variant):
 * resnets[0], then for each of num_layers (1 in the Decoder) one more resnet, all keeping the
 * channel count.
 */
final class UNetMidBlock2D {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();

    UNetMidBlock2D(WeightSet weights, String name, int channels, int numLayers, int groups, float eps, String actFn,
            float outputScaleFactor) {
        for (int i = 0; i <= numLayers; i++) {
            resnets.add(new ResnetBlock2D(weights, name + ".resnets." + i, channels, channels, groups, eps, actFn, outputScaleFactor));
        }
    }

    Tensor forward(Graph g, Tensor x) {
        for (ResnetBlock2D r : resnets) x = r.forward(g, x);
        return x;
    }
}
