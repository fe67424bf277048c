package mmgp.engine;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * How many batches may compute at once across tasks. On a small CPU two models computing
 * together only fight for the cores, so the default is one. Unlike a Semaphore, a waiter can
 * be woken to give up (engine closing) without interrupting a thread that may be in model code.
 */
final class ComputePermits {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private int available;

    ComputePermits(int permits) {
        if (permits < 1) throw new IllegalArgumentException("concurrent batches must be at least 1, got " + permits);
        this.available = permits;
    }

    /** Waits for a permit; returns false without one as soon as {@code giveUp} answers true (checked on every wake-up). */
    boolean acquire(BooleanSupplier giveUp) {
        lock.lock();
        try {
            while (available == 0) {
                if (giveUp.getAsBoolean()) return false;
                released.awaitUninterruptibly();
            }
            if (giveUp.getAsBoolean()) return false;
            available--;
            return true;
        } finally {
            lock.unlock();
        }
    }

    void release() {
        lock.lock();
        try {
            available++;
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Lets every waiter re-check its give-up condition. */
    void wakeAll() {
        lock.lock();
        try {
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
