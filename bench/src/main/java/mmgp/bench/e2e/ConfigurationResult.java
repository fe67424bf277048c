package mmgp.bench.e2e;

import java.util.List;
import java.util.Map;

/**
 * What one (model, type, threads) configuration measured: every measured run's metrics, their
 * statistics, the child's peak RSS and model load time; {@code error} is set (and the figures empty)
 * when the child failed.
 */
public record ConfigurationResult(WorkloadSettings settings, String sizeLabel, List<Map<String, Double>> runs,
                                  Map<String, StageStats> stats, double loadSeconds, long peakRssBytes, double wallSeconds,
                                  String error, List<StageRate> rates, PeakInfo peaks) {
    public ConfigurationResult {
        rates = rates == null ? List.of() : rates; // a bench.json of before the throughput figures
    }

    public ConfigurationResult(WorkloadSettings settings, String sizeLabel, List<Map<String, Double>> runs, Map<String, StageStats> stats,
                               double loadSeconds, long peakRssBytes, double wallSeconds, String error) {
        this(settings, sizeLabel, runs, stats, loadSeconds, peakRssBytes, wallSeconds, error, List.of(), null);
    }

    public static ConfigurationResult failed(WorkloadSettings s, double wallSeconds, String error) {
        return new ConfigurationResult(s, "", List.of(), Map.of(), 0, -1, wallSeconds, error);
    }

    /** The throughput of a stage, or null when it was not computed. */
    public StageRate rate(String metric) {
        return rates.stream().filter(r -> r.stage().equals(metric)).findFirst().orElse(null);
    }

    public boolean ok() {
        return error == null;
    }

    /** "Q8_0, 2 threads". */
    public String label() {
        return settings.type() + ", " + settings.threads() + (settings.threads() == 1 ? " thread" : " threads");
    }

    /** Median of a metric, or NaN when it was not measured. */
    public double median(String metric) {
        StageStats s = stats.get(metric);
        return s == null ? Double.NaN : s.median();
    }
}
