package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * PyTorch's nn.Linear: {@code x·Wᵀ + b} with the weight stored [in, out] in ggml order (PyTorch
 * (out, in)) and an optional bias [out]. Also a 1×1 nn.Conv2d applied to channels-last tokens,
 * whose [1, 1, in, out] kernel holds the same bytes as a Linear's [in, out].
 */
public record Linear(Tensor weight, Tensor bias) {
    /** {@code name.weight} [in, out] and, when {@code bias}, {@code name.bias} [out]. */
    public static Linear load(WeightSet w, String name, int in, int out, boolean bias) {
        return new Linear(w.get(name + ".weight", in, out), bias ? w.get(name + ".bias", out) : null);
    }

    /** A 1×1 conv {@code name.weight} [1, 1, in, out], used on activations whose ne0 is the channel axis. */
    public static Linear loadConv1x1(WeightSet w, String name, int in, int out, boolean bias) {
        return new Linear(w.get(name + ".weight", 1, 1, in, out), bias ? w.get(name + ".bias", out) : null);
    }

    /** x [in, N, ...] → [out, N, ...]. */
    public Tensor forward(Graph g, Tensor x) {
        Tensor wt = weight.ne(2) > 1 || weight.ne(3) > 1 ? g.reshape(weight, weight.ne(2), weight.ne(3)) : weight; // a 1×1 kernel
        Tensor y = MatMul.apply(g, wt, x);
        return bias == null ? y : g.add(y, Vectors.f32(g, bias));
    }
}
