package mmgp.bench.e2e;

import java.util.ArrayList;
import java.util.List;
import mmgp.api.ProgressListener;

/** Collects the per-step seconds a pipeline reports for one stage (e.g. every denoising step). */
final class StepTimes implements ProgressListener {
    private final String stage;
    private final List<Double> seconds = new ArrayList<>();

    StepTimes(String stage) {
        this.stage = stage;
    }

    @Override
    public void step(String s, int done, int total, double secs) {
        if (s.equals(stage)) seconds.add(secs);
    }

    /** Median step time of the run so far; fails if the pipeline reported no step of the stage. */
    double median() {
        if (seconds.isEmpty()) throw new IllegalStateException("the pipeline reported no '" + stage + "' step");
        return StageStats.medianOf(seconds);
    }
}
