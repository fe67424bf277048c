package mmgp.server;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Counts the event streams open per job, reserving a slot atomically before a stream starts and
 * giving it back when the stream ends, so that parallel opens cannot overshoot the cap (a check of
 * the current count followed by a later subscribe let 100 parallel opens through 32 slots).
 */
final class StreamSlots {
    private final int perJob;
    private final ConcurrentMap<String, Integer> open = new ConcurrentHashMap<>();

    StreamSlots(int perJob) {
        this.perJob = perJob;
    }

    /** Takes a slot for {@code id}; false when all {@code perJob} are taken. */
    boolean tryReserve(String id) {
        boolean[] granted = {false};
        open.compute(id, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= perJob) return now;
            granted[0] = true;
            return now + 1;
        });
        return granted[0];
    }

    /** Gives back a slot taken by {@link #tryReserve}. */
    void release(String id) {
        open.computeIfPresent(id, (k, n) -> n <= 1 ? null : n - 1);
    }

    int open(String id) {
        return open.getOrDefault(id, 0);
    }

    /** A release that happens once however often it is called (a stream can end by more than one path). */
    Runnable releaseOnce(String id) {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) release(id);
        };
    }
}
