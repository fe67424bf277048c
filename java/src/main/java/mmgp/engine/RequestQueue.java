package mmgp.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The bounded FIFO of one task's waiting jobs. Submitters add (never blocking: a full queue
 * refuses), the dispatcher takes the oldest job and then picks jobs with the same batch key out
 * of the middle, and cancel removes a job wherever it is. The depth listener hears every change
 * under the lock, so a gauge fed by it never ends on a stale value.
 */
final class RequestQueue<Q, R> {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<EngineJob<Q, R>> jobs = new ArrayDeque<>();
    private final int capacity;
    private final IntConsumer depthListener;
    private volatile boolean closed;

    RequestQueue(int capacity, IntConsumer depthListener) {
        if (capacity < 1) throw new IllegalArgumentException("queue capacity must be at least 1, got " + capacity);
        this.capacity = capacity;
        this.depthListener = depthListener;
    }

    int capacity() {
        return capacity;
    }

    /** Adds the job unless the queue is full; throws when the engine is closed. */
    boolean offer(EngineJob<Q, R> job) {
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("engine is closed");
            if (jobs.size() >= capacity) return false;
            jobs.addLast(job);
            depthListener.accept(jobs.size());
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the oldest job; null once the queue is closed. */
    EngineJob<Q, R> take() throws InterruptedException {
        lock.lock();
        try {
            while (jobs.isEmpty() && !closed) changed.await();
            if (closed) return null;
            EngineJob<Q, R> job = jobs.removeFirst();
            depthListener.accept(jobs.size());
            return job;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the oldest job whose batch key equals {@code key} and that {@code fits} (the batch's
     * memory budget; checked under the lock, so it must be quick), waiting for one until
     * {@code deadlineNanos} (System.nanoTime). Returns null at the deadline, when the queue
     * closes, or early when a job without a key is waiting, so that the caller can prepare it.
     */
    EngineJob<Q, R> pollMatching(Object key, java.util.function.Predicate<EngineJob<Q, R>> fits, long deadlineNanos) throws InterruptedException {
        EngineJob<Q, R> match = null;
        lock.lock();
        try {
            while (true) {
                boolean unprepared = false;
                for (Iterator<EngineJob<Q, R>> it = jobs.iterator(); it.hasNext(); ) {
                    EngineJob<Q, R> job = it.next();
                    if (!job.isPrepared()) {
                        unprepared = true;
                    } else if (key.equals(job.batchKey()) && fits.test(job)) {
                        it.remove();
                        match = job;
                        break;
                    }
                }
                if (match != null || unprepared || closed) break;
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) break;
                changed.awaitNanos(left);
            }
            if (match != null) depthListener.accept(jobs.size());
            return match;
        } finally {
            lock.unlock();
        }
    }

    /** Jobs still waiting for the model to validate them (queued before it was loaded). */
    List<EngineJob<Q, R>> unprepared() {
        lock.lock();
        try {
            List<EngineJob<Q, R>> out = new ArrayList<>();
            for (EngineJob<Q, R> job : jobs) if (!job.isPrepared()) out.add(job);
            return out;
        } finally {
            lock.unlock();
        }
    }

    boolean remove(EngineJob<Q, R> job) {
        lock.lock();
        try {
            if (!jobs.remove(job)) return false;
            depthListener.accept(jobs.size());
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the jobs the model has not validated yet (queued before it was loaded). */
    List<EngineJob<Q, R>> drainUnprepared() {
        lock.lock();
        try {
            List<EngineJob<Q, R>> out = new ArrayList<>();
            jobs.removeIf(job -> !job.isPrepared() && out.add(job));
            if (!out.isEmpty()) depthListener.accept(jobs.size());
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses further jobs, wakes the dispatcher and returns the jobs that were waiting. */
    List<EngineJob<Q, R>> close() {
        lock.lock();
        try {
            closed = true;
            List<EngineJob<Q, R>> out = new ArrayList<>(jobs);
            jobs.clear();
            if (!out.isEmpty()) depthListener.accept(0);
            changed.signalAll();
            return out;
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    int size() {
        lock.lock();
        try {
            return jobs.size();
        } finally {
            lock.unlock();
        }
    }
}
