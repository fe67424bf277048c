package mmgp.graph;

/**
 * Which kernel routes a graph may take, chosen once per {@link ComputeBackend} and read by the
 * shared layer modules ({@code mmgp.graph.nn}) where each op is built.
 */
public enum Numerics {
    /**
     * fp32 arithmetic wherever the reference computes in fp32 (attention scores and softmax
     * materialised, F32 im2col): the route the golden tests check to 1e-4.
     */
    EXACT,
    /**
     * The fastest route measured for each op on the CPU, within the error bounds the README
     * states against the fp32 goldens (e.g. ggml's fused flash attention instead of
     * materialised scores).
     */
    FAST;

    /** "exact" or "fast", as options and descriptions name it. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses "exact" / "fast" (any case), naming the accepted values otherwise. */
    public static Numerics parse(String s) {
        for (Numerics n : values()) if (n.name().equalsIgnoreCase(s.strip())) return n;
        throw new IllegalArgumentException("numerics must be exact or fast, got \"" + s + "\"");
    }
}
