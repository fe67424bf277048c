package mmgp.server;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

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

    /** Takes a slot for {@code id} (canonical), or refuses the stream with a 429 naming the cap. */
    void require(String id) {
        if (!tryReserve(id)) {
            throw ApiException.tooMany("too_many_streams", perJob + " event streams already watch request " + id
                    + "; close one or poll GET /api/requests/" + id, 5);
        }
    }

    /**
     * Starts the stream of {@code id} (canonical) on {@code channel} with the slot {@link #require}
     * reserved: {@code check} (a 404 before the stream commits its 200) runs first, then a writer
     * subscribes through {@code watch}; the slot is given back once, when the stream ends or
     * anything here fails.
     */
    void stream(String id, EventChannel channel, Duration keepAlive, Consumer<String> check, BiConsumer<String, EventSink> watch) {
        Runnable release = releaseOnce(id);
        EventSubscriber sub;
        try {
            check.accept(id);
            sub = new EventSubscriber(channel, keepAlive);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        sub.onEnd(release);
        try {
            watch.accept(id, sub);
        } catch (RuntimeException e) { // deleted meanwhile: the writer thread is running, end it (and so give the slot back)
            sub.end();
            throw e;
        }
    }
}
