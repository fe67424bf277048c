package mmgp.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Always-on totals of every {@link Graph#compute()} in this JVM, per graph label (the name of the
 * graph's first output, e.g. "t5_last_hidden_state"): computes, wall seconds and the FLOPs of the
 * matmuls and attention they ran. The benchmark harness turns these into GFLOP/s per stage.
 */
public final class GraphStats {
    /** One label's totals. */
    public record Entry(String label, long computes, double seconds, double flops) {
        public double gflopPerCompute() {
            return computes == 0 ? 0 : flops / computes / 1e9;
        }

        public double secondsPerCompute() {
            return computes == 0 ? 0 : seconds / computes;
        }

        public double gflops() {
            return seconds > 0 ? flops / seconds / 1e9 : 0;
        }
    }

    private static final Map<String, double[]> BY_LABEL = new LinkedHashMap<>(); // {computes, seconds, flops}
    private static final Map<String, Long> BUFFER_BYTES = new LinkedHashMap<>();

    private GraphStats() {}

    static synchronized void record(String label, double seconds, double flops) {
        double[] e = BY_LABEL.computeIfAbsent(label, k -> new double[3]);
        e[0]++;
        e[1] += seconds;
        e[2] += flops;
    }

    static synchronized void recordBuffer(String label, long bytes) {
        BUFFER_BYTES.merge(label, bytes, Math::max);
    }

    /**
     * The largest compute buffer (inputs + intermediates, as ggml's allocator allocated it, plus the
     * thread buffers its largest custom op mallocs: {@link Graph#reserveThreadScratch}) a graph of
     * {@code label} computed with; 0 when none has run. What cost estimates are checked against.
     */
    public static synchronized long bufferBytes(String label) {
        return BUFFER_BYTES.getOrDefault(label, 0L);
    }

    /** Every label seen so far, in first-compute order. */
    public static synchronized List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        BY_LABEL.forEach((k, v) -> out.add(new Entry(k, (long) v[0], v[1], v[2])));
        return out;
    }

    /** The totals of one label, or null when no graph of that label has run. */
    public static synchronized Entry get(String label) {
        double[] v = BY_LABEL.get(label);
        return v == null ? null : new Entry(label, (long) v[0], v[1], v[2]);
    }

    public static synchronized void reset() {
        BY_LABEL.clear();
        BUFFER_BYTES.clear();
    }
}
