package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import mmgp.api.Task;
import mmgp.engine.Engine;

/** Probes, metrics, the API description and the web page: the routes that are not about one job. */
final class OpsRoutes {
    private static final String RESOURCES = "/mmgp/server/";
    private static final Map<String, String> WEB = Map.of("/", "web/index.html", "/app.js", "web/app.js", "/app.css", "web/app.css");

    private final Engine engine;
    private final JobStore store;
    private final Metrics metrics;
    private final ObjectMapper json;
    private final io.javalin.http.Handler readiness;

    OpsRoutes(Engine engine, JobStore store, Metrics metrics, ObjectMapper json) {
        this.engine = engine;
        this.store = store;
        this.metrics = metrics;
        this.json = json;
        this.readiness = this::ready;
    }

    /** Routes whose /readyz is {@code readiness} (a cluster front end has no engine of its own). */
    OpsRoutes(io.javalin.http.Handler readiness, Metrics metrics, ObjectMapper json) {
        this.engine = null;
        this.store = null;
        this.metrics = metrics;
        this.json = json;
        this.readiness = readiness;
    }

    void register(Javalin app) {
        app.get("/healthz", ctx -> ctx.json(Map.of("status", "up")));
        app.get("/readyz", readiness);
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        app.get("/openapi.json", ctx -> resource(ctx, "openapi.json", "application/json"));
        for (Map.Entry<String, String> e : WEB.entrySet()) {
            String type = e.getValue().endsWith(".html") ? "text/html; charset=utf-8"
                    : e.getValue().endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            app.get(e.getKey(), ctx -> resource(ctx, e.getValue(), type));
        }
    }

    /** Ready when the engine is built, the job database answers and at least one model is configured; ?load=true loads them. */
    private void ready(Context ctx) {
        boolean load = "true".equalsIgnoreCase(ctx.queryParam("load"));
        boolean storeOpen = store.isOpen();
        ObjectNode models = json.createObjectNode();
        boolean anyModel = false;
        boolean loadFailed = false;
        for (Task t : Task.values()) {
            ObjectNode m = models.putObject(t.label());
            boolean configured = engine.hasModel(t);
            anyModel |= configured;
            m.put("configured", configured);
            if (configured && load) {
                try {
                    engine.load(t);
                } catch (RuntimeException e) {
                    loadFailed = true;
                    m.put("error", e.getMessage());
                }
            }
            m.put("loaded", configured && engine.isLoaded(t));
            m.put("queue_depth", configured ? engine.queueDepth(t) : 0);
        }
        boolean ready = storeOpen && anyModel && !loadFailed;
        ObjectNode body = json.createObjectNode().put("ready", ready).put("engine", true).put("store", storeOpen);
        body.set("models", models);
        ctx.status(ready ? 200 : 503).json(body);
    }

    private static void resource(Context ctx, String name, String type) throws IOException {
        try (InputStream in = OpsRoutes.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) throw new IOException("resource " + RESOURCES + name + " is missing from the jar");
            ctx.contentType(type).header("Cache-Control", "no-cache").result(in.readAllBytes());
        }
    }
}
