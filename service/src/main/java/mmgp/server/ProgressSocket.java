package mmgp.server;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * /api/requests/{id}/ws: the events of GET /api/requests/{id}/events over a WebSocket, one text
 * message per event, {@code {"event": "<name>", "data": <the SSE event's JSON>}}: the current state
 * first, then live events; the server closes it (1000) after the final status. Keys, ownership
 * and the per-job stream cap are checked before the upgrade, so a refusal is the same JSON error
 * as for the event stream; like it, this route also takes the key as {@code ?api_key=}, since a
 * browser's WebSocket cannot send headers.
 */
final class ProgressSocket {
    static final String PATH = "/api/requests/{id}/ws";
    private static final Logger log = LoggerFactory.getLogger(ProgressSocket.class);
    /** The request attribute naming the job whose stream slot {@link #admit} reserved. */
    private static final String RESERVED = "mmgp.ws.reserved";

    private final Jobs jobs;
    private final AccessControl control;
    /** Open sockets by session, so a close from the client reaches its sink. */
    private final Map<String, Sink> open = new ConcurrentHashMap<>();

    ProgressSocket(Jobs jobs, AccessControl control) {
        this.jobs = jobs;
        this.control = control;
    }

    void register(Javalin app) {
        app.wsBeforeUpgrade(PATH, this::admit);
        app.wsAfterUpgrade(PATH, this::afterUpgrade);
        app.ws(PATH, ws -> {
            ws.onConnect(this::connect);
            ws.onClose(ctx -> closed(ctx));
            ws.onError(ctx -> closed(ctx));
        });
    }

    /** Before the upgrade (an HTTP exchange still, answered with a JSON error when refused). */
    private void admit(Context ctx) {
        control.check(ctx);
        String key = ctx.attribute(AccessControl.KEY_ID);
        String id = jobs.requireOwner(ctx.pathParam("id"), key == null ? AccessControl.ANONYMOUS : key);
        jobs.requireStreamRoom(id);
        ctx.attribute(RESERVED, id);
    }

    /**
     * Runs once Jetty has answered the upgrade (not when {@link #admit} refused it). When Jetty
     * refused it itself (no Sec-WebSocket-Key, an unsupported version), {@link #connect} never runs:
     * the slot {@link #admit} reserved is given back here, or such requests would lock the job's
     * streams out.
     */
    private void afterUpgrade(Context ctx) {
        String id = ctx.attribute(RESERVED);
        if (id != null && ctx.res().getStatus() != 101) jobs.releaseStreamRoom(id);
    }

    private void connect(WsConnectContext ctx) {
        Sink sink = new Sink(ctx);
        open.put(ctx.sessionId(), sink);
        try {
            jobs.stream(ResultFiles.requireUuid(ctx.pathParam("id")), sink);
        } catch (RuntimeException e) { // deleted between the upgrade and now
            log.debug("event socket of {} refused: {}", ctx.pathParam("id"), e.toString());
            sink.close();
        }
    }

    private void closed(WsContext ctx) {
        Sink s = open.remove(ctx.sessionId());
        if (s != null) s.closedByClient();
    }

    private final class Sink implements EventChannel {
        private final WsContext ctx;
        private volatile Runnable onClose = () -> { };
        private volatile boolean closed;

        Sink(WsContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void send(JobEvent e) {
            // the data is already JSON text: spliced in, not parsed again
            ctx.send("{\"event\":\"" + e.name() + "\",\"data\":" + e.json() + "}");
        }

        @Override
        public void keepAlive() {
            ctx.sendPing();
        }

        @Override
        public boolean terminated() {
            return closed || !ctx.session.isOpen();
        }

        @Override
        public void onClose(Runnable action) {
            onClose = action;
            if (closed) action.run();
        }

        void closedByClient() {
            closed = true;
            onClose.run();
        }

        @Override
        public void close() {
            open.remove(ctx.sessionId());
            closed = true;
            if (ctx.session.isOpen()) ctx.closeSession(1000, "request ended");
        }
    }
}
