package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Every job endpoint with fake models: submit, status, events, cancel, downloads, probes, metrics. */
class ApiEndpointsTest extends FakeServer {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void imageRequestIsAcceptedRunsAndItsPngDownloads() throws Exception {
        Http.Reply r = http.postJson("/api/generate/image", "{\"prompt\": \"a red square\", \"steps\": 3, \"width\": 32, \"height\": 16, \"seed\": 7}");
        assertThat(r.status()).isEqualTo(202);
        String id = r.json().get("request_id").asText();
        assertThat(r.header("Location")).isEqualTo("/api/requests/" + id);

        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).isEqualTo("done");
        assertThat(end.get("task").asText()).isEqualTo("image");
        assertThat(end.path("result").path("width").asInt()).isEqualTo(32);
        assertThat(end.path("result").path("seed").asLong()).isEqualTo(7);
        assertThat(end.path("timings").has("denoise")).isTrue();
        assertThat(end.path("results").path("image.png").asText()).isEqualTo("/api/requests/" + id + "/result/image.png");

        BufferedImage png = ImageIO.read(new ByteArrayInputStream(http.download("/api/requests/" + id + "/result/image.png")));
        assertThat(png.getWidth()).isEqualTo(32);
        assertThat(png.getHeight()).isEqualTo(16);
        assertThat(png.getRGB(5, 5) & 0xFFFFFF).isEqualTo(0xFF0000);
        JsonNode stored = Http.JSON.readTree(http.download("/api/requests/" + id + "/result/result.json"));
        assertThat(stored.get("height").asInt()).isEqualTo(16);
    }

    @Test
    void videoRequestProducesAnMp4() throws Exception {
        Http.Reply r = http.postJson("/api/generate/video", "{\"prompt\": \"waves\", \"frames\": 9, \"width\": 32, \"height\": 32, \"steps\": 2, \"frame_rate\": 8}");
        assertThat(r.status()).isEqualTo(202);
        String id = r.json().get("request_id").asText();
        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).as(end.toString()).isEqualTo("done");
        assertThat(end.path("result").path("frames").asInt()).isEqualTo(9);
        byte[] mp4 = http.download("/api/requests/" + id + "/result/video.mp4");
        assertThat(new String(mp4, 4, 4, StandardCharsets.US_ASCII)).isEqualTo("ftyp");
    }

    @Test
    void videoFormWithAStartImageIsKeptWithTheJob() throws Exception {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("image", new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        form.put("prompt", "waves");
        form.put("frames", "9");
        form.put("width", "32");
        form.put("height", "32");
        form.put("steps", "2");
        Http.Reply r = http.postMultipart("/api/generate/video", form);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String id = r.json().get("request_id").asText();
        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).as(end.toString()).isEqualTo("done");
        assertThat(end.path("result").path("frames").asInt()).isEqualTo(9);
        java.util.List<Path> kept;
        try (var files = java.nio.file.Files.list(dir.resolve("data/jobs/" + id))) {
            kept = files.filter(f -> f.getFileName().toString().startsWith("image.")).toList();
        }
        assertThat(kept).hasSize(1);
        assertThat(java.nio.file.Files.readAllBytes(kept.getFirst())).containsExactly((byte) 0x89, 'P', 'N', 'G');
    }

    @Test
    void videoFormWithoutAnImageIsTextToVideo() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("prompt", "waves");
        form.put("frames", "9");
        form.put("width", "32");
        form.put("height", "32");
        form.put("steps", "2");
        Http.Reply r = http.postMultipart("/api/generate/video", form);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(http.awaitEnd(r.json().get("request_id").asText(), WAIT).get("status").asText()).isEqualTo("done");
    }

    @Test
    void videoFormRefusesAnImageSentAsTextOrAnotherFileField() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("prompt", "waves");
        form.put("image", "not a file");
        Http.Reply r = http.postMultipart("/api/generate/video", form);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.errorField()).isEqualTo("image");
        Map<String, Object> other = new LinkedHashMap<>();
        other.put("prompt", "waves");
        other.put("file", new byte[] {1, 2});
        Http.Reply r2 = http.postMultipart("/api/generate/video", other);
        assertThat(r2.status()).as(r2.body()).isEqualTo(400);
        assertThat(r2.errorField()).isEqualTo("file");
        Map<String, Object> badFrames = new LinkedHashMap<>();
        badFrames.put("image", new byte[] {1});
        badFrames.put("prompt", "waves");
        badFrames.put("frames", "ten");
        Http.Reply r3 = http.postMultipart("/api/generate/video", badFrames);
        assertThat(r3.status()).as(r3.body()).isEqualTo(400);
        assertThat(r3.errorField()).isEqualTo("frames");
    }

    @Test
    void understandUploadStreamsACaptionThatIsStoredAsText() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("file", "not really a video".getBytes(StandardCharsets.UTF_8));
        form.put("prompt", "What happens?");
        form.put("max_new_tokens", "4");
        form.put("temperature", "0");
        Http.Reply r = http.postMultipart("/api/understand/video", form);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String id = r.json().get("request_id").asText();
        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).isEqualTo("done");
        assertThat(end.get("caption").asText()).isEqualTo("a red ball rolls");
        assertThat(end.path("result").path("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(new String(http.download("/api/requests/" + id + "/result/caption.txt"), StandardCharsets.UTF_8)).isEqualTo("a red ball rolls");
    }

    @Test
    void largeUploadsAreKeptWithTheJobAndLeaveNoTemporaryFiles() throws Exception {
        byte[] video = new byte[3 << 20]; // above the 1 MiB that multipart keeps in memory
        java.util.Arrays.fill(video, (byte) 7);
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("file", video);
        form.put("prompt", "What happens?");
        Http.Reply r = http.postMultipart("/api/understand/video", form);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String id = r.json().get("request_id").asText();
        assertThat(http.awaitEnd(id, WAIT).get("status").asText()).isEqualTo("done");
        Path stored = dir.resolve("data/jobs/" + id + "/input.mp4");
        assertThat(java.nio.file.Files.size(stored)).isEqualTo(video.length);
        try (var tmp = java.nio.file.Files.list(dir.resolve("data/tmp"))) {
            assertThat(tmp.toList()).isEmpty();
        }
    }

    @Test
    void pipelineRunsCaptionImageAndVideo() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("video", new byte[] {1, 2, 3});
        form.put("options", "{\"caption_prompt\": \"Describe it.\", \"caption\": {\"max_new_tokens\": 3},"
                + " \"image\": {\"steps\": 2, \"width\": 16, \"height\": 16}, \"video\": {\"frames\": 9, \"width\": 16, \"height\": 16, \"steps\": 2}}");
        Http.Reply r = http.postMultipart("/api/pipeline/full", form);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String id = r.json().get("request_id").asText();
        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).as(end.toString()).isEqualTo("done");
        assertThat(end.get("task").asText()).isEqualTo("pipeline");
        assertThat(end.get("caption").asText()).isEqualTo("a red ball");
        assertThat(end.path("results").fieldNames()).toIterable().containsExactlyInAnyOrder("caption.txt", "image.png", "video.mp4", "result.json");
        assertThat(end.path("result").path("video").path("frames").asInt()).isEqualTo(9);
    }

    @Test
    void pipelineWhoseVideoStageFailsKeepsTheCaptionAndImage() {
        models.video.failure = "out of memory in the fake video model";
        String id = submitPipeline();
        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).isEqualTo("failed");
        assertThat(end.get("error").asText()).startsWith("video stage:").contains("out of memory in the fake video model");
        assertThat(end.path("results").fieldNames()).toIterable().containsExactlyInAnyOrder("caption.txt", "image.png", "result.json");
        assertThat(end.path("result").path("failed_stage").asText()).isEqualTo("video");
        assertThat(http.get("/api/requests/" + id + "/result/video.mp4").status()).isEqualTo(404);
    }

    @Test
    void pipelineCancelledDuringItsImageStageIsCancelled() throws Exception {
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        String id = submitPipeline();
        assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(http.delete("/api/requests/" + id).status()).isEqualTo(202);
        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).isEqualTo("cancelled");
        assertThat(end.path("results").has("video.mp4")).isFalse();
    }

    private String submitPipeline() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("video", new byte[] {1, 2, 3});
        form.put("options", "{\"caption\": {\"max_new_tokens\": 3}, \"image\": {\"steps\": 2, \"width\": 16, \"height\": 16},"
                + " \"video\": {\"frames\": 9, \"width\": 16, \"height\": 16, \"steps\": 2}}");
        Http.Reply r = http.postMultipart("/api/pipeline/full", form);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().get("request_id").asText();
    }

    @Test
    void eventStreamReplaysStateThenStreamsTextProgressAndTheFinalStatus() throws Exception {
        models.understand.hold = new CountDownLatch(1);
        models.understand.started = new CountDownLatch(1);
        String id = submitUnderstand();
        assertThat(models.understand.started.await(10, TimeUnit.SECONDS)).isTrue();
        // The job goes on once the stream has its first event, so the stream surely saw it running.
        List<String[]> events = http.events("/api/requests/" + id + "/events", WAIT, e -> models.understand.hold.countDown());

        // the replayed state holds the caption so far; the text events continue it
        assertThat(events.getFirst()[0]).isEqualTo("state");
        JsonNode state = json(events.getFirst()[1]);
        assertThat(state.get("status").asText()).isEqualTo("running");
        assertThat(state.get("caption").asText()).isEqualTo("a");
        assertThat(state.path("progress").path("done").asInt()).isEqualTo(1);
        List<String> names = events.stream().map(e -> e[0]).toList();
        assertThat(names).contains("progress", "text", "stage");
        String text = events.stream().filter(e -> e[0].equals("text")).map(e -> json(e[1]).get("piece").asText()).reduce("", String::concat);
        assertThat(state.get("caption").asText() + text).isEqualTo("a red ball rolls across the floor");
        JsonNode lastProgress = events.stream().filter(e -> e[0].equals("progress")).map(e -> json(e[1])).reduce((a, b) -> b).orElseThrow();
        assertThat(lastProgress.get("done").asInt()).isEqualTo(lastProgress.get("total").asInt()).isEqualTo(7);
        String[] last = events.getLast();
        assertThat(last[0]).isEqualTo("status");
        assertThat(json(last[1]).get("status").asText()).isEqualTo("done");
        assertThat(json(last[1]).get("caption").asText()).isEqualTo("a red ball rolls across the floor");

        // after the end: the stored state is replayed and the stream closes at once
        List<String[]> again = http.events("/api/requests/" + id + "/events", WAIT);
        assertThat(again).extracting(e -> e[0]).containsExactly("state", "status");
    }

    @Test
    void aTextFieldAboveItsLimitIs413NamingItThoughTheUploadLimitIsFarAbove() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("file", new byte[] {1, 2, 3});
        form.put("prompt", "p".repeat(JobRoutes.MAX_FIELD_BYTES + 1));
        Http.Reply r = http.postMultipart("/api/understand/video", form);
        assertThat(r.status()).as(r.body()).isEqualTo(413);
        assertThat(r.errorField()).isEqualTo("prompt");
    }

    @Test
    void eventStreamsOfOneRequestAreCappedWith429() throws Exception {
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        String id = http.postJson("/api/generate/image", "{\"prompt\": \"watched\", \"steps\": 2}").json().get("request_id").asText();
        assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
        String path = "/api/requests/" + id + "/events";
        CountDownLatch connected = new CountDownLatch(JobService.MAX_STREAMS_PER_JOB);
        List<Thread> streams = new java.util.ArrayList<>();
        for (int i = 0; i < JobService.MAX_STREAMS_PER_JOB; i++) {
            streams.add(Thread.ofVirtual().start(() -> http.events(path, WAIT, e -> {
                if (e[0].equals("state")) connected.countDown();
            })));
        }
        assertThat(connected.await(20, TimeUnit.SECONDS)).isTrue();

        Http.Reply refused = http.send(http.request(path).header("Accept", "text/event-stream").GET());
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.errorCode()).isEqualTo("too_many_streams");
        assertThat(refused.header("Retry-After")).isNotBlank();

        models.image.hold.countDown();
        for (Thread t : streams) t.join();
        assertThat(http.awaitEnd(id, WAIT).get("status").asText()).isEqualTo("done");
    }

    @Test
    void aStreamWhoseClientLeftIsDroppedWhileTheJobIsQuiet() throws Exception {
        server.jobs().streamKeepAlive(Duration.ofMillis(100));
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        String id = http.postJson("/api/generate/image", "{\"prompt\": \"left\", \"steps\": 2}").json().get("request_id").asText();
        assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<InputStream> r = client.send(http.request("/api/requests/" + id + "/events").header("Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null && !line.startsWith("data:"); line = in.readLine()) {
                // up to the replayed state
            }
            assertThat(server.jobs().streams(id)).isEqualTo(1);
        } // the client leaves; the held job sends no event, so only the keep-alive can find out

        long deadline = System.nanoTime() + WAIT.toNanos();
        while (server.jobs().streams(id) > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(server.jobs().streams(id)).as("the departed stream left the job").isZero();
        models.image.hold.countDown();
        assertThat(http.awaitEnd(id, WAIT).get("status").asText()).isEqualTo("done");
    }

    @Test
    void runningJobCancelsWith202AndAFinishedOneAnswers409() throws Exception {
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        String id = http.postJson("/api/generate/image", "{\"prompt\": \"slow\", \"steps\": 5}").json().get("request_id").asText();
        assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(http.get("/api/requests/" + id).json().get("status").asText()).isEqualTo("running");

        Http.Reply cancel = http.delete("/api/requests/" + id);
        assertThat(cancel.status()).isEqualTo(202);
        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).isEqualTo("cancelled");
        assertThat(end.path("results").size()).isZero();

        Http.Reply again = http.delete("/api/requests/" + id);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.errorCode()).isEqualTo("already_finished");
    }

    @Test
    void queuedJobCancelsBeforeItRuns() throws Exception {
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        String running = http.postJson("/api/generate/image", "{\"prompt\": \"first\", \"steps\": 2}").json().get("request_id").asText();
        assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
        String queued = http.postJson("/api/generate/image", "{\"prompt\": \"second\", \"steps\": 2}").json().get("request_id").asText();
        assertThat(http.get("/api/requests/" + queued).json().get("status").asText()).isEqualTo("queued");
        assertThat(http.delete("/api/requests/" + queued).status()).isEqualTo(202);
        assertThat(http.awaitEnd(queued, WAIT).get("status").asText()).isEqualTo("cancelled");
        models.image.hold.countDown();
        assertThat(http.awaitEnd(running, WAIT).get("status").asText()).isEqualTo("done");
    }

    @Test
    void modelFailureIsReportedAsFailedWithItsMessage() {
        String id = http.postJson("/api/generate/image", "{\"prompt\": \"explode\", \"steps\": 2}").json().get("request_id").asText();
        JsonNode end = http.awaitEnd(id, WAIT);
        assertThat(end.get("status").asText()).isEqualTo("failed");
        assertThat(end.get("error").asText()).contains("the fake model exploded");
    }

    @Test
    void probesAreOpenAndReadinessWithAKeyCanLoadModels() {
        Http anonymous = http.withKey(null);
        Http.Reply health = anonymous.get("/healthz");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("up");

        JsonNode ready = anonymous.get("/readyz").json();
        assertThat(ready.get("ready").asBoolean()).isTrue();
        assertThat(ready.get("store").asBoolean()).isTrue();
        assertThat(ready.path("models").path("image").path("configured").asBoolean()).isTrue();
        assertThat(ready.path("models").path("image").path("loaded").asBoolean()).isFalse();

        assertThat(anonymous.get("/readyz?load=true").status()).as("loading models is not for anonymous callers").isEqualTo(401);
        assertThat(ready.path("models").path("image").path("loaded").asBoolean()).isFalse();
        JsonNode loaded = http.get("/readyz?load=true").json();
        assertThat(loaded.path("models").path("image").path("loaded").asBoolean()).isTrue();
        assertThat(loaded.path("models").path("video").path("loaded").asBoolean()).isTrue();
    }

    @Test
    void metricsCountRequestsStagesQueuesBatchesTokensAndMemory() {
        String img = http.postJson("/api/generate/image", "{\"prompt\": \"a\", \"steps\": 2}").json().get("request_id").asText();
        String cap = submitUnderstand();
        http.awaitEnd(img, WAIT);
        http.awaitEnd(cap, WAIT);
        http.postJson("/api/generate/image", "{oops").status();

        Http.Reply m = http.withKey(null).get("/metrics");
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.header("Content-Type")).startsWith("text/plain");
        String text = m.body();
        assertThat(text).contains("mmgp_requests_total{outcome=\"done\",task=\"image\",variant=\"default\"} 1.0");
        assertThat(text).contains("mmgp_requests_total{outcome=\"done\",task=\"understand\",variant=\"default\"} 1.0");
        assertThat(text).contains("mmgp_request_duration_seconds_bucket{task=\"image\"");
        assertThat(text).contains("mmgp_stage_duration_seconds_bucket{stage=\"denoise\",task=\"image\"");
        assertThat(text).contains("mmgp_queue_depth{task=\"video\"} 0.0");
        assertThat(text).contains("mmgp_batch_size_bucket{task=\"image\"");
        assertThat(text).contains("mmgp_tokens_per_second_count");
        assertThat(text).contains("mmgp_tokens_generated_total 7.0");
        assertThat(text).contains("jvm_memory_used_bytes");
        assertThat(text).containsPattern("process_resident_memory_bytes [1-9]");
        assertThat(text).contains("mmgp_http_server_requests_seconds_count{method=\"POST\",route=\"/api/generate/image\",status=\"400\"} 1");
    }

    private String submitUnderstand() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("file", new byte[] {0, 0, 0, 24});
        form.put("prompt", "What happens?");
        Http.Reply r = http.postMultipart("/api/understand/video", form);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().get("request_id").asText();
    }

    private static JsonNode json(String s) {
        try {
            return Http.JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError(s, e);
        }
    }
}
