package mmgp.models.amused;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Conv2d;

/** diffusers' Upsample2D(use_conv=True): nearest-neighbour ×2 (F.interpolate, mode="nearest"), then a 3×3 conv. */
final class Upsample2D {
    private final Conv2d conv;

    Upsample2D(WeightSet weights, String name, int channels) {
        this.conv = Conv2d.load(weights, name + ".conv", channels, channels, 3);
    }

    Tensor forward(Graph g, Tensor x) {
        return conv.forward(g, g.upscaleNearest(x, 2));
    }
}
