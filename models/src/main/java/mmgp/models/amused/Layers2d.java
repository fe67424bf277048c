package mmgp.models.amused;

import java.util.Arrays;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;

/**
 * The leaf layers of the 2-D VQ decoder (nn.Conv2d, nn.GroupNorm, the activation), over
 * activations laid out ggml [W, H, C, B], and the shape-checked weight lookup they share.
 */
final class Layers2d {
    private Layers2d() {}

    /** Per-channel vectors (biases, norm affine) as F32, since ggml's add/mul take no F16 second operand with F32 activations. */
    static Tensor perChannel(Graph g, Tensor v) {
        Tensor f = v.type() == GgmlType.F32 ? v : g.cast(v, GgmlType.F32);
        return g.reshape(f, 1, 1, v.ne(0), 1); // broadcasts over [W, H, C, B]
    }

    /** nn.Conv2d(in, out, k, stride 1, padding (k−1)/2) with bias. */
    record Conv2d(Tensor weight, Tensor bias, int padding) {
        static Conv2d load(WeightSet weights, String name, int in, int out, int kernel) {
            return new Conv2d(weights.get(name + ".weight", kernel, kernel, in, out),
                    weights.get(name + ".bias", out), (kernel - 1) / 2);
        }

        Tensor forward(Graph g, Tensor x) {
            // An F16 kernel would make conv2d round the activations to F16 in its im2col; in F32 the
            // decode stays as precise as the fp32 reference and runs faster on CPU (about 1.5× on
            // AVX-512: the F16 matmul converts every operand), for a per-graph cast of the kernel.
            Tensor w = weight.type() == GgmlType.F16 ? g.cast(weight, GgmlType.F32) : weight;
            return g.add(g.conv2d(w, x, 1, padding), perChannel(g, bias));
        }
    }

    /** nn.GroupNorm(groups, channels, eps, affine=True). */
    record GroupNorm(Tensor weight, Tensor bias, int groups, float eps) {
        static GroupNorm load(WeightSet weights, String name, int channels, int groups, float eps) {
            return new GroupNorm(weights.get(name + ".weight", channels),
                    weights.get(name + ".bias", channels), groups, eps);
        }

        Tensor forward(Graph g, Tensor x) {
            Tensor y = g.groupNorm(x, groups, eps);
            return g.add(g.mul(y, perChannel(g, weight)), perChannel(g, bias));
        }
    }

    /** diffusers' get_activation for the names {@link VqConfig} accepts. */
    static Tensor activation(Graph g, String actFn, Tensor x) {
        return switch (actFn) {
            case "silu", "swish" -> g.silu(x);
            case "gelu" -> g.gelu(x); // nn.GELU(): the exact erf form
            case "relu" -> g.relu(x);
            default -> throw new IllegalArgumentException("unsupported act_fn \"" + actFn + "\"");
        };
    }
}
