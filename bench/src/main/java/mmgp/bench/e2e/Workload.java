package mmgp.bench.e2e;

import java.util.Map;

/**
 * A model loaded once in the child JVM and run end to end repeatedly. Each run answers its metrics:
 * names ending in "tok/s" are rates, all others seconds.
 */
public interface Workload extends AutoCloseable {
    /** What was run, with the real sizes used (e.g. "512×320×49, 8 steps, unguided"). */
    String sizeLabel();

    /** One end-to-end run; the metrics in the order the stages ran, "total" last. */
    Map<String, Double> runOnce() throws Exception;

    /** The work (FLOPs, graph time) behind each metric of the last {@link #runOnce}; empty when not metered. */
    default Map<String, StageWork> lastWork() {
        return Map.of();
    }

    /** Per metric, the dominant weight type of the model part it runs (its matmuls' data type). */
    default Map<String, String> weightTypes() {
        return Map.of();
    }

    /** Per metric, the graph label (first output's name) of the stage's main graph, to say when it never ran. */
    default Map<String, String> graphLabels() {
        return Map.of();
    }

    /** True for metrics measured as rates (higher is better); seconds otherwise. */
    static boolean isRate(String metric) {
        return metric.endsWith("tok/s");
    }
}
