package mmgp.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The FIFO of one lane's waiting jobs. Submitters add (never blocking: a full queue refuses),
 * the dispatcher takes the oldest job and then picks jobs with the same batch key out of the
 * middle, and cancel removes a job wherever it is. The bound is the task's: the lanes of one
 * task (its A/B variants) share one {@code slots} semaphore of the task's capacity, a waiting
 * job holding one permit, so a task never holds more than its capacity however its jobs split.
 * The depth listener hears every change under the lock.
 */
final class RequestQueue<Q, R> {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<EngineJob<Q, R>> jobs = new ArrayDeque<>();
    private final int capacity;
    private final Semaphore slots;
    private final IntConsumer depthListener;
    private volatile boolean closed;

    RequestQueue(int capacity, IntConsumer depthListener) {
        this(capacity, new Semaphore(capacity), depthListener);
    }

    /** A queue whose bound {@code slots} (of {@code capacity} permits) may be shared with the task's other lanes. */
    RequestQueue(int capacity, Semaphore slots, IntConsumer depthListener) {
        if (capacity < 1) throw new IllegalArgumentException("queue capacity must be at least 1, got " + capacity);
        this.capacity = capacity;
        this.slots = slots;
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
            if (!slots.tryAcquire()) return false;
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
            slots.release();
            depthListener.accept(jobs.size());
            return job;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The oldest job whose batch key equals {@code key} and that is not in {@code skip}, left in
     * the queue, waiting for one until {@code deadlineNanos} (System.nanoTime). Returns null at
     * the deadline, when the queue closes, or early when a job without a key is waiting, so that
     * the caller can prepare it. The caller estimates the job's cost outside the lock and then
     * takes it with {@link #remove} (false when it was cancelled meanwhile).
     */
    EngineJob<Q, R> peekMatching(Object key, Set<EngineJob<Q, R>> skip, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                boolean unprepared = false;
                for (EngineJob<Q, R> job : jobs) {
                    if (!job.isPrepared()) {
                        unprepared = true;
                    } else if (key.equals(job.batchKey()) && !skip.contains(job)) {
                        return job;
                    }
                }
                if (unprepared || closed) return null;
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) return null;
                changed.awaitNanos(left);
            }
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
            slots.release();
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
            slots.release(out.size());
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
            slots.release(out.size());
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
