package mmgp.engine;

import java.time.Duration;
import java.util.Objects;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.engine.spi.BatchModel;

/**
 * Everything the engine keeps for one task: its model, its request queue and its dispatcher
 * thread. The dispatcher thread is the model's only user once the engine closes, so it closes
 * the model itself as it stops: a batch that overstays {@link Engine#close} still frees its
 * model when it finally ends, and a load that finishes after close is closed too.
 */
final class TaskLane<Q, R> {
    private final Task task;
    /** The A/B variant's name; null for a task's only model. */
    private final String variant;
    private final ModelSlot slot;
    private final RequestQueue<Q, R> queue;
    private final EngineListener listener;
    private final BatchDispatcher<Q, R> dispatcher;
    private final Thread thread;
    private final AdmissionLimits admission;

    /** {@code slots}: the task's queue capacity, shared by its lanes (see {@link RequestQueue}). */
    TaskLane(Task task, String variant, ModelSlot slot, EngineSettings settings, ComputePermits permits, EngineListener listener,
            java.util.concurrent.Semaphore slots, java.util.function.IntConsumer depthListener) {
        this.task = task;
        this.variant = variant;
        this.slot = slot;
        this.listener = listener;
        this.admission = settings.admission();
        this.queue = new RequestQueue<>(settings.queueCapacity(), slots, depthListener);
        this.dispatcher = new BatchDispatcher<>(task, slot, queue, settings, permits, listener);
        this.thread = Thread.ofPlatform().name("mmgp-" + task.label() + (variant == null ? "" : "-" + variant)).daemon().unstarted(this::dispatchThenCloseModel);
    }

    Task task() {
        return task;
    }

    void start() {
        thread.start();
    }

    private void dispatchThenCloseModel() {
        try {
            dispatcher.run();
        } finally {
            slot.close();
        }
    }

    /**
     * Lets the loaded model (and the cost limits) refuse the request, throwing its refusal;
     * returns the model that accepted it, or null when the model is not loaded yet (the
     * dispatcher then checks the request after loading and fails it through its future).
     */
    BatchModel<Q, R> check(Q request) {
        BatchModel<Q, R> model = loadedModel();
        if (model != null) {
            model.validate(request);
            admission.admit(model, request);
        }
        return model;
    }

    /**
     * Queues a request {@link #check}ed by {@code checked} (null: not loaded then, checked by
     * the dispatcher later).
     *
     * @throws QueueFullException when the task's queue is at its bound
     */
    Job<R> enqueue(Q request, ProgressListener caller, BatchModel<Q, R> checked) {
        Objects.requireNonNull(request, "request");
        if (queue.isClosed()) throw new IllegalStateException("engine is closed");
        EngineJob<Q, R> job = new EngineJob<>(task, variant, request, caller, queue, listener);
        if (checked != null) job.prepared(checked.batchKey(request));
        if (!queue.offer(job)) throw new QueueFullException(task, queue.capacity());
        return job;
    }

    void load() {
        slot.get();
    }

    boolean isLoaded() {
        return slot.loadedOrNull() != null;
    }

    int queueDepth() {
        return queue.size();
    }

    /** Refuses new requests and cancels the waiting ones; the running batch goes on. */
    void shutdown() {
        for (EngineJob<Q, R> job : queue.close()) job.abort("engine is closed");
    }

    /**
     * Waits for the dispatcher to finish its batch, close the model and stop; true when it has.
     * Called from the dispatcher thread itself (a result callback that closes the engine) it
     * cannot wait for itself and answers true: the thread stops and closes the model as soon as
     * that callback returns.
     */
    boolean awaitStop(Duration timeout) throws InterruptedException {
        if (Thread.currentThread() == thread) return true;
        return thread.join(timeout);
    }

    void cancelRunning() {
        dispatcher.cancelRunning();
    }

    @SuppressWarnings("unchecked")
    private BatchModel<Q, R> loadedModel() {
        return (BatchModel<Q, R>) slot.loadedOrNull();
    }
}
