package mmgp.bench.e2e;

import java.util.Locale;
import mmgp.bench.CpuPeaks;

/**
 * This CPU's measured compute peaks at the configuration's thread count ({@link CpuPeaks}), in
 * GFLOP/s (FP32 FMA, BF16 dot) or GOP/s (INT8 dot), with the instruction path of each; or, when
 * the kernels could not be run, why not ({@code unavailable}).
 */
public record PeakInfo(int threads, double fp32, double bf16, double int8, String fp32Path, String bf16Path, String int8Path,
                       String unavailable) {
    public static final String FP32 = "FP32", BF16 = "BF16", INT8 = "INT8";

    static PeakInfo of(CpuPeaks.Peaks p) {
        return new PeakInfo(p.threads(), p.fp32(), p.bf16(), p.int8(), p.fp32Path(), p.bf16Path(), p.int8Path(), null);
    }

    static PeakInfo unavailable(int threads, String why) {
        return new PeakInfo(threads, Double.NaN, Double.NaN, Double.NaN, null, null, null, why);
    }

    /** Measures in this JVM (about 3 s), or says why it cannot. */
    static PeakInfo measure(int threads) {
        try {
            if (!CpuPeaks.available()) return unavailable(threads, "peak kernels not built: " + CpuPeaks.unavailableReason());
            return of(CpuPeaks.measure(threads));
        } catch (RuntimeException | LinkageError e) {
            return unavailable(threads, "peak measurement failed: " + e.getMessage());
        }
    }

    /** The peak of kind FP32, BF16 or INT8; NaN when unknown. */
    public double of(String kind) {
        if (kind == null || unavailable != null) return Double.NaN;
        return switch (kind) {
            case FP32 -> fp32;
            case BF16 -> bf16;
            case INT8 -> int8;
            default -> Double.NaN;
        };
    }

    /** "FP32 183 GFLOP/s (avx2-fma), BF16 …" for the report. */
    String describe() {
        if (unavailable != null) return unavailable;
        return String.format(Locale.ROOT, "FP32 %.0f GFLOP/s (%s), BF16 %.0f GFLOP/s (%s), INT8 %.0f GOP/s (%s) at %d thread%s", fp32, fp32Path,
                bf16, bf16Path, int8, int8Path, threads, threads == 1 ? "" : "s");
    }
}
