package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * RMS normalisation over ne0: {@code x·rsqrt(mean(x²) + eps)}, then ·weight and +bias when
 * present. diffusers' RMSNorm (weight when elementwise_affine, bias only in its aMUSEd
 * variant), T5's T5LayerNorm (weight, no bias) and LTX's q/k norms are all this.
 */
public record RmsNorm(Tensor weight, Tensor bias, float eps) {
    /** {@code name.weight} [dim] when {@code affine}, {@code name.bias} [dim] when also {@code bias}. */
    public static RmsNorm load(WeightSet w, String name, int dim, double eps, boolean affine, boolean bias) {
        return new RmsNorm(affine ? w.get(name + ".weight", dim) : null,
                affine && bias ? w.get(name + ".bias", dim) : null, (float) eps);
    }

    /** x [D, ...] → [D, ...]. */
    public Tensor forward(Graph g, Tensor x) {
        Tensor y = g.rmsNorm(x, eps);
        if (weight != null) y = g.mul(y, Vectors.f32(g, weight));
        if (bias != null) y = g.add(y, Vectors.f32(g, bias));
        return y;
    }
}
