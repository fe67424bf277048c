package mmgp.bench.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Configuration results built by hand, as a child JVM would have reported them. */
final class Fixtures {
    private Fixtures() {}

    static WorkloadSettings settings(String model, String type, int threads, boolean fullSize) {
        return new WorkloadSettings(model, Path.of("/w/" + model + ".gguf"), type, threads, 1, 3, fullSize ? 12 : 2,
                fullSize ? 49 : 9, fullSize ? 512 : 256, fullSize ? 320 : 160, fullSize ? 8 : 1, Path.of("/o/in.png"), 64);
    }

    /** Three runs whose metrics are base, 1.1·base and 0.9·base. */
    static ConfigurationResult result(WorkloadSettings s, String sizeLabel, long rss, Object... metricValuePairs) {
        List<Map<String, Double>> runs = new ArrayList<>();
        for (double f : new double[] {1.0, 1.1, 0.9}) {
            Map<String, Double> m = new LinkedHashMap<>();
            for (int i = 0; i < metricValuePairs.length; i += 2) m.put((String) metricValuePairs[i], f * ((Number) metricValuePairs[i + 1]).doubleValue());
            runs.add(m);
        }
        return new ConfigurationResult(s, sizeLabel, runs, StageStats.summarise(runs), 2.5, rss, 60, null);
    }

    /** A PyTorch stage peer run at {@code threads}: per stage key its GFLOP, fp32 and bf16 seconds (NaN: failed). */
    static TorchStages torch(int threads, boolean quick, Object... keyGflopFp32Bf16) {
        List<TorchStages.Stage> stages = new ArrayList<>();
        for (int i = 0; i < keyGflopFp32Bf16.length; i += 4) {
            Map<String, TorchStages.Result> results = new LinkedHashMap<>();
            double gflop = ((Number) keyGflopFp32Bf16[i + 1]).doubleValue();
            results.put("fp32", timing(gflop, ((Number) keyGflopFp32Bf16[i + 2]).doubleValue()));
            results.put("bf16", timing(gflop, ((Number) keyGflopFp32Bf16[i + 3]).doubleValue()));
            stages.add(new TorchStages.Stage((String) keyGflopFp32Bf16[i], "stage " + keyGflopFp32Bf16[i], gflop, 0, 0, results));
        }
        return new TorchStages(threads, "1.13.0a0", "/usr/bin/python3", "OpenBLAS", null, "AVX2", "emulated", quick, 120, stages);
    }

    private static TorchStages.Result timing(double gflop, double seconds) {
        if (Double.isNaN(seconds)) return new TorchStages.Result(Double.NaN, 0, Double.NaN, false, false, Double.NaN, null, "RuntimeException: no kernel");
        return new TorchStages.Result(seconds, 3, gflop / seconds, false, false, Double.NaN, null, null);
    }

    static TorchPeer peer(TorchStages... runs) {
        return new TorchPeer(null, "/usr/bin/python3 (torch 1.13.0a0)", List.of(runs), List.of());
    }

    /** The same configuration with stage throughputs and peaks attached, as the child reports them. */
    static ConfigurationResult withRates(ConfigurationResult r, PeakInfo peaks, StageRate... rates) {
        return new ConfigurationResult(r.settings(), r.sizeLabel(), r.runs(), r.stats(), r.loadSeconds(), r.peakRssBytes(), r.wallSeconds(), r.error(),
                List.of(rates), peaks);
    }

    static ConfigurationResult amused(String type, int threads, double step) {
        return result(settings("amused", type, threads, true), "256×256, 12 steps, guidance 10", 1L << 30,
                "encode", 0.3, "denoise step", step, "decode", 0.45, "total", 0.75 + 12 * step);
    }

    static ConfigurationResult ltx(int threads, boolean fullSize, double t5, double step, double vae) {
        return result(settings("ltx", "Q8_0", threads, fullSize), fullSize ? "512×320×49, 8 steps" : "256×160×9, 1 step", 5L << 30,
                "T5 encode", t5, "transformer step", step, "VAE decode", vae, "total", t5 + (fullSize ? 8 : 1) * step + vae);
    }

    static ConfigurationResult smolvlm(int threads, double tile, double prefill, double tps) {
        return result(settings("smolvlm", "Q8_0", threads, true), "512² image, 64 tokens, greedy", 600L << 20,
                "vision encode / tile", tile, "prefill", prefill, "time to first token", 17 * tile + prefill, "decode tok/s", tps, "total", 30.0);
    }
}
