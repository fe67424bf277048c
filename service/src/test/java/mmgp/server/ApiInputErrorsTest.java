package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every 4xx path of the API: each answers the JSON error shape, naming the field where there is one. */
class ApiInputErrorsTest extends LoadedFakeServer {
    @Override
    ApiServer start(Path dir, FakeModels models) throws Exception {
        ServerConfig config = TestServers.config(dir.resolve("data")).withMaxUploadBytes(64 * 1024)
                .withLimits(new RequestLimits(33, 256, 256, 20, 64));
        return TestServers.start(config, models, 8);
    }

    @ParameterizedTest(name = "{0} → 400 {1}")
    @CsvSource(delimiter = '|', value = {
            "{oops                                              | body",
            "[1, 2]                                             | body",
            "''                                                 | body",
            "{\"steps\": 3}                                     | prompt",
            "{\"prompt\": \"   \"}                              | prompt",
            "{\"prompt\": 42}                                   | prompt",
            "{\"prompt\": \"x\", \"steps\": \"many\"}           | steps",
            "{\"prompt\": \"x\", \"steps\": 2.5}                | steps",
            "{\"prompt\": \"x\", \"steps\": 99999999999}        | steps",
            "{\"prompt\": \"x\", \"guidance_scale\": \"high\"}  | guidance_scale",
            "{\"prompt\": \"x\", \"seed\": true}                | seed",
            "{\"prompt\": \"x\", \"colour\": \"red\"}           | colour",
            "{\"prompt\": \"x\", \"steps\": 21}                 | steps",
            "{\"prompt\": \"x\", \"width\": 512}                | width",
            "{\"prompt\": \"x\", \"height\": 300}               | height",
            "{\"prompt\": \"x\", \"steps\": 0}                  | steps",
            "{\"prompt\": \"x\", \"guidance_scale\": 1000}      | guidance_scale",
            "{\"prompt\": \"x\", \"width\": 24}                 | width",
    })
    void badImageRequestsNameTheirField(String body, String field) {
        Http.Reply r = http.postJson("/api/generate/image", body);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.errorField()).as(r.body()).isEqualTo(field);
        assertThat(r.json().path("error").path("message").asText()).isNotBlank();
    }

    @ParameterizedTest(name = "{0} → 400 {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"prompt\": \"x\", \"frames\": 41, \"width\": 32, \"height\": 32}  | frames",
            "{\"prompt\": \"x\", \"frames\": 10, \"width\": 32, \"height\": 32}  | frames",
            "{\"prompt\": \"x\", \"frame_rate\": 0, \"frames\": 9, \"width\": 32, \"height\": 32}  | frame_rate",
            "{\"prompt\": \"x\", \"frames\": 9}                                  | width",
            "{\"prompt\": \"x\", \"frames\": 9, \"width\": 32, \"height\": 32, \"decode_timestep\": 1.5}     | decode_timestep",
            "{\"prompt\": \"x\", \"frames\": 9, \"width\": 32, \"height\": 32, \"decode_timestep\": \"soon\"}  | decode_timestep",
            "{\"prompt\": \"x\", \"frames\": 9, \"width\": 32, \"height\": 32, \"decode_noise_scale\": -0.2} | decode_noise_scale",
    })
    void badVideoRequestsNameTheirField(String body, String field) {
        Http.Reply r = http.postJson("/api/generate/video", body);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.errorField()).isEqualTo(field);
    }

    @Test
    void videoFormDecodeSettingsAreCheckedAsText() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("prompt", "waves");
        form.put("frames", "9");
        form.put("width", "32");
        form.put("height", "32");
        form.put("decode_noise_scale", "1.2");
        Http.Reply r = http.postMultipart("/api/generate/video", form);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.errorField()).isEqualTo("decode_noise_scale");
        form.put("decode_noise_scale", "0.1");
        form.put("decode_timestep", "a lot");
        Http.Reply t = http.postMultipart("/api/generate/video", form);
        assertThat(t.status()).as(t.body()).isEqualTo(400);
        assertThat(t.errorField()).isEqualTo("decode_timestep");
    }

    @Test
    void understandFormErrors() {
        assertThat(understand(Map.of("prompt", "hi")).errorField()).isEqualTo("file");
        assertThat(understand(Map.of("file", bytes(10))).errorField()).isEqualTo("prompt");
        assertThat(understand(Map.of("file", bytes(10), "prompt", "hi", "max_new_tokens", "lots")).errorField()).isEqualTo("max_new_tokens");
        assertThat(understand(Map.of("file", bytes(10), "prompt", "hi", "max_new_tokens", "65")).errorField()).isEqualTo("max_new_tokens");
        assertThat(understand(Map.of("file", bytes(10), "prompt", "hi", "max_frames", "34")).errorField()).isEqualTo("max_frames");
        assertThat(understand(Map.of("file", bytes(10), "prompt", "hi", "top_p", "2")).errorField()).isEqualTo("top_p");
        assertThat(understand(Map.of("file", bytes(10), "prompt", "hi", "style", "noir")).errorField()).isEqualTo("style");
        assertThat(understand(Map.of("file", "text, not a file", "prompt", "hi")).errorField()).isEqualTo("file");
        assertThat(understand(Map.of("file", new byte[0], "prompt", "hi")).errorField()).isEqualTo("file");
    }

    @Test
    void uploadsAboveTheLimitAre413() {
        Http.Reply r = http.postMultipart("/api/understand/video", Map.of("file", bytes(200 * 1024), "prompt", "hi"));
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.errorCode()).isEqualTo("payload_too_large");
        Http.Reply big = http.postJson("/api/generate/image", "{\"prompt\": \"" + "x".repeat(2 << 20) + "\"}");
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.errorCode()).isEqualTo("payload_too_large");
        // Without a Content-Length (chunked), the limit holds as the body is read.
        byte[] chunked = ("{\"prompt\": \"" + "x".repeat(JobRoutes.MAX_JSON_BYTES) + "\"}").getBytes(StandardCharsets.UTF_8);
        Http.Reply streamed = http.send(http.request("/api/generate/video").header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(chunked))));
        assertThat(streamed.status()).isEqualTo(413);
        assertThat(streamed.errorCode()).isEqualTo("payload_too_large");
    }

    @Test
    void uploadEndpointsWantMultipart() {
        Http.Reply r = http.postJson("/api/understand/video", "{\"prompt\": \"hi\"}");
        assertThat(r.status()).isEqualTo(415);
        assertThat(r.errorCode()).isEqualTo("unsupported_media_type");
    }

    @Test
    void pipelineOptionsErrorsNameTheNestedField() {
        assertThat(pipeline("{not json").errorField()).isEqualTo("options");
        assertThat(pipeline("{\"image\": {\"steps\": \"x\"}}").errorField()).isEqualTo("image.steps");
        assertThat(pipeline("{\"video\": {\"frames\": 99}}").errorField()).isEqualTo("video.frames");
        assertThat(pipeline("{\"video\": {\"frames\": 9, \"width\": 32, \"height\": 32, \"decode_timestep\": 3}}").errorField()).isEqualTo("video.decode_timestep");
        assertThat(pipeline("{\"caption\": {\"temperature\": 50}}").errorField()).isEqualTo("caption.temperature");
        assertThat(pipeline("{\"image\": 3}").errorField()).isEqualTo("image");
        assertThat(pipeline("{\"audio\": {}}").errorField()).isEqualTo("audio");
        assertThat(pipeline("{\"caption_prompt\": \"\"}").errorField()).isEqualTo("caption_prompt");
        Http.Reply noVideo = http.postMultipart("/api/pipeline/full", Map.of("options", "{}"));
        assertThat(noVideo.errorField()).isEqualTo("video");
    }

    @Test
    void unknownIdsNamesAndRoutesAre404AndWrongMethods405() {
        String unknown = UUID.randomUUID().toString();
        assertThat(http.get("/api/requests/" + unknown).status()).isEqualTo(404);
        assertThat(http.get("/api/requests/not-a-uuid").errorCode()).isEqualTo("not_found");
        assertThat(http.delete("/api/requests/" + unknown).status()).isEqualTo(404);
        assertThat(http.get("/api/requests/" + unknown + "/events").status()).isEqualTo(404);
        assertThat(http.get("/api/nothing-here").errorCode()).isEqualTo("not_found");
        Http.Reply wrongMethod = http.method("PUT", "/api/generate/image");
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.errorCode()).isEqualTo("method_not_allowed");
    }

    @Test
    void downloadsCannotLeaveTheJobFolder() {
        Http.Reply accepted = http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"steps\": 1}");
        String id = accepted.json().get("request_id").asText();
        http.awaitEnd(id, java.time.Duration.ofSeconds(20));
        assertThat(http.get("/api/requests/" + id + "/result/image.png").status()).isEqualTo(200);
        for (String name : new String[] {"video.mp4", "input.mp4", "..%2F..%2Fjobs.mv.db", "%2e%2e", "..", "result.json%00", "IMAGE.PNG"}) {
            assertThat(http.get("/api/requests/" + id + "/result/" + name).status()).as(name).isIn(400, 404);
        }
        assertThat(http.get("/api/requests/..%2F..%2F" + id + "/result/image.png").status()).isIn(400, 404);
        assertThat(http.get("/api/requests/" + id.toUpperCase() + "/result/image.png").status()).isEqualTo(200);
    }

    @Test
    void eventStreamWithoutAcceptHeaderIs406() {
        String id = http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"steps\": 1}").json().get("request_id").asText();
        Http.Reply r = http.get("/api/requests/" + id + "/events");
        assertThat(r.status()).isEqualTo(406);
        assertThat(r.errorCode()).isEqualTo("not_acceptable");
    }

    @Test
    void fullQueueAnswers429WithRetryAfter() throws Exception {
        models.video.hold = new CountDownLatch(1);
        models.video.started = new CountDownLatch(1);
        String body = "{\"prompt\": \"x\", \"frames\": 9, \"width\": 16, \"height\": 16, \"steps\": 2}";
        try {
            assertThat(http.postJson("/api/generate/video", body).status()).isEqualTo(202);
            assertThat(models.video.started.await(10, TimeUnit.SECONDS)).isTrue();
            Http.Reply last = null;
            for (int i = 0; i < 20 && (last == null || last.status() == 202); i++) last = http.postJson("/api/generate/video", body);
            assertThat(last.status()).isEqualTo(429);
            assertThat(last.errorCode()).isEqualTo("queue_full");
            assertThat(Long.parseLong(last.header("Retry-After"))).isBetween(1L, 60L);
        } finally {
            models.video.hold.countDown();
        }
    }

    private Http.Reply understand(Map<String, Object> form) {
        Http.Reply r = http.postMultipart("/api/understand/video", new LinkedHashMap<>(form));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        return r;
    }

    private Http.Reply pipeline(String options) {
        Http.Reply r = http.postMultipart("/api/pipeline/full", Map.of("video", bytes(10), "options", options));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        return r;
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) 'v');
        return b;
    }
}
