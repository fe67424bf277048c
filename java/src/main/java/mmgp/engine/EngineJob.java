package mmgp.engine;

import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import mmgp.api.ProgressListener;
import mmgp.api.Task;

/**
 * One submitted request from queue to result. It ends exactly once — done, failed or
 * cancelled — and the EngineListener hears the outcome before the future completes, so a
 * caller that waits on the future sees the metrics already recorded.
 */
final class EngineJob<Q, R> implements Job<R> {
    private final String id = UUID.randomUUID().toString();
    private final Task task;
    private final String variant;
    private final Q request;
    private final ProgressListener caller;
    private final ItemProgress progress;
    private final RequestQueue<Q, R> queue;
    private final EngineListener listener;
    private final long submittedNanos = System.nanoTime();
    private final JobFuture<R> future = new JobFuture<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean cancelFlag;
    /** The model's batch key; null until the model has validated the request. */
    private volatile Object batchKey;

    EngineJob(Task task, String variant, Q request, ProgressListener caller, RequestQueue<Q, R> queue, EngineListener listener) {
        this.task = task;
        this.variant = variant;
        this.request = Objects.requireNonNull(request, "request");
        this.caller = caller == null ? ProgressListener.NONE : caller;
        this.progress = new ItemProgress(this, this.caller);
        this.queue = queue;
        this.listener = listener;
        future.attach(this);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Task task() {
        return task;
    }

    @Override
    public String variant() {
        return variant;
    }

    @Override
    public CompletableFuture<R> result() {
        return future;
    }

    /** Ends the job at once: a queued job leaves the queue, a running one is left out of its batch's results. */
    @Override
    public boolean cancel() {
        if (future.isDone()) return false;
        cancelFlag = true;
        queue.remove(this);
        return end("cancelled", () -> future.completeExceptionally(cancelledError()));
    }

    @Override
    public boolean isCancelled() {
        return cancelFlag || future.isCancelled();
    }

    Q request() {
        return request;
    }

    ItemProgress progress() {
        return progress;
    }

    Object batchKey() {
        return batchKey;
    }

    boolean isPrepared() {
        return batchKey != null;
    }

    void prepared(Object key) {
        this.batchKey = Objects.requireNonNull(key, "the model gave no batch key");
    }

    boolean isDone() {
        return future.isDone();
    }

    /** Cancelled through the job, or the caller's listener asks to stop. */
    boolean cancelRequested() {
        return cancelFlag || CallerListeners.cancelled(caller);
    }

    /** Ends the job as cancelled if it was asked to stop; true when the job has ended (now or before). */
    boolean endIfCancelled() {
        if (!future.isDone() && cancelRequested()) end("cancelled", () -> future.completeExceptionally(cancelledError()));
        return future.isDone();
    }

    /** The model's answer; a job cancelled while the batch ran gets a CancellationException instead. */
    void complete(R result) {
        if (endIfCancelled()) return;
        end("done", () -> {
            ResultMetrics.report(task, result, listener);
            future.complete(result);
        });
    }

    void fail(Throwable error) {
        if (endIfCancelled()) return;
        end(error instanceof CancellationException ? "cancelled" : "failed", () -> future.completeExceptionally(error));
    }

    /** Ends a job the engine gives up on (closing); reported as cancelled. */
    void abort(String reason) {
        end("cancelled", () -> future.completeExceptionally(new CancellationException(reason)));
    }

    private CancellationException cancelledError() {
        return new CancellationException("request " + id + " cancelled");
    }

    private boolean end(String outcome, Runnable completion) {
        if (!ended.compareAndSet(false, true)) return false;
        listener.requestEnded(task, outcome, (System.nanoTime() - submittedNanos) / 1e9);
        completion.run();
        return true;
    }
}
