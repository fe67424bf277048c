package mmgp.bench.e2e;

import java.util.List;
import java.util.Locale;

/**
 * One stage's achieved throughput over a configuration's measured runs: GFLOP per unit (median over
 * the runs), the stage's median seconds (or rate), GFLOP/s over the stage's wall time and over
 * ggml's compute time alone, and the share of this CPU's measured peak for the data type the
 * stage's matmuls run in (INT8 for quantized weights, BF16 for BF16, FP32 for F16/F32) on the
 * instructions they run; {@code peakKind} names the peak taken, e.g. "INT8", or "AMX INT8" where the
 * quantized weights sit in ggml's AMX buffer type.
 * NaN where unknown; {@code note} says why.
 */
public record StageRate(String stage, double gflop, double median, double gflops, double graphGflops, String weightType, String peakKind,
                        double peakGflops, double percentOfPeak, List<String> labels, String note) {
    public StageRate {
        labels = labels == null ? List.of() : List.copyOf(labels);
    }

    /** "118 GFLOP/s, 38% of INT8 peak" / "—". */
    String describe() {
        if (Double.isNaN(gflops)) return "—";
        String s = String.format(Locale.ROOT, gflops < 10 ? "%.2f GFLOP/s" : "%.0f GFLOP/s", gflops);
        if (!Double.isNaN(percentOfPeak)) s += String.format(Locale.ROOT, ", %.0f%% of %s peak", percentOfPeak, peakKind);
        else if (peakKind != null && !peakKind.isEmpty()) s += " (" + peakKind + " peak unknown)";
        return s;
    }
}
