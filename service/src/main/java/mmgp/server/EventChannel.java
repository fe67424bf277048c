package mmgp.server;

import io.javalin.http.sse.SseClient;

/**
 * Where an {@link EventSubscriber} (an {@link EventSink}) writes a job's events: a server-sent event stream or a
 * WebSocket ({@link ProgressSocket}). Every call comes from the subscriber's own writer thread.
 */
interface EventChannel {
    /** Sends one event; may block while the client reads slowly. */
    void send(JobEvent e);

    /** Sends something the client ignores, so proxies keep a quiet connection and a gone client is noticed. */
    void keepAlive();

    /** True once the client went away or the connection was closed. */
    boolean terminated();

    /** {@code action} runs when the client closes the connection. */
    void onClose(Runnable action);

    void close();

    /** An SSE response: events as "event:" and "data:" lines, keep-alives as comment lines. */
    static EventChannel sse(SseClient client) {
        client.keepAlive(); // the stream outlives the handler that opened it
        return new EventChannel() {
            @Override
            public void send(JobEvent e) {
                client.sendEvent(e.name(), e.json());
            }

            @Override
            public void keepAlive() {
                client.sendComment("keep-alive");
            }

            @Override
            public boolean terminated() {
                return client.terminated();
            }

            @Override
            public void onClose(Runnable action) {
                client.onClose(action);
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }
}
