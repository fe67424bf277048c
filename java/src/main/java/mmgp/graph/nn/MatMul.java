package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;

/**
 * The one place where a weight meets an activation in a matrix product. Every weight matmul
 * the models build ({@link Linear}, and the convolutions written as one matmul over patches)
 * comes through {@link #apply}, so the kernel route of a weight product is chosen here and
 * nowhere else.
 */
public final class MatMul {
    private MatMul() {}

    /**
     * weight [K, M] (any stored type) times x [K, N, ...] (F32) → [M, N, ...]: PyTorch's
     * {@code x @ Wᵀ} for a W of shape (M, K).
     *
     * <p>The route point: today every weight product is ggml's mul_mat as is. A choice of kernel
     * by the weight's type and shape (a repacked layout, a dequantise-then-F32 path, another
     * backend) belongs in this method, so that every model takes it at once.
     */
    public static Tensor apply(Graph g, Tensor weight, Tensor x) {
        return g.mulMat(weight, x);
    }
}
