package mmgp.graph.nn;

import java.util.function.BiFunction;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;

/**
 * The element-wise activations the models use, each computed in fp32 as the PyTorch reference
 * does. Models map their own config names onto these (diffusers' and transformers' "gelu" are
 * the erf form; transformers' "gelu_new" and diffusers' "gelu-approximate" the tanh form).
 */
public enum Activation {
    /** Exact GELU with erf: nn.GELU(), F.gelu. */
    GELU(Graph::gelu),
    /**
     * GELU's tanh approximation: gelu(approximate="tanh"), gelu_new. Its route: composed from fp32
     * ops under {@link Numerics#EXACT} ({@link Graph#geluTanh}; ggml's tanh is a scalar tanhf per
     * element, 4–8% of a T5 or LTX step); ggml's fused GELU under {@link Numerics#FAST}
     * ({@link Graph#geluTanhTable}: an F16 table, ~1e-3 relative, one pass).
     */
    GELU_TANH((g, x) -> g.backend().numerics() == Numerics.FAST ? g.geluTanhTable(x) : g.geluTanh(x)),
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
