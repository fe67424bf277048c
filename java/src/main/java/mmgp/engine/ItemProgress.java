package mmgp.engine;

import mmgp.api.ProgressListener;

/**
 * What the model sees of one job in a batch: events go to the caller's listener while the job
 * is still open, and it reports cancelled once the job is cancelled or the caller's own
 * listener asks to stop.
 */
final class ItemProgress implements ProgressListener {
    private final EngineJob<?, ?> job;
    private final ProgressListener caller;

    ItemProgress(EngineJob<?, ?> job, ProgressListener caller) {
        this.job = job;
        this.caller = caller;
    }

    @Override
    public void started(String stage) {
        if (!job.isDone()) CallerListeners.call(() -> caller.started(stage));
    }

    @Override
    public void step(String stage, int done, int total, double seconds) {
        if (!job.isDone()) CallerListeners.call(() -> caller.step(stage, done, total, seconds));
    }

    @Override
    public void stageStarted(String stage) {
        if (!job.isDone()) CallerListeners.call(() -> caller.stageStarted(stage));
    }

    @Override
    public void stage(String stage, double seconds) {
        if (!job.isDone()) CallerListeners.call(() -> caller.stage(stage, seconds));
    }

    @Override
    public void text(String stage, String piece) {
        if (!job.isDone()) CallerListeners.call(() -> caller.text(stage, piece));
    }

    @Override
    public boolean cancelled() {
        return job.cancelRequested();
    }
}
