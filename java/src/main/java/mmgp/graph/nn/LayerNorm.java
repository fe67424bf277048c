package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * Layer normalisation over ne0 (biased variance), then ·weight and +bias when present:
 * PyTorch's nn.LayerNorm, with or without elementwise_affine, and diffusers' LayerNorm whose
 * bias can be switched off.
 */
public record LayerNorm(Tensor weight, Tensor bias, float eps) {
    /** {@code name.weight} [dim] when {@code affine}, {@code name.bias} [dim] when also {@code bias}. */
    public static LayerNorm load(WeightSet w, String name, int dim, double eps, boolean affine, boolean bias) {
        return new LayerNorm(affine ? w.get(name + ".weight", dim) : null,
                affine && bias ? w.get(name + ".bias", dim) : null, (float) eps);
    }

    /** Without learned parameters (elementwise_affine=False). */
    public static LayerNorm plain(double eps) {
        return new LayerNorm(null, null, (float) eps);
    }

    /** x [D, ...] → [D, ...]. */
    public Tensor forward(Graph g, Tensor x) {
        return g.layerNorm(x, Vectors.f32(g, weight), Vectors.f32(g, bias), eps);
    }
}
