package mmgp.engine;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import mmgp.api.Task;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;

/**
 * The loop of one task's dispatcher thread: take the oldest request, load the model if this is
 * the first, gather queued requests with the same batch key until the batch is full or
 * {@code maxWait} has passed, wait for a compute permit, run the batch and hand each caller
 * its result. Requests with other keys keep their place for the next round.
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
            EngineJob<Q, R> first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) return;
            List<EngineJob<Q, R>> batch = new ArrayList<>(List.of(first));
            try {
                dispatch(batch);
            } catch (Throwable t) {
                // Never let the thread die with callers waiting: whatever went wrong ends this batch only.
                LOG.log(Level.ERROR, "the " + task.label() + " dispatcher failed", t);
                for (EngineJob<Q, R> job : batch) job.fail(t);
                if (t instanceof InterruptedException) return;
            }
        }
    }

    /** Asks the jobs inside model.run to stop (engine closing and the batch overstays). */
    void cancelRunning() {
        for (EngineJob<Q, R> job : running) job.cancel();
    }

    private void dispatch(List<EngineJob<Q, R>> batch) throws InterruptedException {
        EngineJob<Q, R> first = batch.getFirst();
        if (first.endIfCancelled()) return;
        BatchModel<Q, R> model;
        try {
            model = model();
        } catch (RuntimeException e) {
            // The queued requests would only trigger the same failing load one by one; the next new request retries.
            first.fail(e);
            for (EngineJob<Q, R> job : queue.drain()) job.fail(e);
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

    /** Adds queued jobs with the first job's key until {@code limit} or the deadline (System.nanoTime). */
    private void gather(List<EngineJob<Q, R>> batch, BatchModel<Q, R> model, int limit, long deadline) throws InterruptedException {
        Object key = batch.getFirst().batchKey();
        while (batch.size() < limit) {
            for (EngineJob<Q, R> job : queue.unprepared()) prepare(job, model);
            EngineJob<Q, R> next = queue.pollMatching(key, deadline);
            if (next != null) {
                if (!next.endIfCancelled()) batch.add(next);
            } else if (queue.isClosed() || System.nanoTime() - deadline >= 0) {
                return;
            }
        }
    }

    /**
     * Validates a request queued before the model was loaded and gives it its batch key; a
     * request the model refuses leaves the queue and fails with the model's reason.
     */
    private boolean prepare(EngineJob<Q, R> job, BatchModel<Q, R> model) {
        if (job.isPrepared()) return true;
        try {
            model.validate(job.request());
            job.prepared(model.batchKey(job.request()));
            return true;
        } catch (RuntimeException e) {
            queue.remove(job);
            job.fail(e);
            return false;
        }
    }

    private void run(List<EngineJob<Q, R>> batch, BatchModel<Q, R> model) {
        List<BatchItem<Q>> items = new ArrayList<>(batch.size());
        for (EngineJob<Q, R> job : batch) items.add(new BatchItem<>(job.request(), job.progress()));
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
                if (!job.endIfCancelled()) run(List.of(job), model);
            }
        } else {
            for (EngineJob<Q, R> job : batch) job.fail(failure);
        }
    }

    private void checkResults(List<R> results, int expected) {
        if (results == null || results.size() != expected || results.contains(null)) {
            String got = results == null ? "no result list" : results.contains(null) ? "a null result" : results.size() + " results";
            throw new IllegalStateException("the " + task.label() + " model returned " + got + " for a batch of " + expected);
        }
    }
}
