package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;

/**
 * PyTorch's nn.Conv2d with bias over images [W, H, C, B]: kernel [KW, KH, IC, OC] (PyTorch
 * (OC, IC, KH, KW)), zero padding on every side.
 */
public record Conv2d(Tensor weight, Tensor bias, int stride, int padding) {
    /** nn.Conv2d(in, out, kernel, stride 1, padding (kernel − 1)/2): {@code name.weight} and {@code name.bias}. */
    public static Conv2d load(WeightSet w, String name, int in, int out, int kernel) {
        return new Conv2d(w.get(name + ".weight", kernel, kernel, in, out), w.get(name + ".bias", out), 1, (kernel - 1) / 2);
    }

    /** x [W, H, IC, B] → [OW, OH, OC, B]. */
    public Tensor forward(Graph g, Tensor x) {
        Tensor y = apply(g, weight, x, stride, padding);
        return bias == null ? y : g.add(y, Vectors.perChannel(g, bias, 2));
    }

    /**
     * The route point of every 2-D convolution: kernel [KW, KH, IC, OC], input [W, H, IC, B] →
     * [OW, OH, OC, B], without bias. Today: an F16 kernel is cast to F32 first, since conv2d
     * would otherwise round the activations to F16 in its im2col; in F32 the result stays as
     * precise as the fp32 reference and runs faster on CPU (about 1.5× on AVX-512: the F16
     * matmul converts every operand), for one cast of the kernel per graph.
     */
    public static Tensor apply(Graph g, Tensor kernel, Tensor input, int stride, int padding) {
        Tensor k = kernel.type() == GgmlType.F16 ? g.cast(kernel, GgmlType.F32) : kernel;
        return g.conv2d(k, input, stride, padding);
    }
}
