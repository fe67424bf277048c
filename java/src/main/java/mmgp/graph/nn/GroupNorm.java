package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/** PyTorch's nn.GroupNorm(groups, channels, eps, affine=True) over images [W, H, C, B]. */
public record GroupNorm(Tensor weight, Tensor bias, int groups, float eps) {
    /** {@code name.weight} and {@code name.bias}, each [channels]. */
    public static GroupNorm load(WeightSet w, String name, int channels, int groups, float eps) {
        return new GroupNorm(w.get(name + ".weight", channels), w.get(name + ".bias", channels), groups, eps);
    }

    /** x [W, H, C, B] → [W, H, C, B]. */
    public Tensor forward(Graph g, Tensor x) {
        Tensor y = g.groupNorm(x, groups, eps);
        return g.add(g.mul(y, Vectors.perChannel(g, weight, 2)), Vectors.perChannel(g, bias, 2));
    }
}
