package mmgp.engine;

import java.util.function.BooleanSupplier;
import mmgp.api.ProgressListener;

/**
 * The listener a pipeline hands to one of its stages: the stage's events reach the pipeline's
 * caller with the stage name in front ("image.denoise"), and the stage stops when the
 * pipeline is cancelled or the caller's listener asks to stop.
 */
final class StageProgress implements ProgressListener {
    private final String prefix;
    private final ProgressListener caller;
    private final BooleanSupplier pipelineCancelled;

    StageProgress(String stageName, ProgressListener caller, BooleanSupplier pipelineCancelled) {
        this.prefix = stageName + ".";
        this.caller = caller;
        this.pipelineCancelled = pipelineCancelled;
    }

    @Override
    public void started(String stage) {
        CallerListeners.call(() -> caller.started(prefix + stage));
    }

    @Override
    public void step(String stage, int done, int total, double seconds) {
        CallerListeners.call(() -> caller.step(prefix + stage, done, total, seconds));
    }

    @Override
    public void stageStarted(String stage) {
        CallerListeners.call(() -> caller.stageStarted(prefix + stage));
    }

    @Override
    public void stage(String stage, double seconds) {
        CallerListeners.call(() -> caller.stage(prefix + stage, seconds));
    }

    @Override
    public void text(String stage, String piece) {
        CallerListeners.call(() -> caller.text(prefix + stage, piece));
    }

    @Override
    public boolean cancelled() {
        return pipelineCancelled.getAsBoolean() || CallerListeners.cancelled(caller);
    }
}
