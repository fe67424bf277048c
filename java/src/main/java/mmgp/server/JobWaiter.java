package mmgp.server;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A request handler waiting for a job to end: the synchronous answers (?wait= on the /api
 * submissions, the /v1 routes) and the streamed chat completion. It watches the job through
 * {@link Jobs#watch}, the same events an SSE client gets, so it works alike on a single node (the
 * live job's broadcasts) and in a cluster (the events topic). The events are queued by the
 * threads that report them and handled on the waiting thread, so a slow client never holds up
 * the engine.
 */
final class JobWaiter implements EventSink {
    /** The longest wait a request may ask for: a handler thread and a connection are held meanwhile. */
    static final Duration MAX_WAIT = Duration.ofSeconds(300);
    private static final JobEvent END = new JobEvent("", "");

    private final BlockingQueue<JobEvent> queue = new LinkedBlockingQueue<>();
    private volatile boolean closed;
    private volatile boolean ended;
    private volatile Runnable onEnd = () -> { };

    private JobWaiter() {}

    /**
     * Waits up to {@code max} for job {@code id} to end, handing each event to {@code onEvent} on
     * this thread as it arrives (the "state" snapshot first). True when the job ended in time.
     */
    static boolean await(Jobs jobs, String id, Duration max, Consumer<JobEvent> onEvent) throws InterruptedException {
        JobWaiter w = new JobWaiter();
        jobs.watch(id, w);
        try {
            return w.drain(System.nanoTime() + max.toNanos(), onEvent);
        } finally {
            w.close();
        }
    }

    /** {@link #await(Jobs, String, Duration, Consumer)} without looking at the events. */
    static boolean await(Jobs jobs, String id, Duration max) throws InterruptedException {
        return await(jobs, id, max, e -> { });
    }

    private boolean drain(long deadline, Consumer<JobEvent> onEvent) throws InterruptedException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            JobEvent e = queue.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) return false;
            if (e == END) return true;
            onEvent.accept(e);
        }
    }

    /** Stops watching: the job drops this sink at its next event, or at once through {@link #onEnd}. */
    private void close() {
        closed = true;
        if (!ended) {
            ended = true;
            onEnd.run();
        }
    }

    @Override
    public boolean offer(JobEvent e) {
        return !closed && queue.offer(e);
    }

    @Override
    public void end() {
        queue.offer(END);
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void onEnd(Runnable action) {
        onEnd = action;
        if (ended) action.run();
    }
}
