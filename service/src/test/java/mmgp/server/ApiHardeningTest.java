package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Issue 19: bodies and requests that once got a 500, HTML, or a silent acceptance. */
class ApiHardeningTest extends LoadedFakeServer {

    @Test
    void malformedMultipartIsA400NamingTheProblem() {
        for (String route : List.of("/api/understand/video", "/api/pipeline/full")) {
            // the body's boundary is not the one the header announces
            String body = "--other\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhi\r\n--other--\r\n";
            Http.Reply mismatch = http.send(http.request(route).header("Content-Type", "multipart/form-data; boundary=announced")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertThat(mismatch.status()).as(route + " " + mismatch.body()).isEqualTo(400);
            assertThat(mismatch.errorCode()).isEqualTo("invalid_request");
            assertThat(mismatch.json().path("error").path("message").asText()).startsWith("could not read the multipart form");
            Http.Reply none = http.send(http.request(route).header("Content-Type", "multipart/form-data")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertThat(none.status()).as(route + " " + none.body()).isEqualTo(400);
            assertThat(none.errorField()).isEqualTo("body");
        }
    }

    @Test
    void jsonRoutesTakeJsonOrNoContentTypeAndRefuseOthers() {
        String body = "{\"prompt\": \"x\", \"steps\": 1}";
        Http.Reply text = http.send(http.request("/api/generate/image").header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(text.status()).isEqualTo(415);
        assertThat(text.errorCode()).isEqualTo("unsupported_media_type");
        Http.Reply form = http.send(http.request("/api/generate/video").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(form.status()).isEqualTo(415);
        Http.Reply latin1 = http.send(http.request("/api/generate/image").header("Content-Type", "application/json; charset=ISO-8859-1")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(latin1.status()).isEqualTo(415);
        assertThat(http.send(http.request("/api/generate/image").POST(HttpRequest.BodyPublishers.ofString(body))).status()).isEqualTo(202);
        assertThat(http.send(http.request("/api/generate/image").header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body))).status()).isEqualTo(202);
    }

    @Test
    void invalidUtf8AndDuplicateKeysAre400() {
        byte[] bad = "{\"prompt\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1); // é as one Latin-1 byte: not UTF-8
        Http.Reply notUtf8 = http.send(http.request("/api/generate/image").header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(bad)));
        assertThat(notUtf8.status()).as(notUtf8.body()).isEqualTo(400);
        assertThat(notUtf8.json().path("error").path("message").asText()).contains("UTF-8");
        Http.Reply twice = http.postJson("/api/generate/image", "{\"prompt\": \"a\", \"prompt\": \"b\"}");
        assertThat(twice.status()).as(twice.body()).isEqualTo(400);
        assertThat(twice.json().path("error").path("message").asText()).contains("prompt");
        Http.Reply formField = http.send(multipartLatin1("/api/understand/video", "prompt", new byte[] {'h', (byte) 0xE9}));
        assertThat(formField.status()).as(formField.body()).isEqualTo(400);
        assertThat(formField.errorField()).isEqualTo("prompt");
    }

    @Test
    void aHugeFormFieldIs413() {
        Http.Reply r = http.postMultipart("/api/understand/video", new LinkedHashMap<>(Map.of("file", new byte[] {1, 2, 3}, "prompt", "x".repeat(900 << 10))));
        assertThat(r.status()).as(r.body()).isEqualTo(413);
        assertThat(r.errorCode()).isEqualTo("payload_too_large");
    }

    @Test
    void nestedPipelineOptionsRefusedByTheModelNameTheirStage() {
        Http.Reply r = http.postMultipart("/api/pipeline/full", Map.of("video", new byte[] {1, 2, 3}, "options", "{\"image\": {\"width\": 24}}"));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.errorField()).isEqualTo("image.width");
        Http.Reply v = http.postMultipart("/api/pipeline/full", Map.of("video", new byte[] {1, 2, 3}, "options", "{\"video\": {\"frames\": 10}}"));
        assertThat(v.status()).as(v.body()).isEqualTo(400);
        assertThat(v.errorField()).isEqualTo("video.frames");
    }

    @Test
    void jettysOwnErrorsAreJson() throws Exception {
        String raw = rawRequest("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400");
        assertThat(raw.toLowerCase()).contains("content-type: application/json");
        assertThat(raw).contains("\"error\"").doesNotContain("<h1>");
        String hugeHeaders = rawRequest("GET /healthz?q=" + "x".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(hugeHeaders).matches("(?s)HTTP/1.1 (414|431).*");
        assertThat(hugeHeaders.toLowerCase()).contains("content-type: application/json");
        assertThat(hugeHeaders).contains("\"error\"").doesNotContain("<h1>");
    }

    @Test
    void parallelEventStreamOpensNeverPassTheCap() throws Exception {
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<HttpResponse<InputStream>> open = new ArrayList<>();
        try {
            String id = http.postJson("/api/generate/image", "{\"prompt\": \"watched\", \"steps\": 2}").json().get("request_id").asText();
            assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<HttpResponse<InputStream>>> all = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                all.add(client.sendAsync(HttpRequest.newBuilder(URI.create(server.url() + "/api/requests/" + id + "/events"))
                        .header("Authorization", "Bearer " + TestServers.KEY).header("Accept", "text/event-stream").GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream()));
            }
            int ok = 0, refused = 0;
            for (CompletableFuture<HttpResponse<InputStream>> f : all) {
                HttpResponse<InputStream> r = f.get(30, TimeUnit.SECONDS);
                open.add(r);
                if (r.statusCode() == 200) ok++;
                else if (r.statusCode() == 429) refused++;
            }
            assertThat(ok).isEqualTo(JobService.MAX_STREAMS_PER_JOB);
            assertThat(refused).isEqualTo(100 - JobService.MAX_STREAMS_PER_JOB);
            Http.Reply extra = http.send(http.request("/api/requests/" + id + "/events").header("Accept", "text/event-stream").GET());
            assertThat(extra.status()).isEqualTo(429);
        } finally {
            models.image.hold.countDown();
            for (HttpResponse<InputStream> r : open) r.body().close();
        }
    }

    private HttpRequest.Builder multipartLatin1(String route, String field, byte[] value) {
        String boundary = "b0undary";
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\nvvv\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(value);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return http.request(route).header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    }

    private String rawRequest(String request) throws Exception {
        URI u = URI.create(server.url());
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
