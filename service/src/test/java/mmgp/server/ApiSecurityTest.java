package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** API keys, the events endpoint's query key, per-key rate limits, CORS, /metrics access and the access log. */
class ApiSecurityTest {
    @TempDir
    Path dir;
    ApiServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private Http start(ServerConfig config) throws Exception {
        server = TestServers.start(config, new FakeModels(dir), 8);
        return TestServers.client(server);
    }

    @Test
    void apiNeedsAKeyInAuthorizationOrXApiKey() throws Exception {
        Http http = start(TestServers.config(dir.resolve("data")));
        String body = "{\"prompt\": \"x\", \"steps\": 1}";

        Http.Reply none = http.withKey(null).postJson("/api/generate/image", body);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.errorCode()).isEqualTo("unauthorized");
        assertThat(http.withKey("wrong-key").postJson("/api/generate/image", body).status()).isEqualTo(401);
        assertThat(http.withKey(TestServers.KEY + "x").get("/api/requests/" + java.util.UUID.randomUUID()).status()).isEqualTo(401);

        Http.Reply bearer = http.postJson("/api/generate/image", body);
        assertThat(bearer.status()).isEqualTo(202);
        String id = bearer.json().get("request_id").asText();
        Http.Reply xApiKey = http.withKey(null).send(http.withKey(null).request("/api/requests/" + id).header("X-API-Key", TestServers.KEY).GET());
        assertThat(xApiKey.status()).isEqualTo(200);
        http.awaitEnd(id, Duration.ofSeconds(20));

        // another valid key does not see this key's requests: the same 404 as an unknown id
        Http other = http.withKey(TestServers.OTHER_KEY);
        assertThat(other.get("/api/requests/" + id).status()).isEqualTo(404);
        assertThat(other.delete("/api/requests/" + id).status()).isEqualTo(404);
        assertThat(other.get("/api/requests/" + id + "/result/image.png").status()).isEqualTo(404);
        assertThat(other.send(other.request("/api/requests/" + id + "/events").header("Accept", "text/event-stream").GET()).status()).isEqualTo(404);

        // a key in the URL works for the event stream only
        assertThat(http.withKey(null).get("/api/requests/" + id + "?api_key=" + TestServers.KEY).status()).isEqualTo(401);
        assertThat(http.withKey(null).events("/api/requests/" + id + "/events?api_key=" + TestServers.KEY, Duration.ofSeconds(10)))
                .extracting(e -> e[0]).containsExactly("state", "status");
        assertThat(http.withKey(null).get("/api/requests/" + id + "/events?api_key=nope").status()).isEqualTo(401);

        // open routes
        for (String open : List.of("/", "/app.js", "/app.css", "/healthz", "/readyz", "/openapi.json", "/metrics")) {
            assertThat(http.withKey(null).get(open).status()).as(open).isEqualTo(200);
        }
    }

    @Test
    void metricsCanRequireAKey() throws Exception {
        Http http = start(TestServers.config(dir.resolve("data")).withMetricsNeedAuth(true));
        assertThat(http.withKey(null).get("/metrics").status()).isEqualTo(401);
        assertThat(http.get("/metrics").status()).isEqualTo(200);
    }

    @Test
    void eachKeyHasItsOwnTokenBucket() throws Exception {
        Http http = start(TestServers.config(dir.resolve("data")).withRateLimit(3));
        String body = "{\"prompt\": \"x\", \"steps\": 1}";
        for (int i = 0; i < 3; i++) assertThat(http.postJson("/api/generate/image", body).status()).isEqualTo(202);
        Http.Reply limited = http.postJson("/api/generate/image", body);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.errorCode()).isEqualTo("rate_limited");
        assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 20L);
        // polling is not limited, and the other key still has its tokens
        assertThat(http.get("/healthz").status()).isEqualTo(200);
        assertThat(http.withKey(TestServers.OTHER_KEY).postJson("/api/generate/image", body).status()).isEqualTo(202);
    }

    @Test
    void corsIsOffByDefaultAndAllowsOnlyConfiguredOrigins() throws Exception {
        Http http = start(TestServers.config(dir.resolve("data")).withCorsOrigins(List.of("http://app.example:3000")));
        Http.Reply preflight = http.withKey(null).send(HttpRequest.newBuilder(URI.create(server.url() + "/api/generate/image"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://app.example:3000")
                .header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "authorization,content-type"));
        assertThat(preflight.status()).isEqualTo(200);
        assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo("http://app.example:3000");
        Http.Reply other = http.send(http.request("/healthz").header("Origin", "http://evil.example").GET());
        assertThat(other.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void noCorsHeadersWithoutConfiguration() throws Exception {
        Http http = start(TestServers.config(dir.resolve("data")));
        Http.Reply r = http.send(http.request("/healthz").header("Origin", "http://app.example:3000").GET());
        assertThat(r.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void accessLogNamesTheKeyByIdOnly() throws Exception {
        Logger access = (Logger) LoggerFactory.getLogger("mmgp.server.access");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        access.addAppender(captured);
        try {
            Http http = start(TestServers.config(dir.resolve("data")));
            String id = http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"steps\": 1}").json().get("request_id").asText();
            http.withKey("not-a-key").get("/api/requests/" + id);
            ILoggingEvent post = captured.list.stream().filter(e -> e.getFormattedMessage().startsWith("POST /api/generate/image 202")).findFirst().orElseThrow();
            assertThat(post.getKeyValuePairs()).anySatisfy(kv -> {
                assertThat(kv.key).isEqualTo("request_id");
                assertThat(kv.value).isEqualTo(id);
            });
            assertThat(post.getKeyValuePairs()).anySatisfy(kv -> {
                assertThat(kv.key).isEqualTo("key_id");
                assertThat(kv.value).isEqualTo(ApiKeys.idOf(TestServers.KEY));
            });
            assertThat(post.getKeyValuePairs()).extracting(kv -> kv.key).contains("method", "path", "status", "ms");
            assertThat(captured.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).startsWith("GET /api/requests/" + id + " 401"));
            for (ILoggingEvent e : captured.list) {
                assertThat(e.getFormattedMessage() + e.getKeyValuePairs() + e.getMDCPropertyMap()).doesNotContain(TestServers.KEY).doesNotContain("not-a-key");
            }
        } finally {
            access.detachAppender(captured);
        }
    }

    @Test
    void unsafeConfigurationsAreRefused() {
        Path data = dir.resolve("data");
        assertThatThrownBy(() -> new ServerConfig("0.0.0.0", 0, data, List.of(), true, false, 0, 1, RequestLimits.defaults(), List.of(),
                Duration.ofHours(1), Duration.ofMinutes(1), false)).hasMessageContaining("--no-auth is refused on 0.0.0.0");
        assertThatThrownBy(() -> new ServerConfig("127.0.0.1", 0, data, List.of(), false, false, 0, 1, RequestLimits.defaults(), List.of(),
                Duration.ofHours(1), Duration.ofMinutes(1), false)).hasMessageContaining("no API key given");
        assertThatThrownBy(() -> TestServers.config(data).withCorsOrigins(List.of("*"))).hasMessageContaining("CORS origin");
        assertThat(ServerConfig.isLoopback("localhost")).isTrue();
        assertThat(ServerConfig.isLoopback("::1")).isTrue();
        assertThat(ServerConfig.isLoopback("0.0.0.0")).isFalse();
    }
}
