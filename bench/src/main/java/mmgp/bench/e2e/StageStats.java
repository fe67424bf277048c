package mmgp.bench.e2e;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Median and spread of one metric over the measured runs. The spread is (max − min) / median, so a
 * reader sees at once whether a difference between two configurations is larger than the noise.
 */
public record StageStats(String metric, int runs, double median, double min, double max) {

    public static StageStats of(String metric, double[] values) {
        if (values.length == 0) throw new IllegalArgumentException("no values for " + metric);
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return new StageStats(metric, sorted.length, median(sorted), sorted[0], sorted[sorted.length - 1]);
    }

    /** Relative spread (max − min) / median; 0 for a single run. */
    @com.fasterxml.jackson.annotation.JsonProperty("spread")
    public double spread() {
        return median == 0 ? 0 : (max - min) / Math.abs(median);
    }

    /** Median of already sorted values (mean of the middle two for an even count). */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Median of unsorted values (copied). */
    public static double medianOf(List<Double> values) {
        if (values.isEmpty()) throw new IllegalArgumentException("median of nothing");
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return median(v);
    }

    /**
     * Per-metric statistics over runs (each a metric → value map), in the order the metrics first
     * appear. A metric missing from some runs is summarised over the runs that have it.
     */
    public static Map<String, StageStats> summarise(List<Map<String, Double>> runs) {
        Map<String, List<Double>> byMetric = new LinkedHashMap<>();
        for (Map<String, Double> run : runs) {
            run.forEach((metric, value) -> byMetric.computeIfAbsent(metric, k -> new ArrayList<>()).add(value));
        }
        Map<String, StageStats> out = new LinkedHashMap<>();
        byMetric.forEach((metric, values) -> out.put(metric, of(metric, values.stream().mapToDouble(Double::doubleValue).toArray())));
        return out;
    }
}
