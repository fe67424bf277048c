package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /openapi.json describes exactly the routes the server has, and every documented operation answers. */
class OpenApiTest {
    @Test
    void documentAndRoutesAgreeAndEveryOperationAnswers(@TempDir Path dir) throws Exception {
        try (ApiServer server = TestServers.start(TestServers.config(dir.resolve("data")), new FakeModels(dir), 8)) {
            Http http = TestServers.client(server);
            JsonNode served = http.get("/openapi.json").json();
            assertThat(served.get("openapi").asText()).startsWith("3.");

            Set<String> documented = OpenApiRoutes.documented();
            Set<String> registered = OpenApiRoutes.registered(server.app());
            assertThat(registered).as("routes missing from openapi.json").isSubsetOf(documented);
            assertThat(documented).as("documented operations without a route").isSubsetOf(registered);
            assertThat(documented).hasSizeGreaterThanOrEqualTo(15);

            // a finished request to fill the path parameters
            String id = http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"steps\": 1}").json().get("request_id").asText();
            http.awaitEnd(id, Duration.ofSeconds(20));
            for (String op : documented) {
                String method = op.substring(0, op.indexOf(' '));
                String path = op.substring(op.indexOf(' ') + 1).replace("{id}", id).replace("{name}", "image.png").replace("{model}", "mmgp-image");
                Http.Reply r = method.equals("GET") && path.endsWith("/events")
                        ? new Http.Reply(http.events(path, Duration.ofSeconds(10)).isEmpty() ? 500 : 200, "", java.util.Map.of())
                        : method.equals("GET") && path.endsWith("/ws") ? webSocket(server, path)
                        : http.send(http.request(path).method(method, method.equals("POST")
                                ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody()));
                assertThat(r.status()).as(op + " → " + r.body()).isNotIn(404, 405).isLessThan(500);
            }
        }
    }

    /** A WebSocket route: 200 when it opened and sent the job's state, 500 otherwise. */
    private static Http.Reply webSocket(ApiServer server, String path) throws Exception {
        RequestHistoryTest.Socket s = RequestHistoryTest.Socket.open(server.url().replace("http://", "ws://") + path + "?api_key=" + TestServers.KEY);
        s.closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
        return new Http.Reply(s.messages.isEmpty() ? 500 : 200, "", java.util.Map.of());
    }
}
