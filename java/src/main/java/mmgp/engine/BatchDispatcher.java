package mmgp.engine;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import mmgp.api.Task;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;

/**
 * The loop of one task's dispatcher thread: take the oldest request, load the model if this is
 * the first, gather queued requests with the same batch key until the batch is full or
 * {@code maxWait} has passed, wait for a compute permit, run the batch and hand each caller
 * its result. Requests with other keys, and those the memory budget has no room for beside the
 * batch ({@link AdmissionLimits#fits}), keep their place for the next round.
 */
final class BatchDispatcher<Q, R> implements Runnable {
    private static final System.Logger LOG = System.getLogger(BatchDispatcher.class.getName());
    private final Task task;
    private final ModelSlot slot;
    private final RequestQueue<Q, R> queue;
    private final EngineSettings settings;
    private final ComputePermits permits;
    private final EngineListener listener;
    /** The batch inside model.run, for close() to cancel when it overstays. */
    private volatile List<EngineJob<Q, R>> running = List.of();

    BatchDispatcher(Task task, ModelSlot slot, RequestQueue<Q, R> queue, EngineSettings settings, ComputePermits permits,
                    EngineListener listener) {
        this.task = task;
        this.slot = slot;
        this.queue = queue;
        this.settings = settings;
        this.permits = permits;
        this.listener = listener;
    }

    @Override
    public void run() {
        while (true) {
            clearStrayInterrupt();
            EngineJob<Q, R> first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                warnStrayInterrupt(); // only closing the queue stops this loop
                continue;
            }
            if (first == null) return;
            List<EngineJob<Q, R>> batch = new ArrayList<>(List.of(first));
            try {
                dispatch(batch);
            } catch (Throwable t) {
                // Never let the thread die with callers waiting: whatever went wrong ends this batch only.
                LOG.log(Level.ERROR, "the " + task.label() + " dispatcher failed", t);
                for (EngineJob<Q, R> job : batch) job.fail(t);
            }
        }
    }

    /**
     * Listeners and non-async future callbacks run on this thread, and one that restores an
     * interrupt it caught leaves the flag set. The engine never interrupts its dispatchers (close
     * closes the queue instead), so a set flag is such a leftover: cleared, lest it end the lane
     * or make the model's file channels close themselves.
     */
    private void clearStrayInterrupt() {
        if (Thread.interrupted()) warnStrayInterrupt();
    }

    private void warnStrayInterrupt() {
        LOG.log(Level.WARNING, "the " + task.label() + " dispatcher thread was interrupted, probably by a listener or a result "
                + "callback; the interrupt is ignored");
    }

    /** Asks the jobs inside model.run to stop (engine closing and the batch overstays). */
    void cancelRunning() {
        for (EngineJob<Q, R> job : running) job.cancel();
    }

    private void dispatch(List<EngineJob<Q, R>> batch) {
        EngineJob<Q, R> first = batch.getFirst();
        if (first.endIfCancelled()) return;
        BatchModel<Q, R> model;
        try {
            model = model();
        } catch (RuntimeException e) {
            // The requests queued before the load would only trigger the same failing load one by
            // one; they share its failure, and the next new request tries again. (Prepared ones
            // were validated by a model another thread loaded meanwhile: they stay.)
            first.fail(e);
            for (EngineJob<Q, R> job : queue.drainUnprepared()) job.fail(e);
            return;
        }
        if (!prepare(first, model)) return;
        int limit = Math.max(1, Math.min(settings.maxBatch(), model.maxBatch()));
        gather(batch, model, limit, System.nanoTime() + settings.maxWait().toNanos());
        if (!permits.acquire(queue::isClosed)) {
            for (EngineJob<Q, R> job : batch) job.abort("engine is closed");
            return;
        }
        try {
            gather(batch, model, limit, System.nanoTime()); // whatever arrived while another batch held the permit
            batch.removeIf(EngineJob::endIfCancelled);
            if (queue.isClosed()) {
                for (EngineJob<Q, R> job : batch) job.abort("engine is closed");
            } else if (!batch.isEmpty()) {
                run(batch, model);
            }
        } finally {
            permits.release();
        }
    }

    @SuppressWarnings("unchecked")
    private BatchModel<Q, R> model() {
        return (BatchModel<Q, R>) slot.get();
    }

    /**
     * Adds queued jobs with the first job's key until {@code limit} or the deadline
     * (System.nanoTime). Each candidate's cost beside the batch is estimated outside the queue's
     * lock (submitters never wait for a graph plan); one that does not fit, or whose estimate
     * fails, stays queued for the next batch. A stray interrupt (see {@link #clearStrayInterrupt})
     * ends the wait early.
     */
    private void gather(List<EngineJob<Q, R>> batch, BatchModel<Q, R> model, int limit, long deadline) {
        Object key = batch.getFirst().batchKey();
        AdmissionLimits admission = settings.admission();
        java.util.Set<EngineJob<Q, R>> tooBig = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        while (batch.size() < limit) {
            for (EngineJob<Q, R> job : queue.unprepared()) prepare(job, model);
            EngineJob<Q, R> next;
            try {
                next = queue.peekMatching(key, tooBig, deadline);
            } catch (InterruptedException e) {
                warnStrayInterrupt();
                return;
            }
            if (next != null) {
                if (!admission.fits(model, requests(batch), next.request())) {
                    tooBig.add(next); // a larger batch would not fit it either
                } else if (queue.remove(next) && !next.endIfCancelled()) {
                    batch.add(next);
                }
            } else if (queue.isClosed() || System.nanoTime() - deadline >= 0) {
                return;
            }
        }
    }

    private static <Q, R> List<Q> requests(List<EngineJob<Q, R>> batch) {
        List<Q> out = new ArrayList<>(batch.size());
        for (EngineJob<Q, R> job : batch) out.add(job.request());
        return out;
    }

    /**
     * Validates a request queued before the model was loaded and gives it its batch key; a
     * request the model refuses leaves the queue and fails with the model's reason.
     */
    private boolean prepare(EngineJob<Q, R> job, BatchModel<Q, R> model) {
        if (job.isPrepared()) return true;
        try {
            model.validate(job.request());
            settings.admission().admit(model, job.request());
            job.prepared(model.batchKey(job.request()));
            return true;
        } catch (RuntimeException e) {
            queue.remove(job);
            job.fail(e);
            return false;
        }
    }

    private void run(List<EngineJob<Q, R>> batch, BatchModel<Q, R> model) {
        clearStrayInterrupt(); // callbacks of jobs cancelled while the batch gathered ran on this thread
        List<BatchItem<Q>> items = new ArrayList<>(batch.size());
        for (EngineJob<Q, R> job : batch) items.add(new BatchItem<>(job.request(), job.progress()));
        for (EngineJob<Q, R> job : batch) job.progress().started(task.label());
        long start = System.nanoTime();
        List<R> results = null;
        Throwable failure = null;
        running = List.copyOf(batch);
        try {
            results = model.run(items, new BatchProgress(batch));
            checkResults(results, batch.size());
        } catch (Throwable t) {
            failure = t;
        } finally {
            running = List.of();
        }
        listener.batchRan(task, batch.size(), (System.nanoTime() - start) / 1e9);
        if (failure == null) {
            for (int i = 0; i < batch.size(); i++) batch.get(i).complete(results.get(i));
        } else if (batch.size() > 1 && failure instanceof Exception) {
            // One bad request must not sink the others: each gets a run of its own.
            LOG.log(Level.WARNING, "a " + task.label() + " batch of " + batch.size() + " failed (" + failure + "); running each request alone");
            for (EngineJob<Q, R> job : batch) {
                if (queue.isClosed()) job.abort("engine is closed");
                else if (!job.endIfCancelled()) run(List.of(job), model);
            }
        } else {
            for (EngineJob<Q, R> job : batch) job.fail(failure);
        }
    }

    /** One non-null result per item. (Not {@code results.contains(null)}: immutable lists throw on it.) */
    private void checkResults(List<R> results, int expected) {
        String problem = null;
        if (results == null) problem = "no result list";
        else if (results.size() != expected) problem = results.size() + " results";
        else if (results.stream().anyMatch(Objects::isNull)) problem = "a null result";
        if (problem != null) throw new IllegalStateException("the " + task.label() + " model returned " + problem + " for a batch of " + expected);
    }
}
