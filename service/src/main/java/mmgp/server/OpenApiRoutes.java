package mmgp.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares the OpenAPI document with the routes the server really registered, as
 * "METHOD /path" strings (path parameters spelled {name} in both), so a test can keep the
 * two from drifting apart.
 */
final class OpenApiRoutes {
    private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");

    private OpenApiRoutes() {}

    /** The operations /openapi.json documents. */
    static Set<String> documented() throws IOException {
        try (InputStream in = OpenApiRoutes.class.getResourceAsStream("/mmgp/server/openapi.json")) {
            if (in == null) throw new IOException("openapi.json is missing from the resources");
            JsonNode paths = new ObjectMapper().readTree(in).path("paths");
            Set<String> ops = new TreeSet<>();
            for (Iterator<String> p = paths.fieldNames(); p.hasNext(); ) {
                String path = p.next();
                for (Iterator<String> m = paths.get(path).fieldNames(); m.hasNext(); ) {
                    String method = m.next();
                    if (METHODS.contains(method)) ops.add(method.toUpperCase(Locale.ROOT) + " " + path);
                }
            }
            return ops;
        }
    }

    /** The endpoints {@code app} answers (filters, HEAD and CORS preflight left out; WebSockets as GET). */
    static Set<String> registered(Javalin app) {
        Set<String> ops = new TreeSet<>();
        app.unsafeConfig().pvt.internalRouter.allHttpHandlers().forEach(e -> {
            HandlerType m = e.getEndpoint().getMethod();
            if (METHODS.contains(m.name().toLowerCase(Locale.ROOT))) ops.add(m.name() + " " + e.getEndpoint().getPath());
        });
        // a WebSocket route is opened with a GET (its upgrade request), and documented as one
        app.unsafeConfig().pvt.internalRouter.allWsHandlers().forEach(e -> {
            if (e.getType() == io.javalin.websocket.WsHandlerType.WEBSOCKET) ops.add("GET " + e.getPath());
        });
        return ops;
    }
}
