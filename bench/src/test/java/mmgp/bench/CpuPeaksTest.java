package mmgp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.Map;
import mmgp.bindings.kernels.MmgpKernels.Kind;
import org.junit.jupiter.api.Test;

/** Which measured peak a data type and a matmul's weight type are judged against, with and without AMX. */
class CpuPeaksTest {
    private static CpuPeaks.Peaks peaks(double amxBf16, double amxInt8, String bf16Path) {
        Map<Kind, Double> v = new EnumMap<>(Map.of(Kind.FP32, 230.0, Kind.BF16, 460.0, Kind.INT8, 920.0, Kind.AMX_BF16, amxBf16, Kind.AMX_INT8, amxInt8));
        Map<Kind, String> paths = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) paths.put(k, Double.isNaN(v.get(k)) ? "unavailable: no AMX" : k.name().toLowerCase(java.util.Locale.ROOT));
        paths.put(Kind.BF16, bf16Path);
        return new CpuPeaks.Peaks(2, v, paths);
    }

    @Test
    void onAnAmxCpuBf16AndInt8AreJudgedAgainstTheTiles() {
        CpuPeaks.Peaks amx = peaks(3700, 7400, "avx512_bf16 vdpbf16ps");
        assertThat(amx.best("INT8")).isEqualTo(Kind.AMX_INT8);
        assertThat(amx.best("BF16")).isEqualTo(Kind.AMX_BF16);
        assertThat(amx.best("FP32")).isEqualTo(Kind.FP32);
        assertThat(MatMulBench.peakName(amx, "Q8_0")).isEqualTo("AMX INT8");
        assertThat(MatMulBench.peakFor(amx, "Q4_0")).isEqualTo(7400);
        assertThat(MatMulBench.peakName(amx, "BF16")).isEqualTo("AMX BF16");
        assertThat(MatMulBench.peakName(amx, "F16")).isEqualTo("FP32 FMA");
        assertThat(MatMulBench.peakFor(amx, "F32")).isEqualTo(230);
    }

    @Test
    void withoutAmxTheVectorPeaksAndEmulatedBf16CountsAsFp32() {
        CpuPeaks.Peaks avx2 = peaks(Double.NaN, Double.NaN, "avx2 fma (bf16 emulated by widening)");
        assertThat(avx2.best("INT8")).isEqualTo(Kind.INT8);
        assertThat(avx2.best("BF16")).isEqualTo(Kind.BF16);
        assertThat(MatMulBench.peakName(avx2, "Q8_0")).isEqualTo("INT8 dot");
        assertThat(MatMulBench.peakFor(avx2, "Q8_0")).isEqualTo(920);
        assertThat(MatMulBench.peakName(avx2, "BF16")).isEqualTo("FP32 FMA");
        assertThat(MatMulBench.peakName(null, "Q8_0")).isEqualTo("INT8");
    }
}
