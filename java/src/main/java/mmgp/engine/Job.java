package mmgp.engine;

import java.util.concurrent.CompletableFuture;
import mmgp.api.Task;

/**
 * A submitted request: its id, its eventual result, and a way to cancel it. A cancelled job
 * completes its future exceptionally with {@link java.util.concurrent.CancellationException} at
 * once, queued or running; a queued one never runs, and the model of a running one stops at its
 * next check unless other requests of the same batch still want their results.
 * The pipeline's job is the exception once its caption exists: it then completes normally with
 * the partial result (see {@link Engine#pipeline}).
 */
public interface Job<T> {
    String id();

    /** The task that runs it; a pipeline job reports the task of its current stage. */
    Task task();

    /** The A/B variant that runs it (see {@link Engine.Builder#variant}); null when its task has one model. */
    default String variant() {
        return null;
    }

    CompletableFuture<T> result();

    /** Asks the job to stop; returns false when it had already finished. */
    boolean cancel();

    boolean isCancelled();
}
