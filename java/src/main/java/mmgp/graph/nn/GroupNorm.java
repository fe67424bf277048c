package mmgp.graph.nn;

import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;

/**
 * PyTorch's nn.GroupNorm(groups, channels, eps, affine=True) over images [W, H, C, B].
 *
 * <p>Under {@link Numerics#EXACT} it is ggml's group_norm, then a mul by the weight and an add
 * of the bias (and the activation, when one is given, as its own op). Under {@link Numerics#FAST}
 * it is mmgp's fused op ({@code mmgp_group_norm}: statistics in double, the affine and a SiLU in
 * one write pass) where the kernels library has it, so the activations are not read and written
 * by four ops; its rounding differs from ggml's, so EXACT keeps ggml's. {@code -Dmmgp.norm=fused|ggml}
 * (env {@code MMGP_NORM}, read at every graph build) picks the route under FAST, to compare the two
 * in one JVM; {@code fused} with a library that predates the op is refused.
 */
public record GroupNorm(Tensor weight, Tensor bias, int groups, float eps) {
    public GroupNorm {
        if (groups < 1) throw new IllegalArgumentException("GroupNorm groups must be >= 1, got " + groups);
        if (weight.elements() % groups != 0) {
            throw new IllegalArgumentException("GroupNorm groups " + groups + " do not divide the " + weight.elements() + " channels of " + weight);
        }
    }

    /** {@code name.weight} and {@code name.bias}, each [channels]. */
    public static GroupNorm load(WeightSet w, String name, int channels, int groups, float eps) {
        return new GroupNorm(w.get(name + ".weight", channels), w.get(name + ".bias", channels), groups, eps);
    }

    /** x [W, H, C, B] → [W, H, C, B]. */
    public Tensor forward(Graph g, Tensor x) {
        return forward(g, x, null);
    }

    /**
     * x [W, H, C, B] → act(groupnorm(x)) [W, H, C, B], {@code act} null for none. SiLU (or none)
     * is fused into the op on the fused route; another activation follows as its own op.
     */
    public Tensor forward(Graph g, Tensor x, Activation act) {
        if (x.ne(2) != weight.elements()) throw new IllegalArgumentException("GroupNorm of " + weight.elements() + " channels cannot take " + x);
        if (fusedRoute(g) && x.type() == GgmlType.F32 && x.nb(0) == 4) {
            Tensor y = fused(g, x, act == Activation.SILU ? MmgpKernels.NORM_SILU : 0);
            return act == null || act == Activation.SILU ? y : act.apply(g, y);
        }
        Tensor y = g.groupNorm(x, groups, eps);
        y = g.add(g.mul(y, Vectors.perChannel(g, weight, 2)), Vectors.perChannel(g, bias, 2));
        return act == null ? y : act.apply(g, y);
    }

    /** The fused op with these {@code MMGP_NORM_*} flags (SiLU, plain C path), whatever the route switch says (for tests). */
    Tensor fused(Graph g, Tensor x, int flags) {
        int[] params = {groups, Float.floatToRawIntBits(eps), flags, 0};
        return g.customOp("group_norm_fused", GgmlType.F32, new long[] {x.ne(0), x.ne(1), x.ne(2), x.ne(3)}, MmgpKernels.groupNormFunction(), params,
                x, Vectors.contiguous(g, weight), Vectors.contiguous(g, bias));
    }

    /**
     * Whether {@code g}'s group norms take the fused op: FAST numerics and the switch
     * {@code -Dmmgp.norm=fused|ggml} (env {@code MMGP_NORM}), by default fused where the kernels
     * library has the op.
     */
    public static boolean fusedRoute(Graph g) {
        return FusedSwitch.on(g, "mmgp.norm", "MMGP_NORM", MmgpKernels.hasGroupNorm(), "group norm");
    }
}
