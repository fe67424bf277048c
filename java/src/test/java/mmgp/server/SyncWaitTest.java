package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ?wait=SECONDS on the native submissions, and POST /api/understand telling images from videos. */
class SyncWaitTest {
    /** A 4×4 PNG. */
    private static final byte[] PNG = Base64.getDecoder().decode("iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGM4IScHRwzEcQCxYxBBO0tjggAAAABJRU5ErkJggg==");

    @TempDir
    Path dir;
    FakeModels models;
    ApiServer server;
    Http http;

    @BeforeEach
    void start() throws Exception {
        models = new FakeModels(dir);
        server = TestServers.start(TestServers.config(dir.resolve("data")), models, 8);
        http = TestServers.client(server);
    }

    @AfterEach
    void stop() {
        models.image.hold.countDown();
        models.understand.hold.countDown();
        server.close();
    }

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
        assertThat(millis).isBetween(900L, 10_000L);
        models.image.hold.countDown();
        assertThat(http.awaitEnd(r.json().get("request_id").asText(), java.time.Duration.ofSeconds(20)).get("status").asText()).isEqualTo("done");

        // a failed job is a finished one: 200 with its error
        Http.Reply failed = http.postJson("/api/generate/image?wait=20", "{\"prompt\": \"explode\", \"steps\": 1}");
        assertThat(failed.status()).isEqualTo(200);
        assertThat(failed.json().get("status").asText()).isEqualTo("failed");
        assertThat(failed.json().get("error").asText()).contains("exploded");
    }

    @Test
    void badWaitsAreRefusedBeforeAnythingIsSubmitted() {
        for (String bad : new String[] {"abc", "-1", "301", "1.5", ""}) {
            Http.Reply r = http.postJson("/api/generate/image?wait=" + bad, "{\"prompt\": \"x\", \"steps\": 1}");
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.errorField()).isEqualTo("wait");
        }
        assertThat(server.metrics().scrape()).doesNotContain("task=\"image\",status=\"done\"");
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
