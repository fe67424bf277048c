package mmgp.bench.e2e;

import java.util.Locale;
import mmgp.bench.CpuPeaks;
import mmgp.bindings.kernels.MmgpKernels.Kind;

/**
 * This CPU's measured compute peaks at the configuration's thread count ({@link CpuPeaks}), in
 * GFLOP/s (FP32 FMA, BF16 dot, AMX BF16) or GOP/s (INT8 dot, AMX INT8), with the instruction path
 * of each; the AMX ones NaN on CPUs without AMX (0 in closing lines written before they existed).
 * Or, when the kernels could not be run, why not ({@code unavailable}).
 */
public record PeakInfo(int threads, double fp32, double bf16, double int8, double amxBf16, double amxInt8, String fp32Path, String bf16Path,
                       String int8Path, String amxBf16Path, String amxInt8Path, String unavailable) {
    public static final String FP32 = "FP32", BF16 = "BF16", INT8 = "INT8", AMX_BF16 = "AMX BF16", AMX_INT8 = "AMX INT8";

    static PeakInfo of(CpuPeaks.Peaks p) {
        return new PeakInfo(p.threads(), p.fp32(), p.bf16(), p.int8(), p.of(Kind.AMX_BF16), p.of(Kind.AMX_INT8), p.pathOf(Kind.FP32), p.bf16Path(),
                p.pathOf(Kind.INT8), p.pathOf(Kind.AMX_BF16), p.pathOf(Kind.AMX_INT8), null);
    }

    static PeakInfo unavailable(int threads, String why) {
        return new PeakInfo(threads, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, null, null, null, null, null, why);
    }

    /** Measures in this JVM (about 5 s), or says why it cannot. */
    static PeakInfo measure(int threads) {
        try {
            if (!CpuPeaks.available()) return unavailable(threads, "peak kernels not built: " + CpuPeaks.unavailableReason());
            return of(CpuPeaks.measure(threads));
        } catch (RuntimeException | LinkageError e) {
            return unavailable(threads, "peak measurement failed: " + e.getMessage());
        }
    }

    /** The peak of kind FP32, BF16, INT8, AMX BF16 or AMX INT8; NaN when unknown or not measured. */
    public double of(String kind) {
        if (kind == null || unavailable != null) return Double.NaN;
        double v = switch (kind) {
            case FP32 -> fp32;
            case BF16 -> bf16;
            case INT8 -> int8;
            case AMX_BF16 -> amxBf16;
            case AMX_INT8 -> amxInt8;
            default -> Double.NaN;
        };
        return v > 0 ? v : Double.NaN;
    }

    /**
     * The kind whose peak work of {@code dataType} (FP32, BF16, INT8) is judged against: that of the
     * instructions the route runs. INT8 is AMX INT8 only when {@code amxWeights} (the quantized
     * weights sit in ggml's AMX buffer type, whose kernels use the tiles) and that peak was
     * measured; else the INT8 dot, which mmgp's Q8_0 GEMM and ggml's vector dot run on. BF16 is
     * never AMX BF16: ggml has no AMX BF16 matmul. The data type itself otherwise, null for null.
     */
    public String peakKind(String dataType, boolean amxWeights) {
        if (dataType == null) return null;
        return dataType.equals(INT8) && amxWeights && !Double.isNaN(of(AMX_INT8)) ? AMX_INT8 : dataType;
    }

    /**
     * "FP32 183 GFLOP/s (avx2-fma), BF16 …, INT8 … at 2 threads", with the AMX peaks where at least
     * one was measured ("—" for the other), for the report: the AMX ones are the hardware's
     * ceiling, even where no stage's route runs on the tiles.
     */
    String describe() {
        if (unavailable != null) return unavailable;
        String amx = Double.isNaN(of(AMX_BF16)) && Double.isNaN(of(AMX_INT8)) ? ""
                : ", " + AMX_BF16 + " " + value(AMX_BF16, "GFLOP/s") + " (" + amxBf16Path + "), " + AMX_INT8 + " " + value(AMX_INT8, "GOP/s") + " (" + amxInt8Path + ")";
        return String.format(Locale.ROOT, "FP32 %.0f GFLOP/s (%s), BF16 %.0f GFLOP/s (%s), INT8 %.0f GOP/s (%s)%s at %d thread%s", fp32, fp32Path,
                bf16, bf16Path, int8, int8Path, amx, threads, threads == 1 ? "" : "s");
    }

    /** "3700 GOP/s", or "—" where the kind was not measured. */
    private String value(String kind, String unit) {
        double v = of(kind);
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.0f %s", v, unit);
    }
}
