package mmgp.bench.e2e;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mmgp.bindings.NativeLibraries;
import mmgp.graph.WeightSet;

/**
 * The child JVM of one configuration: loads the model once, runs the warm-ups and the measured runs,
 * prints one {@link RunLine} per run and a closing line with its own peak RSS, so the figure belongs
 * to this configuration alone.
 */
public final class WorkloadMain {
    private WorkloadMain() {}

    public static void main(String[] args) throws Exception {
        WorkloadSettings s = WorkloadSettings.parse(args);
        // Native libraries may print on stdout; results go through a stream of their own prefix.
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        NativeLibraries.get();
        long t0 = System.nanoTime();
        try (Workload w = open(s)) {
            double load = (System.nanoTime() - t0) / 1e9;
            int total = s.warmup() + s.runs();
            List<Map<String, Double>> measured = new ArrayList<>();
            List<Map<String, StageWork>> work = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                boolean warmup = i < s.warmup();
                System.err.printf("[%s %s %d threads] %s %d/%d ...%n", s.model(), s.type(), s.threads(),
                        warmup ? "warm-up" : "run", warmup ? i + 1 : i - s.warmup() + 1, warmup ? s.warmup() : s.runs());
                Map<String, Double> metrics = w.runOnce();
                Map<String, StageWork> stageWork = w.lastWork();
                out.println(RunLine.format(new RunLine.Run(i, warmup, metrics, stageWork)));
                if (!warmup) {
                    measured.add(metrics);
                    work.add(stageWork);
                }
            }
            long rss = RssProbe.selfPeakBytes(); // before the peak kernels, which are not the workload's
            System.err.printf("[%s %s %d threads] measuring this CPU's compute peaks ...%n", s.model(), s.type(), s.threads());
            PeakInfo peaks = PeakInfo.measure(s.threads());
            List<StageRate> rates = StageRates.compute(measured, work, w.weightTypes(), w.graphLabels(), peaks, WeightSet.modelsUseExtraBufferTypes());
            out.println(RunLine.format(new RunLine.End(load, rss, w.sizeLabel(), rates, peaks)));
        }
        System.exit(0); // native thread pools must not keep the child alive
    }

    static Workload open(WorkloadSettings s) throws Exception {
        return switch (s.model()) {
            case "amused" -> new AmusedWorkload(s);
            case "ltx" -> new LtxWorkload(s);
            case "smolvlm" -> new SmolVlmWorkload(s);
            default -> throw new IllegalArgumentException("unknown model " + s.model());
        };
    }
}
