package mmgp.server;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A request waiting for a job to end: the synchronous answers (?wait= on the /api submissions,
 * the /v1 routes) and the streamed chat completion. It watches the job through {@link Jobs#watch},
 * the same events an SSE client gets, so it works alike on a single node (the live job's
 * broadcasts) and in a cluster (the events topic).
 *
 * <p>No HTTP handler thread is held meanwhile: a plain wait ({@link #awaitAsync}) is a future the
 * job's end completes, answered through Javalin's {@code ctx.future}; a stream drains its events on
 * a virtual thread of {@link #RUN}. Every wait holds one of {@value #MAX_WAITERS} process-wide
 * {@link Slot}s (a connection and a watcher each); when none is free the request is refused with
 * 503 before anything is submitted.
 */
final class JobWaiter implements EventSink {
    /**
     * The longest any request waits for its jobs: the bound of ?wait and the wait of the /v1
     * routes. It is below 600 s, the default timeout of OpenAI's Python client, so that client
     * gets the server's answer (a 504 when the job took too long) rather than timing out itself
     * and sending the request again.
     */
    static final Duration MAX_WAIT = Duration.ofSeconds(540);
    /** How many requests may wait at once in this process. */
    static final int MAX_WAITERS = 256;
    /** Where waits continue once their job ended, and where streams run: virtual threads, not the HTTP pool. */
    static final ExecutorService RUN = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("mmgp-wait-", 0).factory());
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("mmgp-wait-timer").daemon().factory());
    private static volatile Semaphore slots = new Semaphore(MAX_WAITERS);
    private static final JobEvent END = new JobEvent("", "");

    private final boolean keepEvents;
    private final BlockingQueue<JobEvent> queue = new LinkedBlockingQueue<>();
    private final CompletableFuture<Boolean> done = new CompletableFuture<>();
    private volatile boolean finished;
    private volatile boolean closed;
    private volatile boolean ended;
    private volatile Runnable onEnd = () -> { };

    private JobWaiter(boolean keepEvents) {
        this.keepEvents = keepEvents;
    }

    // ---- slots ----

    /** One wait's place among {@value #MAX_WAITERS}; closing it (again) is harmless. */
    static final class Slot implements AutoCloseable {
        private final Semaphore of;
        private final AtomicBoolean held = new AtomicBoolean(true);

        private Slot(Semaphore of) {
            this.of = of;
        }

        @Override
        public void close() {
            if (held.compareAndSet(true, false)) of.release();
        }
    }

    /** A free slot, or a 503 (retryable, with Retry-After) when {@value #MAX_WAITERS} requests already wait. */
    static Slot reserve() {
        Slot s = tryReserve();
        if (s == null) throw tooManyWaiters();
        return s;
    }

    /** A free slot, or null when {@value #MAX_WAITERS} requests already wait. */
    static Slot tryReserve() {
        Semaphore s = slots;
        return s.tryAcquire() ? new Slot(s) : null;
    }

    /**
     * The 503 of {@link #reserve} when no slot is free now, reserving none: a check before a
     * submission whose body may take long to arrive, which reserves its slot only once submitted.
     */
    static void requireFreeSlot() {
        if (slots.availablePermits() == 0) throw tooManyWaiters();
    }

    private static ApiException tooManyWaiters() {
        return new ApiException(503, "too_many_waiters", "too many requests are waiting for their jobs on this server; retry later, "
                + "or submit without waiting and follow the request at /api/requests/{id}", null, 5);
    }

    /** Tests: lets only {@code n} requests wait at once until the returned handle is closed. */
    static AutoCloseable limitForTests(int n) {
        Semaphore before = slots;
        slots = new Semaphore(n);
        return () -> slots = before;
    }

    // ---- waiting ----

    /**
     * Watches job {@code id} for up to {@code max}: the future is true once the job ended (at once
     * when it already had, even with {@code max} zero), false when {@code max} passed first. It
     * completes on a thread of {@link #RUN}, never on the engine's, and then releases {@code slot}
     * (null: the caller releases its own). Cancelling the future stops the wait at once.
     */
    static CompletableFuture<Boolean> awaitAsync(Jobs jobs, String id, Duration max, Slot slot) {
        JobWaiter w = new JobWaiter(false);
        try {
            jobs.watch(id, w);
        } catch (RuntimeException e) {
            w.close();
            if (slot != null) slot.close();
            throw e;
        }
        ScheduledFuture<?> timer = null;
        if (!w.finished) {
            if (max.isZero() || max.isNegative()) w.done.complete(false);
            else timer = TIMER.schedule(() -> RUN.execute(() -> w.done.complete(false)), max.toNanos(), TimeUnit.NANOSECONDS);
        }
        ScheduledFuture<?> t = timer;
        Runnable stop = () -> { // idempotent
            if (t != null) t.cancel(false);
            w.close();
            if (slot != null) slot.close();
        };
        CompletableFuture<Boolean> result = w.done.whenComplete((r, e) -> stop.run());
        result.whenComplete((r, e) -> { // also when the caller cancelled it (which does not complete w.done): stop watching now
            w.done.complete(false);
            stop.run();
        });
        return result;
    }

    /** A stream's wait: events are queued for {@link #drain}, which runs on the stream's own (virtual) thread. */
    static JobWaiter watching(Jobs jobs, String id) {
        JobWaiter w = new JobWaiter(true);
        jobs.watch(id, w);
        return w;
    }

    /**
     * Hands each event to {@code onEvent} as it arrives (the "state" snapshot first) until the job
     * ends (true) or {@code deadline} (a System.nanoTime() value) passes (false). When no event came
     * for {@code idle}, {@code onIdle} runs (a keep-alive write, which also finds a client gone).
     */
    boolean drain(long deadline, Duration idle, Consumer<JobEvent> onEvent, Runnable onIdle) throws InterruptedException {
        long slice = Math.max(1, idle.toNanos());
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            JobEvent e = queue.poll(Math.min(left, slice), TimeUnit.NANOSECONDS);
            if (e == END) return true;
            if (e != null) onEvent.accept(e);
            else if (deadline - System.nanoTime() > 0) onIdle.run();
        }
    }

    /** Stops watching: the job drops this sink at its next event, or at once through {@link #onEnd}. */
    void close() {
        closed = true;
        if (!ended) {
            ended = true;
            onEnd.run();
        }
    }

    @Override
    public boolean offer(JobEvent e) {
        if (closed) return false;
        return !keepEvents || queue.offer(e);
    }

    /** Called by the job's side (an engine or feed thread, under the job's lock): never blocks, never answers the request there. */
    @Override
    public void end() {
        if (finished) return;
        finished = true;
        if (keepEvents) queue.offer(END);
        else RUN.execute(() -> done.complete(true));
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
