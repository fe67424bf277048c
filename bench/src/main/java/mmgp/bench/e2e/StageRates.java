package mmgp.bench.e2e;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mmgp.tensor.GgmlType;

/**
 * Turns a configuration's measured runs (metrics and {@link StageWork}) into {@link StageRate}s:
 * GFLOP/s = GFLOP per unit ÷ median seconds per unit (× rate for tok/s metrics), and the share of
 * the measured peak of the instructions the stage's matmuls run on ({@link PeakInfo#peakKind}: the
 * vector units', or AMX INT8 for quantized weights placed in ggml's AMX buffer type), named in
 * {@link StageRate#peakKind}. Computed in the child JVM, where the peaks are measured, and carried
 * to the report in its closing line.
 */
final class StageRates {
    private StageRates() {}

    /** The data type whose peak a weight type's matmuls are judged against: quantized → INT8, BF16 → BF16, F16/F32 → FP32. */
    static String peakKind(String weightType) {
        if (weightType == null) return null;
        try {
            GgmlType t = GgmlType.valueOf(weightType.toUpperCase(java.util.Locale.ROOT));
            if (t.isQuantized()) return PeakInfo.INT8;
            if (t == GgmlType.BF16) return PeakInfo.BF16;
            return PeakInfo.FP32;
        } catch (IllegalArgumentException e) {
            return null; // "mixed" or unknown
        }
    }

    /**
     * @param runs          the measured runs' metrics (warm-ups excluded)
     * @param work          the same runs' work per metric (may be empty maps when nothing was metered)
     * @param weightTypes   per metric, the dominant weight type of the model part the stage runs (absent: no peak)
     * @param expectedLabel per metric, the graph label its main graph should carry (absent: none expected)
     * @param amxWeights    whether the quantized weights sit in ggml's AMX buffer type ({@code WeightSet.modelsUseExtraBufferTypes()}),
     *                      so their matmuls run on the AMX INT8 tiles rather than the INT8 dot
     */
    static List<StageRate> compute(List<Map<String, Double>> runs, List<Map<String, StageWork>> work, Map<String, String> weightTypes,
                                   Map<String, String> expectedLabel, PeakInfo peaks, boolean amxWeights) {
        List<StageRate> out = new ArrayList<>();
        if (runs.isEmpty()) return out;
        Map<String, StageStats> stats = StageStats.summarise(runs);
        for (Map.Entry<String, StageStats> e : stats.entrySet()) {
            String metric = e.getKey();
            double median = e.getValue().median();
            List<Double> gflop = new ArrayList<>(), graphSeconds = new ArrayList<>();
            Set<String> labels = new LinkedHashSet<>();
            boolean metered = false;
            for (Map<String, StageWork> w : work) {
                StageWork sw = w.get(metric);
                if (sw == null) continue;
                metered = true;
                if (sw.gflop() > 0) gflop.add(sw.gflop());
                if (sw.graphSeconds() > 0) graphSeconds.add(sw.graphSeconds());
                labels.addAll(sw.labels());
            }
            String type = weightTypes.get(metric);
            String kind = peaks == null ? peakKind(type) : peaks.peakKind(peakKind(type), amxWeights);
            double peak = peaks == null ? Double.NaN : peaks.of(kind);
            List<String> notes = new ArrayList<>();
            String expected = expectedLabel.get(metric);
            if (expected != null && !labels.isEmpty() && !labels.contains(expected)) {
                notes.add("graph " + expected + " not seen; FLOPs from " + String.join(", ", labels));
            }
            double g = gflop.isEmpty() ? Double.NaN : StageStats.medianOf(gflop);
            if (Double.isNaN(g) && (metered || expected != null)) notes.add(expected != null ? "FLOPs unknown (graph " + expected + " not seen)" : "FLOPs unknown");
            boolean rate = Workload.isRate(metric);
            double gflops = rate ? g * median : g / median;
            double graphGflops = rate || graphSeconds.isEmpty() ? Double.NaN : g / StageStats.medianOf(graphSeconds);
            double percent = 100 * gflops / peak;
            if (kind != null && Double.isNaN(peak) && peaks != null && peaks.unavailable() != null) notes.add(peaks.unavailable());
            out.add(new StageRate(metric, g, median, gflops, graphGflops, type, kind, peak, percent, List.copyOf(labels),
                    notes.isEmpty() ? null : String.join("; ", notes)));
        }
        return out;
    }
}
