package mmgp.models.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import mmgp.api.Task;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.mtmd.Mtmd;
import mmgp.cluster.ClusterConfig;
import mmgp.cluster.ClusterDemo;
import mmgp.cluster.ClusterEvent;
import mmgp.cluster.ClusterKafka;
import mmgp.cluster.ClusterWorker;
import mmgp.cluster.KraftBroker;
import mmgp.cluster.LocalPostgres;
import mmgp.cluster.PostgresJobStore;
import mmgp.engine.Engine;
import mmgp.models.smolvlm.SampleClip;
import mmgp.server.ApiServer;
import mmgp.server.ClusterServer;
import mmgp.server.Metrics;
import mmgp.server.ServerConfig;
import mmgp.testing.Fixtures;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster on one PostgreSQL and one KRaft broker (its own process), started once for all
 * tests: {@code mmgp cluster demo} with a worker killed mid-batch; a pipeline spread over two
 * workers that serve different tasks, against the same pipeline on a single node; the per-key
 * API limits of a front end.
 */
class ClusterDemoTest {
    static final Path FIXTURES = Fixtures.root();
    static final Path AMUSED = FIXTURES.resolve("amused/checkpoint");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static LocalPostgres pg;
    static KraftBroker broker;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        pg = LocalPostgres.start(dir.resolve("postgres"), Duration.ofMinutes(2));
        try {
            broker = KraftBroker.start(KraftBroker.defaultLib(), dir.resolve("kafka"), Duration.ofMinutes(3));
        } catch (KraftBroker.UnavailableException e) {
            abort("the Kafka broker cannot start on this machine: " + e.getMessage());
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
        if (pg != null) pg.close();
    }

    static ClusterConfig config(String shared) {
        return new ClusterConfig(broker.bootstrapServers(), pg.jdbcUrl(), pg.user(), "", dir.resolve(shared), 4, 10_000, 3, Duration.ofSeconds(6));
    }

    @Test
    void aWorkerKilledMidBatchLosesAndDuplicatesNothing() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(new TeeStream(System.out, log), true, StandardCharsets.UTF_8);
        ClusterDemo.Options o = new ClusterDemo.Options(12, 2, true, 12, 32, 4, AMUSED.toAbsolutePath(), KraftBroker.defaultLib(), dir.resolve("demo"),
                Duration.ofMinutes(5));
        ClusterDemo demo = new ClusterDemo(o, both);
        ClusterDemo.Summary s = demo.run(pg, broker);
        String out = log.toString(StandardCharsets.UTF_8);
        assertThat(s.killedJobs()).as(out).isNotEmpty();
        assertThat(out).contains("kill -9 worker-1").contains("restarted worker-1");
        assertThat(s.line()).as(out).isEqualTo("accepted 12 completed 12 failed 0 lost 0 duplicated 0");
        assertThat(s.recoverySeconds()).isPositive();
        assertThat(demo.apiChecksPassed()).as(out).isTrue();
    }

    @Test
    void aPipelineSpreadOverTwoWorkersEndsAsOnASingleNode() throws Exception {
        LlamaLog.silence();
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
        Path clip = SampleClip.write(dir.resolve("clip.mp4"));
        String options = "{\"caption\": {\"max_new_tokens\": 8}, \"image\": {\"steps\": 2, \"seed\": 7},"
                + " \"video\": {\"frames\": 9, \"width\": 64, \"height\": 32, \"steps\": 2, \"seed\": 3}}";

        Outcome single;
        Engine.Builder all = Engine.builder().model(Task.UNDERSTAND, FIXTURES.resolve("smolvlm2_processor/checkpoint"))
                .model(Task.IMAGE, AMUSED).model(Task.VIDEO, FIXTURES.resolve("ltx_video/checkpoint")).threads(1).maxWait(Duration.ofMillis(20));
        try (ApiServer server = ApiServer.start(ServerConfig.localNoAuth(dir.resolve("single")), all)) {
            single = runPipeline(server.url(), clip, options);
        }

        ClusterConfig config = config("shared-pipeline");
        // the caption and the video on one worker, the image on the other (two A/B variants of the same checkpoint):
        // every stage hands over to another worker
        Engine captionAndVideo = Engine.builder().model(Task.UNDERSTAND, FIXTURES.resolve("smolvlm2_processor/checkpoint"))
                .model(Task.VIDEO, FIXTURES.resolve("ltx_video/checkpoint")).threads(1).maxWait(Duration.ofMillis(20)).build();
        Engine images = Engine.builder().variant(Task.IMAGE, "a", AMUSED, 1).variant(Task.IMAGE, "b", AMUSED, 1).variantSeed(5)
                .threads(1).maxWait(Duration.ofMillis(20)).build();
        try (Metrics m1 = new Metrics(); Metrics m2 = new Metrics();
             ClusterWorker w1 = new ClusterWorker(config, "worker-cv", captionAndVideo, m1, Set.of(Task.UNDERSTAND, Task.VIDEO), 2, "127.0.0.1", 0);
             ClusterWorker w2 = new ClusterWorker(config, "worker-i", images, m2, Set.of(Task.IMAGE), 2, "127.0.0.1", 0);
             ClusterServer front = ClusterServer.start(ServerConfig.localNoAuth(dir.resolve("front")), config)) {
            Outcome cluster = runPipeline(front.url(), clip, options);

            assertThat(cluster.end.get("status").asText()).as(cluster.end.toString()).isEqualTo("done");
            assertThat(cluster.end.get("caption").asText()).isEqualTo(single.end.get("caption").asText());
            assertThat(cluster.end.get("results").properties().stream().map(java.util.Map.Entry::getKey).toList())
                    .isEqualTo(single.end.get("results").properties().stream().map(java.util.Map.Entry::getKey).toList());
            for (String name : List.of("caption.txt", "image.png", "video.mp4")) {
                assertThat(cluster.files.get(name)).as(name).isEqualTo(single.files.get(name));
            }
            JsonNode c = cluster.end.get("result");
            JsonNode s = single.end.get("result");
            for (String field : List.of("caption/text", "caption/frames_used", "caption/generated_tokens", "image/width", "image/seed",
                    "video/frames", "video/width", "video/height", "video/seed")) {
                assertThat(c.at("/" + field)).as(field).isEqualTo(s.at("/" + field));
            }
            assertThat(c.path("timings").properties().stream().map(java.util.Map.Entry::getKey).toList())
                    .containsAll(List.of("caption", "image", "video"));
            assertThat(c.at("/image/variant").asText()).isIn("a", "b");

            // the events topic (what every front end's SSE relays) has each stage's progress and end, and one end of the job
            List<ClusterEvent> events = events(config, cluster.id);
            assertThat(events).extracting(ClusterEvent::type).contains("status", "progress", "stage", "text");
            assertThat(events.stream().filter(e -> e.type().equals("stage")).map(ClusterEvent::data).toList())
                    .anyMatch(d -> d.contains("\"stage\":\"caption\"")).anyMatch(d -> d.contains("\"stage\":\"image\""))
                    .anyMatch(d -> d.contains("\"stage\":\"video\""));
            assertThat(events.stream().filter(e -> e.type().equals("progress")).map(ClusterEvent::data).toList())
                    .anyMatch(d -> d.contains("\"stage\":\"image.")).anyMatch(d -> d.contains("\"stage\":\"video."));
            assertThat(events).filteredOn(e -> e.type().equals(ClusterEvent.FINISHED)).hasSize(1);

            // an image job on its own: the variant that ran it is in the job table and in the job and history routes, as on a single node
            HttpResponse<String> r = post(front.url() + "/api/generate/image", "{\"prompt\": \"a red car\", \"steps\": 2, \"seed\": 1}", null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            String id = JSON.readTree(r.body()).get("request_id").asText();
            JsonNode end = awaitEnd(front.url(), id, null, Duration.ofMinutes(2));
            assertThat(end.get("status").asText()).as(end.toString()).isEqualTo("done");
            String variant = end.path("variant").asText();
            assertThat(variant).isIn("a", "b");
            try (PostgresJobStore store = PostgresJobStore.open(config)) {
                assertThat(store.variantOf(id)).contains(variant);
                assertThat(store.variantOf(cluster.id)).as("a pipeline's stages name theirs").isEmpty();
            }
            JsonNode history = JSON.readTree(get(front.url() + "/api/requests?task=image", null).body());
            assertThat(history.get("requests").get(0).get("request_id").asText()).isEqualTo(id);
            assertThat(history.get("requests").get(0).get("variant").asText()).isEqualTo(variant);

            // a stage that fails fails the job, the earlier stages' results kept (a model's own rules are checked by its worker, not the front end)
            Outcome failed = runPipeline(front.url(), clip, options.replace("\"frames\": 9", "\"frames\": 10"));
            assertThat(failed.end.get("status").asText()).as(failed.end.toString()).isEqualTo("failed");
            assertThat(failed.end.get("error").asText()).startsWith("video stage: ").contains("frames");
            assertThat(failed.end.at("/result/failed_stage").asText()).isEqualTo("video");
            assertThat(failed.files).containsKeys("caption.txt", "image.png", "result.json").doesNotContainKey("video.mp4");

            // a cancel reaches the stage that runs now, on whichever worker runs it
            HttpResponse<String> slow = http.send(multipart(front.url() + "/api/pipeline/full", Files.readAllBytes(clip),
                    options.replace("\"frames\": 9, \"width\": 64, \"height\": 32, \"steps\": 2", "\"frames\": 25, \"width\": 96, \"height\": 64, \"steps\": 50")), HttpResponse.BodyHandlers.ofString());
            assertThat(slow.statusCode()).as(slow.body()).isEqualTo(202);
            String slowId = JSON.readTree(slow.body()).get("request_id").asText();
            try (PostgresJobStore store = PostgresJobStore.open(config)) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (!(store.stageOf(slowId).orElse("").equals("video") && store.runningOn("worker-cv").contains(slowId)) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(store.runningOn("worker-cv")).as("the video stage runs").contains(slowId);
            }
            HttpResponse<String> cancel = http.send(HttpRequest.newBuilder(URI.create(front.url() + "/api/requests/" + slowId)).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
            JsonNode cancelled = awaitEnd(front.url(), slowId, null, Duration.ofMinutes(1));
            assertThat(cancelled.get("status").asText()).as(cancelled.toString()).isEqualTo("cancelled");
            assertThat(cancelled.get("error").asText()).isEqualTo("video stage: cancelled");
            assertThat(cancelled.get("results").has("image.png")).isTrue();
        } finally {
            captionAndVideo.close();
            images.close();
        }
    }

    @Test
    void theFrontEndsHoldEachKeyToItsRateLimitAndItsOwnJobs() throws Exception {
        String k1 = "cluster-key-one-0123456789";
        String k2 = "cluster-key-two-0123456789";
        ServerConfig keyed = ServerConfig.localNoAuth(dir.resolve("front-keys")).withApiKeys(List.of(k1, k2)).withRateLimit(2);
        ClusterConfig config = config("shared-keys");
        List<String> ids = new ArrayList<>();
        // two front ends: the key's limit is one bucket in PostgreSQL, whichever front end a request reaches
        try (ClusterServer front = ClusterServer.start(keyed, config);
             ClusterServer second = ClusterServer.start(ServerConfig.localNoAuth(dir.resolve("front-keys-2")).withApiKeys(List.of(k1, k2)).withRateLimit(2), config)) {
            String base = front.url();
            String body = "{\"prompt\": \"a cat\", \"steps\": 2}";
            assertThat(post(base + "/api/generate/image", body, null).statusCode()).isEqualTo(401);
            for (String via : List.of(base, second.url())) {
                HttpResponse<String> r = post(via + "/api/generate/image", body, k1);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                ids.add(JSON.readTree(r.body()).get("request_id").asText());
            }
            HttpResponse<String> limited = post(base + "/api/generate/image", body, k1);
            assertThat(limited.statusCode()).as(limited.body()).isEqualTo(429);
            assertThat(JSON.readTree(limited.body()).path("error").path("code").asText()).isEqualTo("rate_limited");
            assertThat(limited.headers().firstValue("Retry-After")).isPresent();
            // another key has its own bucket, and cannot see the first key's jobs
            HttpResponse<String> other = post(base + "/api/generate/image", body, k2);
            assertThat(other.statusCode()).as(other.body()).isEqualTo(202);
            ids.add(JSON.readTree(other.body()).get("request_id").asText());
            assertThat(get(base + "/api/requests/" + ids.getFirst(), k2).statusCode()).isEqualTo(404);
            assertThat(get(base + "/api/requests/" + ids.getFirst(), k1).statusCode()).isEqualTo(200);
            JsonNode listed = JSON.readTree(get(base + "/api/requests", k2).body()).get("requests");
            assertThat(listed).hasSize(1);
            assertThat(listed.get(0).get("request_id").asText()).isEqualTo(ids.getLast());
        } finally {
            // no worker runs these: cancelled while queued, they leave nothing for the other tests' workers
            try (PostgresJobStore store = PostgresJobStore.open(config)) {
                for (String id : ids) store.requestCancel(id, java.time.Instant.now());
            }
        }
    }

    private record Outcome(String id, JsonNode end, java.util.Map<String, byte[]> files) {}

    private Outcome runPipeline(String base, Path clip, String options) throws Exception {
        HttpResponse<String> accepted = http.send(multipart(base + "/api/pipeline/full", Files.readAllBytes(clip), options), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).get("request_id").asText();
        JsonNode end = awaitEnd(base, id, null, Duration.ofMinutes(5));
        java.util.Map<String, byte[]> files = new java.util.HashMap<>();
        for (var f : end.path("results").properties()) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + f.getValue().asText())).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(f.getKey()).isEqualTo(200);
            files.put(f.getKey(), r.body());
        }
        return new Outcome(id, end, files);
    }

    private HttpRequest multipart(String url, byte[] video, String options) {
        String boundary = "----cluster" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"video\"; filename=\"clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(video);
        body.writeBytes(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n" + options + "\r\n--" + boundary + "--\r\n")
                .getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
    }

    private HttpResponse<String> post(String url, String json, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode awaitEnd(String base, String id, String key, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode n = JSON.readTree(get(base + "/api/requests/" + id, key).body());
            if (List.of("done", "failed", "cancelled").contains(n.path("status").asText())) return n;
            Thread.sleep(200);
        }
        throw new AssertionError("request " + id + " did not end within " + timeout);
    }

    /** The job's events on the events topic, from its beginning. */
    private static List<ClusterEvent> events(ClusterConfig config, String id) {
        List<ClusterEvent> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(ClusterKafka.eventsConsumer(config, "test-audit"))) {
            List<TopicPartition> parts = c.partitionsFor(ClusterKafka.EVENTS).stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            var endOffsets = c.endOffsets(parts);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (parts.stream().anyMatch(p -> c.position(p) < endOffsets.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    ClusterEvent e = ClusterEvent.parse(r.key(), r.value());
                    if (e != null && id.equals(e.jobId())) out.add(e);
                }
            }
        }
        return out;
    }

    /** Writes to two streams (the demo's lines reach the build log and the assertions). */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
