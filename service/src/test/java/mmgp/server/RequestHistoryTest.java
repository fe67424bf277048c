package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /api/requests (a key's history, paged and filtered) and the WebSocket twin of the event stream. */
class RequestHistoryTest {
    @TempDir
    Path dir;

    @Test
    void theH2StoreListsPagesNewestFirst() throws Exception {
        try (H2JobStore store = new H2JobStore(dir)) {
            JobStoreListing.check(store);
        }
    }

    @Test
    void aKeySeesOnlyItsOwnJobsPageByPageAndBadValuesAre400() throws Exception {
        try (ApiServer server = TestServers.start(TestServers.config(dir.resolve("data")), new FakeModels(dir), 16)) {
            Http mine = TestServers.client(server);
            Http other = mine.withKey(TestServers.OTHER_KEY);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) ids.add(mine.postJson("/api/generate/image", "{\"prompt\": \"p" + i + "\", \"steps\": 1}").json().get("request_id").asText());
            String video = mine.postJson("/api/generate/video", "{\"prompt\": \"v\", \"steps\": 1, \"frames\": 9, \"width\": 32, \"height\": 32}").json().get("request_id").asText();
            String others = other.postJson("/api/generate/image", "{\"prompt\": \"x\", \"steps\": 1}").json().get("request_id").asText();
            for (String id : ids) mine.awaitEnd(id, Duration.ofSeconds(20));
            mine.awaitEnd(video, Duration.ofSeconds(20));

            List<String> seen = new ArrayList<>();
            String next = null;
            do {
                JsonNode page = mine.get("/api/requests?limit=2" + (next == null ? "" : "&before=" + next)).json();
                assertThat(page.get("requests").size()).isLessThanOrEqualTo(2);
                page.get("requests").forEach(r -> seen.add(r.get("request_id").asText()));
                next = page.get("next").isNull() ? null : page.get("next").asText();
            } while (next != null);
            assertThat(seen).hasSize(6).doesNotContain(others).first().isEqualTo(video);

            JsonNode images = mine.get("/api/requests?task=image&status=done").json();
            assertThat(images.get("requests")).hasSize(5);
            assertThat(images.get("next").isNull()).isTrue();
            JsonNode first = images.get("requests").get(0);
            // the same object as GET /api/requests/{id}
            assertThat(first).isEqualTo(mine.get("/api/requests/" + first.get("request_id").asText()).json());
            assertThat(first.path("results").has("image.png")).isTrue();
            assertThat(mine.get("/api/requests?status=failed").json().get("requests")).isEmpty();
            assertThat(other.get("/api/requests").json().get("requests")).extracting(r -> r.get("request_id").asText()).containsExactly(others);

            for (String bad : List.of("limit=0", "limit=101", "limit=x", "task=music", "status=lost", "before=nonsense", "before=" + "djE6MTIzOm5vdC1hbi1pZA", "colour=red", "task=image&task=video")) {
                Http.Reply r = mine.get("/api/requests?" + bad);
                assertThat(r.status()).as(bad).isEqualTo(400);
                assertThat(r.json().path("error").path("message").asText()).as(bad).isNotBlank();
            }
            assertThat(mine.withKey(null).get("/api/requests").status()).isEqualTo(401);
        }
    }

    @Test
    void theWebSocketReplaysTheStateThenStreamsTheSameEventsAsSse() throws Exception {
        FakeModels models = new FakeModels(dir);
        try (ApiServer server = TestServers.start(TestServers.config(dir.resolve("data")), models, 8)) {
            Http http = TestServers.client(server);
            models.understand.hold = new java.util.concurrent.CountDownLatch(1);
            models.understand.started = new java.util.concurrent.CountDownLatch(1);
            String id = http.postMultipart("/api/understand/video", Map.of("file", new byte[] {0, 0, 0, 24, 'f', 't', 'y', 'p'}, "prompt", "what?"))
                    .json().get("request_id").asText();
            models.understand.started.await(10, TimeUnit.SECONDS);
            String ws = server.url().replace("http://", "ws://") + "/api/requests/" + id + "/ws";

            // refused before the upgrade: no key, someone else's key, an unknown id
            assertThat(upgradeStatus(ws)).isEqualTo(401);
            assertThat(upgradeStatus(ws + "?api_key=" + TestServers.OTHER_KEY)).isEqualTo(404);
            assertThat(upgradeStatus(server.url().replace("http://", "ws://") + "/api/requests/" + java.util.UUID.randomUUID() + "/ws?api_key=" + TestServers.KEY)).isEqualTo(404);

            Socket socket = Socket.open(ws + "?api_key=" + TestServers.KEY);
            CompletableFuture<List<String[]>> sse = CompletableFuture.supplyAsync(() -> http.events("/api/requests/" + id + "/events", Duration.ofSeconds(20)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.jobs().streams(id) < 2 && System.nanoTime() < deadline) Thread.sleep(10);
            models.understand.hold.countDown();
            JsonNode end = socket.closed.get(20, TimeUnit.SECONDS);
            assertThat(end.get("code").asInt()).isEqualTo(1000);

            List<JsonNode> messages = socket.messages;
            assertThat(messages.getFirst().get("event").asText()).isEqualTo("state");
            assertThat(messages.getFirst().get("data").get("status").asText()).isEqualTo("running");
            JsonNode last = messages.getLast();
            assertThat(last.get("event").asText()).isEqualTo("status");
            assertThat(last.get("data").get("status").asText()).isEqualTo("done");
            assertThat(last.get("data").get("caption").asText()).isEqualTo("a red ball rolls across the floor");
            List<String> sseEvents = sse.get(20, TimeUnit.SECONDS).stream().map(e -> e[0] + " " + e[1]).toList();
            List<String> wsEvents = messages.stream().map(m -> m.get("event").asText() + " " + m.get("data").toString()).toList();
            assertThat(wsEvents).as("the same events with the same payloads").isEqualTo(sseEvents);

            // a finished job: its state and final status, then the close
            Socket again = Socket.open(ws + "?api_key=" + TestServers.KEY);
            again.closed.get(10, TimeUnit.SECONDS);
            assertThat(again.messages).extracting(m -> m.get("event").asText()).containsExactly("state", "status");
        }
    }

    @Test
    void theWebSocketCountsAgainstTheStreamCap() throws Exception {
        FakeModels models = new FakeModels(dir);
        try (ApiServer server = TestServers.start(TestServers.config(dir.resolve("data")), models, 8)) {
            Http http = TestServers.client(server);
            models.image.hold = new java.util.concurrent.CountDownLatch(1);
            String id = http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"steps\": 3}").json().get("request_id").asText();
            String ws = server.url().replace("http://", "ws://") + "/api/requests/" + id + "/ws?api_key=" + TestServers.KEY;
            List<Socket> sockets = new ArrayList<>();
            for (int i = 0; i < JobService.MAX_STREAMS_PER_JOB; i++) sockets.add(Socket.open(ws));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.jobs().streams(id) < JobService.MAX_STREAMS_PER_JOB && System.nanoTime() < deadline) Thread.sleep(10);
            assertThat(upgradeStatus(ws)).isEqualTo(429);
            models.image.hold.countDown();
            for (Socket s : sockets) s.closed.get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void upgradesJettyRefusesGiveTheirStreamSlotsBack() throws Exception {
        FakeModels models = new FakeModels(dir);
        try (ApiServer server = TestServers.start(TestServers.config(dir.resolve("data")), models, 8)) {
            Http http = TestServers.client(server);
            models.image.hold = new java.util.concurrent.CountDownLatch(1);
            String id = http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"steps\": 3}").json().get("request_id").asText();
            String path = "/api/requests/" + id + "/ws?api_key=" + TestServers.KEY;
            // admitted by the route (key, owner, a free slot), then refused by Jetty: no key, then an unsupported version
            for (int i = 0; i <= JobService.MAX_STREAMS_PER_JOB; i++) {
                String handshake = i % 2 == 0 ? "" : "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n";
                String head = rawHead(server, "GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + handshake + "\r\n");
                assertThat(head).as(head).startsWith("HTTP/1.1 ").doesNotStartWith("HTTP/1.1 101").doesNotStartWith("HTTP/1.1 429");
            }
            assertThat(server.jobs().streamSlotsTaken(id)).isZero();
            Socket socket = Socket.open(server.url().replace("http://", "ws://") + path);
            models.image.hold.countDown();
            assertThat(socket.closed.get(20, TimeUnit.SECONDS).get("code").asInt()).isEqualTo(1000);
        }
    }

    /** The status line and headers a raw request got. */
    private static String rawHead(ApiServer server, String request) throws Exception {
        URI u = URI.create(server.url());
        try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            java.io.InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0) {
                got.append((char) b);
                if (got.toString().endsWith("\r\n\r\n")) break;
            }
            return got.toString();
        }
    }

    /** The HTTP status a refused upgrade answered (101 when it was accepted). */
    private static int upgradeStatus(String url) throws Exception {
        try {
            WebSocket w = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() { }).get(10, TimeUnit.SECONDS);
            w.abort();
            return 101;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException h) return h.getResponse().statusCode();
            throw e;
        }
    }

    /** A client socket that keeps every message (as JSON) and completes {@code closed} with the close code. */
    static final class Socket implements WebSocket.Listener {
        final List<JsonNode> messages = new CopyOnWriteArrayList<>();
        final CompletableFuture<JsonNode> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        static Socket open(String url) throws Exception {
            Socket s = new Socket();
            HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), s).get(10, TimeUnit.SECONDS);
            return s;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    messages.add(Http.JSON.readTree(partial.toString()));
                } catch (java.io.IOException e) {
                    closed.completeExceptionally(e);
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            closed.complete(Http.JSON.createObjectNode().put("code", code).put("reason", reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
