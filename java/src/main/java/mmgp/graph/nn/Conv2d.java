package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Numerics;
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
        return apply(g, weight, bias, x, stride, padding);
    }

    /**
     * {@link #apply} with {@code bias} [OC] added (none when null): by the fused Winograd op where
     * the convolution takes it ({@link Winograd.Config#fused}), else by a ggml add.
     */
    public static Tensor apply(Graph g, Tensor kernel, Tensor bias, Tensor input, int stride, int padding) {
        Winograd.Config winograd = winograd(g, kernel, input, stride, padding);
        if (winograd != null) return Winograd.conv2d(g, kernel, bias, input, padding, winograd);
        Tensor y = apply(g, kernel, input, stride, padding);
        return bias == null ? y : g.add(y, Vectors.perChannel(g, bias, 2));
    }

    /** The Winograd route's configuration when this convolution takes it, else null. */
    private static Winograd.Config winograd(Graph g, Tensor kernel, Tensor input, int stride, int padding) {
        if (g.backend().numerics() != Numerics.FAST) return null;
        Winograd.Config c = Winograd.route(g);
        return c != null && Winograd.handles(kernel, input, stride, stride, padding, padding) ? c : null;
    }

    /**
     * The route point of every 2-D convolution: kernel [KW, KH, IC, OC], input [W, H, IC, B] →
     * [OW, OH, OC, B], without bias. The convolution is an im2col (the input unfolded into
     * KW·KH·IC-long patches) and one matmul; the route picks their precision:
     * <ul>
     *   <li>{@link Numerics#EXACT}: F32 patches and an F32 kernel (an F16 kernel is cast once per
     *       graph), as precise as the fp32 reference.</li>
     *   <li>{@link Numerics#FAST}: F16 patches and an F16 kernel (an F32 kernel is cast): half the
     *       im2col bytes, which dominate the decoders' convolutions, and the matmul route of
     *       {@link MatMul#apply} (mmgp's FP32 GEMM over the widened halves); the
     *       activations are rounded to F16 (the README states the error against the goldens).
     *       Quantized kernels keep ggml's own route either way. A 3×3, stride-1 convolution
     *       of at least 8 tiles of m×m outputs per image takes the {@link Winograd} route instead
     *       (unless {@code mmgp.conv=im2col}; see {@link Winograd#fits}): a quarter of the matmul
     *       FLOPs at m = 4, in fp32.</li>
     * </ul>
     */
    public static Tensor apply(Graph g, Tensor kernel, Tensor input, int stride, int padding) {
        if (g.backend().numerics() == Numerics.FAST) {
            Winograd.Config winograd = winograd(g, kernel, input, stride, padding);
            if (winograd != null) return Winograd.conv2d(g, kernel, input, padding, winograd);
            Tensor k = kernel.type() == GgmlType.F32 ? g.cast(kernel, GgmlType.F16) : kernel;
            return g.conv2d(k, input, stride, padding, (a, b) -> MatMul.apply(g, a, b));
        }
        Tensor k = kernel.type() == GgmlType.F16 ? g.cast(kernel, GgmlType.F32) : kernel;
        return g.conv2d(k, input, stride, padding, (a, b) -> MatMul.apply(g, a, b));
    }
}
