package mmgp.engine;

import java.util.List;
import mmgp.api.ProgressListener;

/**
 * The listener of a whole batch: its events reach every job still running, and it asks the
 * model to stop only when no job of the batch wants the result any more.
 */
final class BatchProgress implements ProgressListener {
    private final List<? extends EngineJob<?, ?>> jobs;

    BatchProgress(List<? extends EngineJob<?, ?>> jobs) {
        this.jobs = List.copyOf(jobs);
    }

    @Override
    public void step(String stage, int done, int total, double seconds) {
        for (EngineJob<?, ?> job : jobs) job.progress().step(stage, done, total, seconds);
    }

    @Override
    public void stageStarted(String stage) {
        for (EngineJob<?, ?> job : jobs) job.progress().stageStarted(stage);
    }

    @Override
    public void stage(String stage, double seconds) {
        for (EngineJob<?, ?> job : jobs) job.progress().stage(stage, seconds);
    }

    @Override
    public void text(String stage, String piece) {
        for (EngineJob<?, ?> job : jobs) job.progress().text(stage, piece);
    }

    @Override
    public boolean cancelled() {
        for (EngineJob<?, ?> job : jobs) {
            if (!job.isDone() && !job.cancelRequested()) return false;
        }
        return true;
    }
}
