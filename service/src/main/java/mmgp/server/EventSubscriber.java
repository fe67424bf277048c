package mmgp.server;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event stream (SSE or WebSocket, an {@link EventChannel}). Events are queued and written by the connection's own virtual thread, so
 * a slow reader never blocks the engine thread that reports progress; a reader that falls more
 * than {@value #CAPACITY} events behind is disconnected (it can reconnect and get the state replayed).
 * A client that goes away is noticed at the next write (an event or the keep-alive comment), and
 * the subscriber then tells its job to forget it, so a job that waits long in the queue does not
 * collect dead streams.
 */
final class EventSubscriber implements EventSink {
    private static final Logger log = LoggerFactory.getLogger(EventSubscriber.class);
    private static final int CAPACITY = 4096;
    private static final JobEvent END = new JobEvent("", "");

    private final EventChannel client;
    private final long keepAliveMillis;
    // Linked, not array-backed: most streams hold a handful of events, so no slot array up front.
    private final BlockingQueue<JobEvent> queue = new LinkedBlockingQueue<>(CAPACITY);
    private volatile boolean closed;
    private volatile boolean ended;
    private volatile Runnable onEnd = () -> { };

    /** @param keepAlive how long the stream may stay silent before a comment line is sent (and a gone client noticed) */
    EventSubscriber(EventChannel client, Duration keepAlive) {
        this.client = client;
        this.keepAliveMillis = Math.max(1, keepAlive.toMillis());
        client.onClose(() -> closed = true);
        Thread.ofVirtual().name("event-writer").start(this::drain);
    }

    /** {@code action} runs, after those registered before, when the stream has ended (at once if it already has; a race may run it twice, so it must be idempotent). */
    @Override
    public synchronized void onEnd(Runnable action) {
        Runnable before = onEnd;
        onEnd = () -> {
            before.run();
            action.run();
        };
        if (ended) action.run();
    }

    /** Queues {@code e}; false when this subscriber is gone or overflowed (the caller then drops it). */
    @Override
    public boolean offer(JobEvent e) {
        if (closed) return false;
        if (queue.offer(e)) return true;
        closed = true;
        queue.clear();
        queue.offer(END);
        return false;
    }

    /** Sends what is queued, then closes the stream. */
    @Override
    public void end() {
        if (!queue.offer(END)) {
            closed = true;
            queue.clear();
            queue.offer(END);
        }
    }

    @Override
    public boolean isClosed() {
        return closed || client.terminated();
    }

    private void drain() {
        try {
            while (true) {
                JobEvent e = queue.poll(keepAliveMillis, TimeUnit.MILLISECONDS);
                if (e == END) break;
                if (client.terminated()) break;
                if (e == null) client.keepAlive(); // keeps proxies from timing the stream out
                else client.send(e);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ex) {
            log.debug("event stream ended: {}", ex.toString());
        } finally {
            closed = true;
            client.close();
            ended = true;
            onEnd.run();
        }
    }
}
