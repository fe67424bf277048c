package mmgp.graph.nn;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * A transformer feed-forward or two-layer MLP: an input projection, an activation, an output
 * projection. Three kinds differ in where the activation sits, and are not interchangeable:
 * <ul>
 *   <li>{@link Kind#PLAIN}: out(act(in·x)) — diffusers' FeedForward with "gelu" /
 *       "gelu-approximate", CLIP's MLP, T5's T5DenseActDense (relu), and the linear_1 / act /
 *       linear_2 MLPs of diffusers' TimestepEmbedding and PixArtAlphaTextProjection;
 *   <li>{@link Kind#GEGLU}: one projection to twice the width, split into hidden and gate
 *       halves, out(hidden · gelu(gate)) — diffusers' GEGLU (erf GELU on the second half);
 *   <li>{@link Kind#GATED}: two projections of x, out(act(in·x) · gate·x) — T5's
 *       T5DenseGatedActDense (gelu_new on wi_0, times wi_1).
 * </ul>
 * Activations are [D, T, B] (any trailing shape).
 */
public record FeedForward(Kind kind, Linear in, Linear gate, Activation activation, Linear out) {
    public enum Kind { PLAIN, GEGLU, GATED }

    public static FeedForward plain(Linear in, Activation activation, Linear out) {
        return new FeedForward(Kind.PLAIN, in, null, activation, out);
    }

    /** {@code proj} maps to [hidden | gate], 2·inner wide. */
    public static FeedForward geglu(Linear proj, Linear out) {
        return new FeedForward(Kind.GEGLU, proj, null, Activation.GELU, out);
    }

    public static FeedForward gated(Linear in, Linear gate, Activation activation, Linear out) {
        return new FeedForward(Kind.GATED, in, gate, activation, out);
    }

    /**
     * diffusers' {@code FeedForward(dim, inner_dim=inner, activation_fn, bias)} under {@code name}:
     * net.0.proj (dim → inner, or 2·inner for "geglu") and net.2 (inner → dim).
     * {@code activationFn} is "gelu" (erf), "gelu-approximate" (tanh) or "geglu".
     */
    public static FeedForward loadDiffusers(WeightSet w, String name, int dim, int inner, String activationFn, boolean bias) {
        return switch (activationFn) {
            case "gelu", "gelu-approximate" -> plain(Linear.load(w, name + ".net.0.proj", dim, inner, bias),
                    activationFn.equals("gelu") ? Activation.GELU : Activation.GELU_TANH,
                    Linear.load(w, name + ".net.2", inner, dim, bias));
            case "geglu" -> geglu(Linear.load(w, name + ".net.0.proj", dim, 2 * inner, bias), Linear.load(w, name + ".net.2", inner, dim, bias));
            default -> throw new IllegalArgumentException(name + ": unsupported feed-forward activation_fn \"" + activationFn + "\" (gelu, gelu-approximate, geglu)");
        };
    }

    /**
     * A plain MLP named as diffusers' TimestepEmbedding and PixArtAlphaTextProjection name it:
     * {@code name.linear_1} (in → hidden), the activation, {@code name.linear_2} (hidden → out).
     */
    public static FeedForward loadMlp(WeightSet w, String name, int in, int hidden, int out, Activation activation, boolean bias) {
        return plain(Linear.load(w, name + ".linear_1", in, hidden, bias), activation, Linear.load(w, name + ".linear_2", hidden, out, bias));
    }

    /** x [in, T, B] → [out, T, B]. */
    public Tensor forward(Graph g, Tensor x) {
        Tensor h = switch (kind) {
            case PLAIN -> activation.apply(g, in.forward(g, x));
            case GATED -> g.mul(activation.apply(g, in.forward(g, x)), gate.forward(g, x));
            case GEGLU -> {
                Tensor p = in.forward(g, x); // [2I, T, B]
                long inner = p.ne(0) / 2;
                long[] ne = {inner, p.ne(1), p.ne(2)};
                long[] nb = {p.nb(1), p.nb(2)};
                Tensor hidden = g.view(p, ne, nb, 0);
                Tensor gateHalf = g.cont(g.view(p, ne, nb, inner * p.nb(0)));
                yield g.mul(hidden, activation.apply(g, gateHalf));
            }
        };
        return out.forward(g, h);
    }
}
