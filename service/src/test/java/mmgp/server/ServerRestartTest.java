package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jobs survive a restart on the same data directory; unfinished ones fail or are re-queued; old ones expire. */
class ServerRestartTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void finishedJobsSurviveARestartAndRunningOnesAreMarkedInterrupted() throws Exception {
        FakeModels models = new FakeModels(dir);
        ServerConfig config = TestServers.config(dir.resolve("data"));
        String done;
        String running;
        String queued;
        try (ApiServer first = TestServers.start(config, models, 8)) {
            Http http = TestServers.client(first);
            done = http.postJson("/api/generate/image", "{\"prompt\": \"kept\", \"steps\": 2, \"width\": 32, \"height\": 32}").json().get("request_id").asText();
            assertThat(http.awaitEnd(done, WAIT).get("status").asText()).isEqualTo("done");
            models.image.hold = new CountDownLatch(1);
            models.image.started = new CountDownLatch(1);
            running = http.postJson("/api/generate/image", "{\"prompt\": \"interrupted\", \"steps\": 3}").json().get("request_id").asText();
            assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
            queued = http.postJson("/api/generate/video", "{\"prompt\": \"waiting\", \"frames\": 9, \"width\": 16, \"height\": 16, \"steps\": 1}")
                    .json().get("request_id").asText();
            models.video.hold = new CountDownLatch(1); // the video stays in its queue or at its first step
        } finally {
            models.image.hold.countDown();
            models.video.hold.countDown();
        }

        models.image.hold = new CountDownLatch(0);
        Path spill = Files.writeString(dir.resolve("data/tmp/MultiPart123.tmp"), "an upload a killed server was receiving");
        try (ApiServer second = TestServers.start(config, models, 8)) {
            assertThat(spill).as("upload spill files of the previous run are cleared at start").doesNotExist();
            Http http = TestServers.client(second);
            JsonNode kept = http.get("/api/requests/" + done).json();
            assertThat(kept.get("status").asText()).isEqualTo("done");
            assertThat(kept.path("result").path("width").asInt()).isEqualTo(32);
            assertThat(http.download("/api/requests/" + done + "/result/image.png")).startsWith(new byte[] {(byte) 0x89, 'P', 'N', 'G'});

            JsonNode interrupted = http.get("/api/requests/" + running).json();
            assertThat(interrupted.get("status").asText()).isEqualTo("failed");
            assertThat(interrupted.get("error").asText()).isEqualTo("interrupted by a restart");
            // Failed when the stop cancelled it at its first step; done when it finished first or
            // was still queued (a job that never started is run again by the next start).
            assertThat(http.awaitEnd(queued, WAIT).get("status").asText()).isIn("failed", "done");
            assertThat(http.delete("/api/requests/" + running).status()).isEqualTo(409);
        }
    }

    @Test
    void requeueOnRestartRunsUnfinishedJobsAgain() throws Exception {
        FakeModels models = new FakeModels(dir);
        ServerConfig config = TestServers.config(dir.resolve("data")).withRequeueOnRestart(true);
        String image;
        String caption;
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        try (ApiServer first = TestServers.start(config, models, 8)) {
            Http http = TestServers.client(first);
            image = http.postJson("/api/generate/image", "{\"prompt\": \"again\", \"steps\": 2, \"seed\": 5}").json().get("request_id").asText();
            assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
            models.understand.hold = new CountDownLatch(1);
            caption = http.postMultipart("/api/understand/video", new java.util.LinkedHashMap<>(java.util.Map.of("file", new byte[] {1, 2}, "prompt", "what?",
                    "max_new_tokens", "3"))).json().get("request_id").asText();
        } finally {
            models.image.hold.countDown();
            models.understand.hold.countDown();
        }
        try (ApiServer second = TestServers.start(config, models, 8)) {
            Http http = TestServers.client(second);
            JsonNode again = http.awaitEnd(image, WAIT);
            assertThat(again.get("status").asText()).isEqualTo("done");
            assertThat(again.path("result").path("seed").asLong()).isEqualTo(5);
            assertThat(http.awaitEnd(caption, WAIT).get("caption").asText()).isEqualTo("a red ball");
        }
    }

    @Test
    void retentionSweepDeletesOldFinishedJobsRowsAndFiles() throws Exception {
        FakeModels models = new FakeModels(dir);
        TestServers.MovableClock clock = new TestServers.MovableClock();
        ServerConfig config = TestServers.config(dir.resolve("data")).withRetention(Duration.ofHours(24), Duration.ofHours(1));
        try (ApiServer server = ApiServer.start(config, models.builder(8), clock)) {
            Http http = TestServers.client(server);
            String old = http.postJson("/api/generate/image", "{\"prompt\": \"old\", \"steps\": 1}").json().get("request_id").asText();
            http.awaitEnd(old, WAIT);
            clock.advance(Duration.ofHours(20));
            String recent = http.postJson("/api/generate/image", "{\"prompt\": \"recent\", \"steps\": 1}").json().get("request_id").asText();
            http.awaitEnd(recent, WAIT);
            Path oldFiles = dir.resolve("data/jobs/" + old);
            assertThat(oldFiles.resolve("image.png")).exists();
            // An upload whose request was never recorded (the server died while receiving it), and
            // a recent one still being received: only the old one is the sweep's to delete.
            Path orphan = Files.createDirectories(dir.resolve("data/jobs/" + java.util.UUID.randomUUID()));
            Files.writeString(orphan.resolve("input.mp4"), "half an upload");
            Files.setLastModifiedTime(orphan, java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2025-12-31T00:00:00Z")));
            Path arriving = Files.createDirectories(dir.resolve("data/jobs/" + java.util.UUID.randomUUID()));
            Files.setLastModifiedTime(arriving, java.nio.file.attribute.FileTime.from(clock.instant()));
            // A recorded job's folder, however old, goes only with its row.
            Files.setLastModifiedTime(dir.resolve("data/jobs/" + recent), java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2025-12-31T00:00:00Z")));

            assertThat(server.sweepNow()).isZero(); // 20 h: still kept
            clock.advance(Duration.ofHours(5));
            assertThat(server.sweepNow()).isEqualTo(1);
            assertThat(http.get("/api/requests/" + old).status()).isEqualTo(404);
            assertThat(Files.exists(oldFiles)).isFalse();
            assertThat(http.get("/api/requests/" + recent).json().get("status").asText()).isEqualTo("done");
            assertThat(dir.resolve("data/jobs/" + recent + "/image.png")).exists();
            assertThat(orphan).doesNotExist();
            assertThat(arriving).exists();
        }
    }
}
