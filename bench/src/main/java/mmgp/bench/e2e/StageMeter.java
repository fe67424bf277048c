package mmgp.bench.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mmgp.api.ProgressListener;
import mmgp.graph.GraphStats;

/**
 * Listens to one pipeline run and splits the {@link GraphStats} totals between its stages: every
 * graph computed between two stage events (a stage's end, a denoising step's end) belongs to the
 * stage whose event closes the window. So a stage's FLOPs are those of every graph it ran, whatever
 * their labels (a tiled decode's chunks too); the labels seen are kept so the report can say when a
 * stage's expected graph never ran. Also collects the per-step seconds.
 */
final class StageMeter implements ProgressListener {
    private final Map<String, String> metricOfEvent;
    private final String stepEvent;
    private final String stepMetric;
    private final List<Double> stepSeconds = new ArrayList<>();
    private final Map<String, double[]> totals = new LinkedHashMap<>(); // metric → {flops, seconds, computes}, in the order the stages ran
    private final Map<String, Set<String>> labels = new LinkedHashMap<>();
    private Map<String, GraphStats.Entry> last = snapshot();

    /**
     * @param metricOfEvent the stage events ({@link #stage}) that end a metric's window, e.g. tokenize → encode, encode → encode
     * @param stepEvent     the {@link #step} stage whose every unit ends a window of {@code stepMetric} (e.g. "denoise")
     */
    StageMeter(Map<String, String> metricOfEvent, String stepEvent, String stepMetric) {
        this.metricOfEvent = Map.copyOf(metricOfEvent);
        this.stepEvent = stepEvent;
        this.stepMetric = stepMetric;
    }

    @Override
    public void step(String stage, int done, int total, double seconds) {
        if (!stage.equals(stepEvent)) return; // e.g. decode tiles: their graphs fall into the decode window
        stepSeconds.add(seconds);
        close(stepMetric);
    }

    @Override
    public void stage(String stage, double seconds) {
        String metric = metricOfEvent.get(stage);
        if (metric != null) close(metric);
    }

    private void close(String metric) {
        Map<String, GraphStats.Entry> now = snapshot();
        double[] t = totals.computeIfAbsent(metric, k -> new double[3]);
        for (GraphStats.Entry e : now.values()) {
            GraphStats.Entry before = last.get(e.label());
            long computes = e.computes() - (before == null ? 0 : before.computes());
            if (computes <= 0) continue;
            t[0] += e.flops() - (before == null ? 0 : before.flops());
            t[1] += e.seconds() - (before == null ? 0 : before.seconds());
            t[2] += computes;
            labels.computeIfAbsent(metric, k -> new LinkedHashSet<>()).add(e.label());
        }
        last = now;
    }

    private static Map<String, GraphStats.Entry> snapshot() {
        Map<String, GraphStats.Entry> m = new LinkedHashMap<>(); // first-compute order
        for (GraphStats.Entry e : GraphStats.entries()) m.put(e.label(), e);
        return m;
    }

    /** Median step time of the run so far; fails if the pipeline reported no step. */
    double medianStep() {
        if (stepSeconds.isEmpty()) throw new IllegalStateException("the pipeline reported no '" + stepEvent + "' step");
        return StageStats.medianOf(stepSeconds);
    }

    /** Each metric's work in this run (the step metric per step), plus "total": everything. */
    Map<String, StageWork> work() {
        Map<String, StageWork> out = new LinkedHashMap<>();
        double[] all = new double[3];
        Set<String> allLabels = new LinkedHashSet<>();
        totals.forEach((metric, t) -> {
            double units = metric.equals(stepMetric) ? Math.max(1, stepSeconds.size()) : 1;
            List<String> seen = List.copyOf(labels.getOrDefault(metric, Set.of()));
            out.put(metric, new StageWork(t[0] / 1e9 / units, t[1] / units, t[2] / units, seen));
            for (int i = 0; i < 3; i++) all[i] += t[i];
            allLabels.addAll(seen);
        });
        out.put("total", new StageWork(all[0] / 1e9, all[1], all[2], List.copyOf(allLabels)));
        return out;
    }
}
