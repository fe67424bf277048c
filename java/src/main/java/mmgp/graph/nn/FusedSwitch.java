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
        if (g.backend().numerics() != Numerics.FAST) return false;
        String value = Winograd.setting(property, variable, "", "fused", "ggml"); // "": not set
        if (value.isEmpty()) return available;
        if (value.equals("ggml")) return false;
        if (!available) {
            throw new IllegalStateException(property + " / " + variable + "=fused, but the kernels library "
                    + (MmgpKernels.isAvailable() ? "in " + MmgpKernels.directory() + " predates the " + op + " op: rebuild with native/build-native.sh"
                            : "is unavailable: " + MmgpKernels.unavailableReason()));
        }
        return true;
    }
}
