package mmgp.graph.nn;

import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;

/** The route switch of mmgp's fused ops that replace a composition of ggml ops under {@link Numerics#FAST}. */
final class FusedSwitch {
    private FusedSwitch() {}

    /**
     * Whether {@code g} takes the fused op: FAST numerics and {@code -Dproperty=fused|ggml} (else env
     * {@code variable}), by default fused when {@code available}. {@code fused} without the op is
     * refused, naming the kernels library and the fix.
     */
    static boolean on(Graph g, String property, String variable, boolean available, String op) {
        return on(g, property, variable, "fused", available, available, op);
    }

    /**
     * As {@link #on(Graph, String, String, boolean, String)} with the switch's value for the op
     * ({@code onValue}, e.g. "mmgp") and the route taken when the switch is not set ({@code byDefault}).
     */
    static boolean on(Graph g, String property, String variable, String onValue, boolean available, boolean byDefault, String op) {
        if (g.backend().numerics() != Numerics.FAST) return false;
        String value = Winograd.setting(property, variable, "", onValue, "ggml"); // "": not set
        if (value.isEmpty()) return byDefault;
        if (value.equals("ggml")) return false;
        if (!available) {
            throw new IllegalStateException(property + " / " + variable + "=" + onValue + ", but the kernels library "
                    + (MmgpKernels.isAvailable() ? "in " + MmgpKernels.directory() + " predates the " + op + " op: rebuild with native/build-native.sh"
                            : "is unavailable: " + MmgpKernels.unavailableReason()));
        }
        return true;
    }
}
