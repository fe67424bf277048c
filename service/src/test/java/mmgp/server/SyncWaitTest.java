package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** ?wait=SECONDS on the native submissions, and POST /api/understand telling images from videos. */
class SyncWaitTest extends FakeServer {
    /** A 4×4 PNG. */
    private static final byte[] PNG = Base64.getDecoder().decode("iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGM4IScHRwzEcQCxYxBBO0tjggAAAABJRU5ErkJggg==");

    @Test
    void waitAnswersTheFinishedJobAsItsStatusRouteDoes() {
        Http.Reply r = http.postJson("/api/generate/image?wait=20", "{\"prompt\": \"a red square\", \"steps\": 2, \"width\": 16, \"height\": 16}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode job = r.json();
        String id = job.get("request_id").asText();
        assertThat(job.get("status").asText()).isEqualTo("done");
        assertThat(job.get("results").get("image.png").asText()).isEqualTo("/api/requests/" + id + "/result/image.png");
        assertThat(job).isEqualTo(http.get("/api/requests/" + id).json());

        Http.Reply video = http.postJson("/api/generate/video?wait=20", "{\"prompt\": \"waves\", \"frames\": 9, \"width\": 32, \"height\": 16, \"steps\": 1}");
        assertThat(video.status()).as(video.body()).isEqualTo(200);
        assertThat(video.json().get("status").asText()).isEqualTo("done");
    }

    @Test
    void aJobStillRunningWhenTheWaitEndsGetsTheUsual202() {
        models.image.hold = new CountDownLatch(1);
        long t0 = System.nanoTime();
        Http.Reply r = http.postJson("/api/generate/image?wait=1", "{\"prompt\": \"x\", \"steps\": 3}");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().fieldNames()).toIterable().containsExactly("request_id");
        assertThat(millis).isGreaterThanOrEqualTo(900L); // it did wait (how much longer depends on the machine)
        models.image.hold.countDown();
        assertThat(http.awaitEnd(r.json().get("request_id").asText(), Duration.ofSeconds(20)).get("status").asText()).isEqualTo("done");

        // a failed job is a finished one: 200 with its error
        Http.Reply failed = http.postJson("/api/generate/image?wait=20", "{\"prompt\": \"explode\", \"steps\": 1}");
        assertThat(failed.status()).isEqualTo(200);
        assertThat(failed.json().get("status").asText()).isEqualTo("failed");
        assertThat(failed.json().get("error").asText()).contains("exploded");
    }

    @Test
    void aWaitHoldsNoHttpThreadAndWaitsBeyondTheCapAre503() throws Exception {
        models.image.hold = new CountDownLatch(1);
        String body = "{\"prompt\": \"x\", \"steps\": 3, \"width\": 16, \"height\": 16}";
        Http.Reply first;
        String unwaited;
        try (AutoCloseable cap = JobWaiter.limitForTests(1)) {
            CompletableFuture<Http.Reply> waiting = CompletableFuture.supplyAsync(() -> http.postJson("/api/generate/image?wait=60", body));
            assertThat(models.image.started.await(20, TimeUnit.SECONDS)).isTrue();
            assertNoThreadWaits(); // the wait is a future, not a blocked HTTP thread

            Http.Reply second = http.postJson("/api/generate/image?wait=5", body);
            assertThat(second.status()).as(second.body()).isEqualTo(503);
            assertThat(second.header("Retry-After")).isNotNull();
            assertThat(second.json().get("error").get("code").asText()).isEqualTo("too_many_waiters");
            // the /v1 routes wait too: refused alike, in OpenAI's shape, and the client may try again
            Http.Reply v1 = http.postJson("/v1/images/generations", "{\"prompt\": \"x\", \"size\": \"16x16\"}");
            assertThat(v1.status()).isEqualTo(503);
            OpenAiApiTest.assertOpenAiError(v1.json(), "server_error", "too_many_waiters", null);
            assertThat(v1.header("x-should-retry")).isNull();
            // a submission that does not wait is not counted
            Http.Reply plain = http.postJson("/api/generate/image", body);
            assertThat(plain.status()).isEqualTo(202);
            unwaited = plain.json().get("request_id").asText();

            models.image.hold.countDown();
            first = waiting.get(30, TimeUnit.SECONDS);
        }
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().get("status").asText()).isEqualTo("done");
        http.awaitEnd(unwaited, Duration.ofSeconds(20));
        assertThat(OpenAiApiTest.imagesDone(server)).isEqualTo(2); // the refused requests submitted nothing
    }

    /** Fails unless, within 5 s, no platform thread (an HTTP handler's) is inside a wait. */
    static void assertNoThreadWaits() throws InterruptedException {
        Set<String> waiting = Set.of(SyncWait.class.getName(), JobWaiter.class.getName(), OpenAiRoutes.class.getName(), OpenAiChat.class.getName());
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<String> found;
        do {
            found = new ArrayList<>();
            for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
                for (StackTraceElement f : t.getValue()) {
                    if (waiting.contains(f.getClassName())) {
                        found.add(t.getKey().getName() + " in " + f);
                        break;
                    }
                }
            }
            if (found.isEmpty()) return;
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        assertThat(found).as("threads held by a wait").isEmpty();
    }

    @Test
    void anUploadWhoseBodyIsStillArrivingHoldsNoWaitSlot() throws Exception {
        try (AutoCloseable cap = JobWaiter.limitForTests(1)) {
            java.net.URI u = java.net.URI.create(server.url());
            try (java.net.Socket upload = new java.net.Socket(u.getHost(), u.getPort())) {
                String part = "--stall\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n" + "v".repeat(200);
                String head = "POST /api/understand?wait=30 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestServers.KEY + "\r\nContent-Type: multipart/form-data; boundary=stall\r\n"
                        + "Content-Length: " + part.length() * 2 + "\r\n\r\n";
                upload.getOutputStream().write((head + part).getBytes(StandardCharsets.UTF_8));
                upload.getOutputStream().flush();
                Thread.sleep(500); // its handler now waits for the rest of the body
                Http.Reply r = http.postJson("/api/generate/image?wait=20", "{\"prompt\": \"x\", \"steps\": 1, \"width\": 16, \"height\": 16}");
                assertThat(r.status()).as(r.body()).isEqualTo(200);
            }
        }
    }

    @Test
    void badWaitsAreRefusedBeforeAnythingIsSubmitted() {
        for (String bad : new String[] {"abc", "-1", Long.toString(JobWaiter.MAX_WAIT.toSeconds() + 1), "1.5", ""}) {
            Http.Reply r = http.postJson("/api/generate/image?wait=" + bad, "{\"prompt\": \"x\", \"steps\": 1}");
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.errorField()).isEqualTo("wait");
        }
        // one good request after them: when it is done, any job they had submitted would be too
        assertThat(http.postJson("/api/generate/image?wait=20", "{\"prompt\": \"x\", \"steps\": 1}").status()).isEqualTo(200);
        assertThat(OpenAiApiTest.imagesDone(server)).isEqualTo(1);
    }

    @Test
    void understandTakesAnImageOrAVideoToldApartByItsBytes() throws Exception {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("file", PNG); // sent as clip.mp4: the name does not decide
        form.put("prompt", "What is this?");
        form.put("max_new_tokens", "3");
        Http.Reply image = http.postMultipart("/api/understand?wait=20", form);
        assertThat(image.status()).as(image.body()).isEqualTo(200);
        assertThat(image.json().get("caption").asText()).isEqualTo("a red ball");
        assertThat(storedMedia(image)).isEqualTo("image");

        form.put("file", "not really a video".getBytes(StandardCharsets.UTF_8));
        Http.Reply video = http.postMultipart("/api/understand?wait=20", form);
        assertThat(video.status()).as(video.body()).isEqualTo(200);
        assertThat(storedMedia(video)).isEqualTo("video");

        // the old route reads images too, rather than failing on "0 frames"
        form.put("file", PNG);
        Http.Reply old = http.postMultipart("/api/understand/video", form);
        assertThat(old.status()).as(old.body()).isEqualTo(202);
        assertThat(storedMedia(old)).isEqualTo("image");
    }

    private String storedMedia(Http.Reply r) throws Exception {
        String id = r.json().get("request_id").asText();
        return Http.JSON.readTree(server.jobs().record(id).requestJson()).get("media").asText();
    }
}
