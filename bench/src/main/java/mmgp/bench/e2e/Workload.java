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

    /** True for metrics measured as rates (higher is better); seconds otherwise. */
    static boolean isRate(String metric) {
        return metric.endsWith("tok/s");
    }
}
