package mmgp.graph.nn;

import java.util.function.BiFunction;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;

/**
 * The element-wise activations the models use, each computed in fp32 as the PyTorch reference
 * does. Models map their own config names onto these (diffusers' and transformers' "gelu" are
 * the erf form; transformers' "gelu_new" and diffusers' "gelu-approximate" the tanh form).
 */
public enum Activation {
    /** Exact GELU with erf: nn.GELU(), F.gelu. */
    GELU(Graph::gelu),
    /** GELU's tanh approximation composed from fp32 ops ({@link Graph#geluTanh}): gelu(approximate="tanh"), gelu_new. */
    GELU_TANH(Graph::geluTanh),
    /** CLIP's quick_gelu, x·sigmoid(1.702x). */
    QUICK_GELU(Graph::geluQuick),
    RELU(Graph::relu),
    /** SiLU (swish), x·sigmoid(x). */
    SILU(Graph::silu);

    private final BiFunction<Graph, Tensor, Tensor> op;

    Activation(BiFunction<Graph, Tensor, Tensor> op) {
        this.op = op;
    }

    /** x of any shape → act(x), element-wise. */
    public Tensor apply(Graph g, Tensor x) {
        return op.apply(g, x);
    }
}
