package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunLineTest {
    @Test
    void runLineRoundTripsWithMetricOrder() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("vision encode / tile", 1.25);
        m.put("decode tok/s", 80.5);
        m.put("total", 30.0);
        String line = RunLine.format(new RunLine.Run(2, true, m));
        RunLine.Run back = RunLine.parseRun(line);
        assertThat(back.run()).isEqualTo(2);
        assertThat(back.warmup()).isTrue();
        assertThat(back.metrics()).containsExactlyEntriesOf(m);
        assertThat(RunLine.parseEnd(line)).isNull();
    }

    @Test
    void endLineRoundTrips() {
        RunLine.End e = RunLine.parseEnd(RunLine.format(new RunLine.End(3.5, 1L << 31, "256×256, 12 steps")));
        assertThat(e).isEqualTo(new RunLine.End(3.5, 1L << 31, "256×256, 12 steps"));
    }

    @Test
    void stageWorkAndThroughputRoundTrip() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("denoise step", 2.5);
        Map<String, StageWork> w = new LinkedHashMap<>();
        w.put("denoise step", new StageWork(410, 2.0, 1, java.util.List.of("uvit_logits")));
        RunLine.Run run = RunLine.parseRun(RunLine.format(new RunLine.Run(0, false, m, w)));
        assertThat(run.work()).containsExactlyEntriesOf(w);

        PeakInfo peaks = new PeakInfo(2, 183, 170, 310, Double.NaN, Double.NaN, "avx2-fma", "avx2", "avx2-maddubs", "unavailable: no AMX", "unavailable: no AMX", null);
        StageRate rate = new StageRate("denoise step", 410, 2.5, 164, 205, "Q8_0", "INT8", 310, 52.9, java.util.List.of("uvit_logits"), null);
        StageRate unknown = new StageRate("total", Double.NaN, 30, Double.NaN, Double.NaN, null, null, Double.NaN, Double.NaN, java.util.List.of(), "FLOPs unknown");
        RunLine.End end = new RunLine.End(3.5, 1L << 31, "256×256", java.util.List.of(rate, unknown), peaks);
        assertThat(RunLine.parseEnd(RunLine.format(end))).isEqualTo(end);
        PeakInfo amx = new PeakInfo(2, 230, 460, 920, 3700, 7400, "avx512f", "avx512_bf16", "avx512_vnni", "amx tdpbf16ps", "amx tdpbusd", null);
        RunLine.End withAmx = new RunLine.End(3.5, 1L << 31, "256×256", java.util.List.of(rate), amx);
        assertThat(RunLine.parseEnd(RunLine.format(withAmx))).isEqualTo(withAmx);
        RunLine.End noPeaks = new RunLine.End(3.5, 1L << 31, "256×256", java.util.List.of(), PeakInfo.unavailable(2, "not built"));
        assertThat(RunLine.parseEnd(RunLine.format(noPeaks))).isEqualTo(noPeaks);
    }

    @Test
    void aClosingLineWrittenBeforeTheAmxPeaksParsesWithoutThem() {
        // As a child printed it before the AMX kinds existed: no amxBf16, amxInt8 or their paths.
        String line = RunLine.END + "{\"loadSeconds\":3.5,\"peakRssBytes\":2147483648,\"sizeLabel\":\"256×256\",\"rates\":[{\"stage\":\"denoise step\","
                + "\"gflop\":410.0,\"median\":2.5,\"gflops\":164.0,\"graphGflops\":205.0,\"weightType\":\"Q8_0\",\"peakKind\":\"INT8\","
                + "\"peakGflops\":310.0,\"percentOfPeak\":52.9,\"labels\":[\"uvit_logits\"],\"note\":null}],\"peaks\":{\"threads\":2,"
                + "\"fp32\":183.0,\"bf16\":170.0,\"int8\":310.0,\"fp32Path\":\"avx2-fma\",\"bf16Path\":\"avx2\",\"int8Path\":\"avx2-maddubs\","
                + "\"unavailable\":null}}";
        RunLine.End end = RunLine.parseEnd(line);
        PeakInfo peaks = end.peaks();
        assertThat(peaks.of(PeakInfo.INT8)).isEqualTo(310);
        assertThat(peaks.of(PeakInfo.AMX_BF16)).isNaN();
        assertThat(peaks.of(PeakInfo.AMX_INT8)).isNaN();
        assertThat(peaks.peakKind(PeakInfo.INT8, true)).isEqualTo(PeakInfo.INT8);
        assertThat(peaks.describe()).isEqualTo("FP32 183 GFLOP/s (avx2-fma), BF16 170 GFLOP/s (avx2), INT8 310 GOP/s (avx2-maddubs) at 2 threads");
        assertThat(end.rates().get(0).describe()).isEqualTo("164 GFLOP/s, 53% of INT8 peak");
    }

    @Test
    void otherOutputIsNotAResultAndBrokenJsonIsAnError() {
        assertThat(RunLine.parseRun("ggml_init: something the native side printed")).isNull();
        assertThatThrownBy(() -> RunLine.parseRun(RunLine.RUN + "{not json")).hasMessageContaining("malformed run line");
    }
}
