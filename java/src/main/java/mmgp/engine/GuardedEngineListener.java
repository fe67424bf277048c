package mmgp.engine;

import java.lang.System.Logger.Level;
import mmgp.api.Task;

/** Calls the user's EngineListener so that a throwing listener cannot stop a dispatcher. */
final class GuardedEngineListener implements EngineListener {
    private static final System.Logger LOG = System.getLogger(GuardedEngineListener.class.getName());
    private final EngineListener listener;

    GuardedEngineListener(EngineListener listener) {
        this.listener = listener == null ? EngineListener.NONE : listener;
    }

    @Override
    public void queueDepth(Task task, int depth) {
        guard(() -> listener.queueDepth(task, depth));
    }

    @Override
    public void modelLoaded(Task task, String description, double seconds) {
        guard(() -> listener.modelLoaded(task, description, seconds));
    }

    @Override
    public void batchRan(Task task, int size, double seconds) {
        guard(() -> listener.batchRan(task, size, seconds));
    }

    @Override
    public void stageTimed(Task task, String stage, double seconds) {
        guard(() -> listener.stageTimed(task, stage, seconds));
    }

    @Override
    public void requestEnded(Task task, String outcome, double seconds) {
        guard(() -> listener.requestEnded(task, outcome, seconds));
    }

    @Override
    public void tokensGenerated(int tokens, double tokensPerSecond) {
        guard(() -> listener.tokensGenerated(tokens, tokensPerSecond));
    }

    private static void guard(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "engine listener failed", e);
        }
    }
}
