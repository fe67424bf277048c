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
     * The kind whose peak work of {@code dataType} (FP32, BF16, INT8) is judged against: the higher
     * measured one of the data type's kinds, so on a CPU with AMX the tiles' for BF16 and INT8.
     * The data type itself when nothing of it was measured, or null for null.
     */
    public String best(String dataType) {
        if (dataType == null) return null;
        String amx = switch (dataType) {
            case BF16 -> AMX_BF16;
            case INT8 -> AMX_INT8;
            default -> null;
        };
        return amx != null && of(amx) > (Double.isNaN(of(dataType)) ? 0 : of(dataType)) ? amx : dataType;
    }

    /** "FP32 183 GFLOP/s (avx2-fma), BF16 …, INT8 … at 2 threads", with the AMX peaks where measured, for the report. */
    String describe() {
        if (unavailable != null) return unavailable;
        String amx = Double.isNaN(of(AMX_BF16)) && Double.isNaN(of(AMX_INT8)) ? ""
                : String.format(Locale.ROOT, ", AMX BF16 %.0f GFLOP/s (%s), AMX INT8 %.0f GOP/s (%s)", amxBf16, amxBf16Path, amxInt8, amxInt8Path);
        return String.format(Locale.ROOT, "FP32 %.0f GFLOP/s (%s), BF16 %.0f GFLOP/s (%s), INT8 %.0f GOP/s (%s)%s at %d thread%s", fp32, fp32Path,
                bf16, bf16Path, int8, int8Path, amx, threads, threads == 1 ? "" : "s");
    }
}
