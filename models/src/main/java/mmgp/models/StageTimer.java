package mmgp.models;

import mmgp.api.ProgressListener;
import mmgp.api.StageTimings;

/** How a generation pipeline books the time of a stage or denoising step: into its timings, and to the listener. */
public final class StageTimer {
    private StageTimer() {}

    /** Adds the seconds since {@code startNanos} to {@code stage} and reports the stage as finished. */
    public static void stageDone(ProgressListener listener, StageTimings timings, String stage, long startNanos) {
        double secs = seconds(startNanos);
        timings.add(stage, secs);
        listener.stage(stage, secs);
    }

    /**
     * Adds denoising step {@code step} (0-based, of {@code steps}) to the "denoise" stage, reports it, and stops
     * the run here when the request was cancelled.
     */
    public static void stepDone(ProgressListener listener, StageTimings timings, int step, int steps, long startNanos) {
        double secs = seconds(startNanos);
        timings.add("denoise", secs);
        listener.step("denoise", step + 1, steps, secs);
        listener.checkCancelled("denoising step " + (step + 1));
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
