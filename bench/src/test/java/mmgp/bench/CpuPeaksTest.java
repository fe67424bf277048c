package mmgp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.Map;
import mmgp.bindings.kernels.MmgpKernels.Kind;
import org.junit.jupiter.api.Test;

/** Which measured peak a matmul row is judged against, by the instructions its route runs, with and without AMX. */
class CpuPeaksTest {
    private static CpuPeaks.Peaks peaks(double amxBf16, double amxInt8, String bf16Path) {
        Map<Kind, Double> v = new EnumMap<>(Map.of(Kind.FP32, 230.0, Kind.BF16, 460.0, Kind.INT8, 920.0, Kind.AMX_BF16, amxBf16, Kind.AMX_INT8, amxInt8));
        Map<Kind, String> paths = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) paths.put(k, Double.isNaN(v.get(k)) ? "unavailable: no AMX" : k.name().toLowerCase(java.util.Locale.ROOT));
        paths.put(Kind.BF16, bf16Path);
        return new CpuPeaks.Peaks(2, v, paths);
    }

    @Test
    void onAnAmxCpuOnlyGgmlQuantizedRowsWithTheirWeightInTheAmxBufferAreJudgedAgainstTheTiles() {
        CpuPeaks.Peaks amx = peaks(3700, 7400, "avx512_bf16 vdpbf16ps");
        assertThat(MatMulBench.peakKind(amx, "Q8_0", "AMX")).isEqualTo(Kind.AMX_INT8);
        assertThat(MatMulBench.peakKind(amx, "Q4_0", "AMX")).isEqualTo(Kind.AMX_INT8);
        // In a plain buffer ggml runs its vector dot; mmgp's Q8_0 GEMM is AVX-512 VNNI wherever the weight is.
        assertThat(MatMulBench.peakKind(amx, "Q8_0", "CPU_Mapped")).isEqualTo(Kind.INT8);
        assertThat(MatMulBench.peakKind(amx, MatMulBench.Q8_0_MMGP, "CPU_Mapped")).isEqualTo(Kind.INT8);
        assertThat(MatMulBench.peakKind(amx, MatMulBench.Q8_0_MMGP, "AMX")).isEqualTo(Kind.INT8);
        // ggml has no AMX BF16 matmul, and mmgp's FP32 GEMM is vector FMA.
        assertThat(MatMulBench.peakKind(amx, "BF16", "AMX")).isEqualTo(Kind.BF16);
        assertThat(MatMulBench.peakKind(amx, "F16", "AMX")).isEqualTo(Kind.FP32);
        assertThat(MatMulBench.peakKind(amx, "F16-mmgp", "CPU_Mapped")).isEqualTo(Kind.FP32);
        // PyTorch: oneDNN's bf16 matmul takes the tiles, quantize_dynamic's int8 (fbgemm) does not.
        assertThat(MatMulBench.torchPeakKind(amx, "bf16")).isEqualTo(Kind.AMX_BF16);
        assertThat(MatMulBench.torchPeakKind(amx, "int8")).isEqualTo(Kind.INT8);
        assertThat(MatMulBench.torchPeakKind(amx, "fp32")).isEqualTo(Kind.FP32);
        assertThat(MatMulBench.describe(amx)).isEqualTo("FP32 FMA 230.0 GFLOP/s, BF16 dot 460.0 GFLOP/s (avx512_bf16 vdpbf16ps), INT8 dot 920.0 GOP/s, "
                + "AMX BF16 3700.0 GFLOP/s, AMX INT8 7400.0 GOP/s");
    }

    @Test
    void withoutAmxTheVectorPeaksAndEmulatedBf16CountsAsFp32() {
        CpuPeaks.Peaks avx2 = peaks(Double.NaN, Double.NaN, "avx2 fma (bf16 emulated by widening)");
        assertThat(MatMulBench.peakKind(avx2, "Q8_0", "CPU_REPACK")).isEqualTo(Kind.INT8);
        assertThat(MatMulBench.peakKind(avx2, "BF16", "CPU_Mapped")).isEqualTo(Kind.FP32);
        assertThat(MatMulBench.torchPeakKind(avx2, "bf16")).isEqualTo(Kind.FP32);
        assertThat(MatMulBench.peakKind(null, "Q8_0", "AMX")).isEqualTo(Kind.INT8);
        assertThat(MatMulBench.describe(avx2)).isEqualTo("FP32 FMA 230.0 GFLOP/s, BF16 dot 460.0 GFLOP/s (avx2 fma (bf16 emulated by widening)), INT8 dot 920.0 GOP/s");
    }

    @Test
    void aMissingAmxKindPrintsADashOfItsOwn() {
        CpuPeaks.Peaks int8Only = peaks(Double.NaN, 7400, "avx512_bf16 vdpbf16ps");
        assertThat(MatMulBench.describe(int8Only)).endsWith("INT8 dot 920.0 GOP/s, AMX BF16 —, AMX INT8 7400.0 GOP/s");
        // Without an AMX INT8 peak a weight in the AMX buffer falls back to the vector one.
        assertThat(MatMulBench.peakKind(peaks(3700, Double.NaN, "b"), "Q8_0", "AMX")).isEqualTo(Kind.INT8);
    }
}
