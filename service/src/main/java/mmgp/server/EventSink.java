package mmgp.server;

/**
 * Where a job's events go: an SSE connection ({@link EventSubscriber}) or a request handler
 * waiting for the job to end ({@link JobWaiter}). Offered from engine and feed threads, under the
 * job's lock, so {@link #offer} must never block.
 */
interface EventSink {
    /** Queues {@code e}; false when this sink is gone (the caller then drops it). */
    boolean offer(JobEvent e);

    /** No more events will come: the job ended (or the sink is dropped). */
    void end();

    boolean isClosed();

    /** {@code action} runs once the sink has ended (at once if it already has); it must be idempotent. */
    void onEnd(Runnable action);
}
