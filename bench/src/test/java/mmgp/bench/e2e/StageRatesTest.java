package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageRatesTest {
    static final PeakInfo PEAKS = new PeakInfo(2, 183, 170, 310, Double.NaN, Double.NaN, "avx2-fma", "avx2-emulated", "avx2-maddubs", "unavailable: no AMX", "unavailable: no AMX", null);

    private static Map<String, Double> metrics(double encode, double step, double decode) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("encode", encode);
        m.put("denoise step", step);
        m.put("decode", decode);
        m.put("total", encode + 12 * step + decode);
        return m;
    }

    private static Map<String, StageWork> work(double stepGflop) {
        Map<String, StageWork> w = new LinkedHashMap<>();
        w.put("encode", new StageWork(20, 0.1, 1, List.of("clip_text_embeds")));
        w.put("denoise step", new StageWork(stepGflop, 2.0, 1, List.of("uvit_logits")));
        w.put("decode", new StageWork(470, 4.0, 1, List.of("vq_decoded")));
        w.put("total", new StageWork(20 + 12 * stepGflop + 470, 30, 14, List.of("clip_text_embeds", "uvit_logits", "vq_decoded")));
        return w;
    }

    @Test
    void gflopsArePerUnitFlopsOverTheMedianAndPercentOfTheWeightTypesPeak() {
        List<Map<String, Double>> runs = List.of(metrics(0.2, 2.5, 5.0), metrics(0.3, 2.0, 4.7), metrics(0.25, 3.0, 5.2));
        List<Map<String, StageWork>> work = List.of(work(410), work(410), work(410));
        List<StageRate> rates = StageRates.compute(runs, work, Map.of("encode", "Q8_0", "denoise step", "Q8_0", "decode", "F16"),
                AmusedWorkload.LABELS, PEAKS, false);

        StageRate step = rates.stream().filter(r -> r.stage().equals("denoise step")).findFirst().orElseThrow();
        assertThat(step.median()).isEqualTo(2.5);
        assertThat(step.gflop()).isEqualTo(410);
        assertThat(step.gflops()).isCloseTo(164, within(1e-9)); // 410 / 2.5
        assertThat(step.graphGflops()).isCloseTo(205, within(1e-9)); // 410 / 2.0 s in ggml
        assertThat(step.peakKind()).isEqualTo("INT8");
        assertThat(step.peakGflops()).isEqualTo(310);
        assertThat(step.percentOfPeak()).isCloseTo(100 * 164 / 310.0, within(1e-9));
        assertThat(step.note()).isNull();
        assertThat(step.describe()).isEqualTo("164 GFLOP/s, 53% of INT8 peak");

        StageRate decode = rates.stream().filter(r -> r.stage().equals("decode")).findFirst().orElseThrow();
        assertThat(decode.peakKind()).isEqualTo("FP32"); // F16 kernels run through the FP32 FMA path
        assertThat(decode.gflops()).isCloseTo(470 / 5.0, within(1e-9));
        assertThat(decode.percentOfPeak()).isCloseTo(100 * 94 / 183.0, within(1e-9));

        StageRate total = rates.stream().filter(r -> r.stage().equals("total")).findFirst().orElseThrow();
        assertThat(total.peakKind()).isNull(); // mixed types: no single peak
        assertThat(total.percentOfPeak()).isNaN();
        assertThat(total.gflops()).isPositive();
    }

    @Test
    void aMissingGraphLabelSaysSoAndNoFlopsMeansUnknown() {
        Map<String, StageWork> w = new LinkedHashMap<>();
        w.put("encode", new StageWork(20, 0.1, 1, List.of("graph"))); // the encoder's output is not named yet
        w.put("denoise step", new StageWork(0, 0, 0, List.of()));     // nothing computed: FLOPs unknown
        List<StageRate> rates = StageRates.compute(List.of(metrics(0.25, 2.5, 5)), List.of(w), Map.of("encode", "Q8_0"),
                AmusedWorkload.LABELS, PEAKS, false);
        StageRate encode = rates.get(0);
        assertThat(encode.gflops()).isCloseTo(80, within(1e-9));
        assertThat(encode.note()).isEqualTo("graph clip_text_embeds not seen; FLOPs from graph");
        StageRate step = rates.get(1);
        assertThat(step.gflops()).isNaN();
        assertThat(step.note()).isEqualTo("FLOPs unknown (graph uvit_logits not seen)");
        assertThat(step.describe()).isEqualTo("—");
    }

    @Test
    void ratesMultiplyAndUnavailablePeaksLeaveThePercentEmpty() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("prefill", 4.0);
        m.put("decode tok/s", 80.0);
        Map<String, StageWork> w = Map.of("prefill", StageWork.estimate(300, SmolVlmFlops.SOURCE), "decode tok/s", StageWork.estimate(0.3, SmolVlmFlops.SOURCE));
        PeakInfo none = PeakInfo.unavailable(2, "peak kernels not built: test");
        List<StageRate> rates = StageRates.compute(List.of(m), List.of(w), Map.of("prefill", "Q8_0", "decode tok/s", "Q8_0"), Map.of(), none, false);
        assertThat(rates.get(0).gflops()).isCloseTo(75, within(1e-9));
        assertThat(rates.get(0).graphGflops()).isNaN();
        assertThat(rates.get(1).gflops()).isCloseTo(24, within(1e-9)); // 0.3 GFLOP per token × 80 tok/s
        assertThat(rates.get(1).percentOfPeak()).isNaN();
        assertThat(rates.get(1).note()).isEqualTo("peak kernels not built: test");
        assertThat(rates.get(1).describe()).isEqualTo("24 GFLOP/s (INT8 peak unknown)");
    }

    static final PeakInfo AMX = new PeakInfo(2, 230, 460, 920, 3700, 7400, "avx512f vfmadd231ps zmm", "avx512_bf16 vdpbf16ps",
            "avx512_vnni vpdpbusd zmm", "amx tdpbf16ps, 4 tiles 16x16 fp32", "amx tdpbusd, 4 tiles 16x16 int32", null);

    private static StageRate stage(List<StageRate> rates, String name) {
        return rates.stream().filter(r -> r.stage().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void onAnAmxCpuStagesAreJudgedAgainstTheVectorPeaksTheirRoutesRun() {
        // The models keep their weights out of ggml's AMX buffer by default: Q8_0 runs mmgp's VNNI GEMM or ggml's vector dot.
        List<StageRate> rates = StageRates.compute(List.of(metrics(0.2, 2.5, 5.0)), List.of(work(410)),
                Map.of("encode", "BF16", "denoise step", "Q8_0", "decode", "F16"), AmusedWorkload.LABELS, AMX, false);
        StageRate step = stage(rates, "denoise step");
        assertThat(step.peakKind()).isEqualTo("INT8");
        assertThat(step.peakGflops()).isEqualTo(920);
        assertThat(step.percentOfPeak()).isCloseTo(100 * 164 / 920.0, within(1e-9));
        assertThat(step.describe()).isEqualTo("164 GFLOP/s, 18% of INT8 peak");
        StageRate encode = stage(rates, "encode");
        assertThat(encode.peakKind()).isEqualTo("BF16"); // ggml has no AMX BF16 matmul
        assertThat(encode.peakGflops()).isEqualTo(460);
        StageRate decode = stage(rates, "decode");
        assertThat(decode.peakKind()).isEqualTo("FP32"); // no FP32 tile product
        assertThat(decode.peakGflops()).isEqualTo(230);
    }

    @Test
    void withTheWeightsInTheAmxBufferQuantizedStagesAreJudgedAgainstTheAmxInt8PeakAndSaySo() {
        List<StageRate> rates = StageRates.compute(List.of(metrics(0.2, 2.5, 5.0)), List.of(work(410)),
                Map.of("encode", "BF16", "denoise step", "Q8_0", "decode", "F16"), AmusedWorkload.LABELS, AMX, true);
        StageRate step = stage(rates, "denoise step");
        assertThat(step.peakKind()).isEqualTo("AMX INT8");
        assertThat(step.peakGflops()).isEqualTo(7400);
        assertThat(step.describe()).isEqualTo("164 GFLOP/s, 2% of AMX INT8 peak");
        assertThat(stage(rates, "encode").peakKind()).isEqualTo("BF16");
        assertThat(stage(rates, "decode").peakKind()).isEqualTo("FP32");
        // Without AMX the vector peak, whatever the setting.
        assertThat(stage(StageRates.compute(List.of(metrics(0.2, 2.5, 5.0)), List.of(work(410)), Map.of("denoise step", "Q8_0"),
                AmusedWorkload.LABELS, PEAKS, true), "denoise step").peakKind()).isEqualTo("INT8");
    }

    @Test
    void thePeakKindFollowsTheRouteAndTheAmxPeaksAreDescribedAsMeasured() {
        PeakInfo amx = new PeakInfo(1, 115, 230, 460, 1850, 3700, "f", "b", "i", "ab", "ai", null);
        assertThat(amx.peakKind("INT8", true)).isEqualTo("AMX INT8");
        assertThat(amx.peakKind("INT8", false)).isEqualTo("INT8");
        assertThat(amx.peakKind("BF16", true)).isEqualTo("BF16");
        assertThat(amx.peakKind("FP32", true)).isEqualTo("FP32");
        assertThat(amx.peakKind(null, true)).isNull();
        // Without AMX (NaN), or from a closing line written before the AMX kinds (0), the vector peaks.
        assertThat(PEAKS.peakKind("INT8", true)).isEqualTo("INT8");
        PeakInfo old = new PeakInfo(1, 115, 230, 460, 0, 0, "f", "b", "i", null, null, null);
        assertThat(old.peakKind("INT8", true)).isEqualTo("INT8");
        assertThat(old.of("AMX INT8")).isNaN();
        assertThat(old.describe()).isEqualTo("FP32 115 GFLOP/s (f), BF16 230 GFLOP/s (b), INT8 460 GOP/s (i) at 1 thread");
        assertThat(amx.describe()).isEqualTo("FP32 115 GFLOP/s (f), BF16 230 GFLOP/s (b), INT8 460 GOP/s (i), AMX BF16 1850 GFLOP/s (ab), "
                + "AMX INT8 3700 GOP/s (ai) at 1 thread");
        PeakInfo int8Only = new PeakInfo(1, 115, 230, 460, Double.NaN, 3700, "f", "b", "i", "unavailable: not compiled for AMX-BF16", "ai", null);
        assertThat(int8Only.describe()).isEqualTo("FP32 115 GFLOP/s (f), BF16 230 GFLOP/s (b), INT8 460 GOP/s (i), "
                + "AMX BF16 — (unavailable: not compiled for AMX-BF16), AMX INT8 3700 GOP/s (ai) at 1 thread");
        assertThat(PeakInfo.unavailable(1, "not built").peakKind("INT8", true)).isEqualTo("INT8");
    }

    @Test
    void weightTypesMapToTheirPeaks() {
        assertThat(StageRates.peakKind("Q8_0")).isEqualTo("INT8");
        assertThat(StageRates.peakKind("Q4_0")).isEqualTo("INT8");
        assertThat(StageRates.peakKind("BF16")).isEqualTo("BF16");
        assertThat(StageRates.peakKind("F16")).isEqualTo("FP32");
        assertThat(StageRates.peakKind("F32")).isEqualTo("FP32");
        assertThat(StageRates.peakKind("mixed")).isNull();
        assertThat(StageRates.peakKind(null)).isNull();
    }
}
