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

    static ConfigurationResult amused(String type, int threads, double step) {
        return result(settings("amused", type, threads, true), "256×256, 12 steps, guidance 10", 1L << 30,
                "encode", 0.3, "denoise step", step, "decode", 0.45, "total", 0.75 + 12 * step);
    }
}
