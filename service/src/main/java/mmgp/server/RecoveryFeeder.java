package mmgp.server;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import mmgp.engine.QueueFullException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the jobs a previous run left unfinished back to the engine, oldest first, as its queues
 * have room: there may be more of them than a queue holds, and every one was accepted with a 202,
 * so none may fail for want of room. Until it is handed over a job stays queued in the store, can
 * be cancelled, and on a shutdown is simply left for the next start.
 */
final class RecoveryFeeder {
    private static final Logger log = LoggerFactory.getLogger(RecoveryFeeder.class);
    private static final Duration RETRY = Duration.ofMillis(50);

    /** Starts {@code record} on the engine; throws {@link QueueFullException} when its queue is full. */
    interface Resubmit {
        void start(JobRecord record);
    }

    private final Map<String, JobRecord> pending = new ConcurrentHashMap<>();
    private final Object handOver = new Object();
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * @param jobs     in the order to run them
     * @param failed   told about a job that could not be started for another reason than a full queue
     */
    RecoveryFeeder(List<JobRecord> jobs, Resubmit resubmit, java.util.function.BiConsumer<JobRecord, RuntimeException> failed) {
        for (JobRecord r : jobs) pending.put(r.id(), r);
        thread = Thread.ofPlatform().name("mmgp-recovery").daemon().start(() -> feed(jobs, resubmit, failed));
    }

    private void feed(List<JobRecord> jobs, Resubmit resubmit, java.util.function.BiConsumer<JobRecord, RuntimeException> failed) {
        for (JobRecord r : jobs) {
            while (!stopped) {
                synchronized (handOver) {
                    if (stopped || !pending.containsKey(r.id())) break; // cancelled meanwhile
                    try {
                        resubmit.start(r);
                        pending.remove(r.id());
                        log.info("re-queued {} request {} after a restart", r.task(), r.id());
                        break;
                    } catch (QueueFullException full) {
                        // waits below, outside the lock, for the queue to make room
                    } catch (RuntimeException e) {
                        pending.remove(r.id());
                        failed.accept(r, e);
                        break;
                    }
                }
                try {
                    Thread.sleep(RETRY);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (stopped) return;
        }
    }

    /** Whether {@code id} is still waiting for room. */
    boolean isPending(String id) {
        return pending.containsKey(id);
    }

    /** Takes {@code id} out of the waiting list and runs {@code onRemoved} (under the hand-over lock); false when it was not waiting. */
    boolean cancel(String id, Consumer<JobRecord> onRemoved) {
        synchronized (handOver) {
            JobRecord r = pending.remove(id);
            if (r == null) return false;
            onRemoved.accept(r);
            return true;
        }
    }

    /** Stops handing jobs over; those still waiting stay queued in the store for the next start. */
    void stop() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every job is handed over (tests). */
    boolean awaitDone(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }
}
