package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19: a stop drains running batches, keeps queued jobs for the next start, and a restart re-queues every accepted job. */
class GracefulShutdownTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void aRunningJobThatFinishesWithinTheDrainIsDoneAndQueuedOnesRunAfterTheRestart() throws Exception {
        FakeModels models = new FakeModels(dir);
        ServerConfig config = TestServers.config(dir.resolve("data"));
        String running;
        String queued;
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        ApiServer first = TestServers.start(config, models.builder(8).closeTimeout(Duration.ofSeconds(10)));
        try {
            Http http = TestServers.client(first);
            running = id(http.postJson("/api/generate/image", "{\"prompt\": \"finishing\", \"steps\": 3, \"width\": 16, \"height\": 16}"));
            assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
            queued = id(http.postJson("/api/generate/image", "{\"prompt\": \"waiting\", \"steps\": 3, \"width\": 32, \"height\": 32}")); // another batch key
            CompletableFuture<Void> closing = CompletableFuture.runAsync(first::close);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!first.jobs().shuttingDown() && System.nanoTime() < deadline) Thread.sleep(5);
            Http.Reply refused = http.postJson("/api/generate/image", "{\"prompt\": \"late\", \"steps\": 1}");
            assertThat(refused.status()).as("no new jobs while draining").isEqualTo(503);
            assertThat(refused.errorCode()).isEqualTo("shutting_down");
            assertThat(http.get("/api/requests/" + running).status()).as("status still answers while draining").isEqualTo(200);
            assertThat(http.get("/readyz").status()).as("not ready while draining").isEqualTo(503);
            models.image.hold.countDown(); // the running batch finishes within the drain
            closing.get(30, TimeUnit.SECONDS);
        } finally {
            models.image.hold.countDown();
            first.close();
        }
        try (ApiServer second = TestServers.start(config, models, 8)) {
            Http http = TestServers.client(second);
            assertThat(http.get("/api/requests/" + running).json().get("status").asText()).isEqualTo("done");
            JsonAssert.status(http.awaitEnd(queued, WAIT), "done"); // left queued by the stop, run by the next start
        }
    }

    @Test
    void aRunningJobThatOutlastsTheDrainIsCancelledAndReportedAsInterrupted() throws Exception {
        FakeModels models = new FakeModels(dir);
        ServerConfig config = TestServers.config(dir.resolve("data"));
        models.image.hold = new CountDownLatch(1);
        models.image.started = new CountDownLatch(1);
        String running;
        long t0;
        try (ApiServer first = TestServers.start(config, models.builder(8).closeTimeout(Duration.ofMillis(500)))) {
            Http http = TestServers.client(first);
            running = id(http.postJson("/api/generate/image", "{\"prompt\": \"stuck\", \"steps\": 3}"));
            assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
            t0 = System.nanoTime();
        } finally {
            models.image.hold.countDown();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("the stop waits the drain, then cancels").isLessThan(Duration.ofSeconds(10));
        models.image.hold = new CountDownLatch(0);
        try (ApiServer second = TestServers.start(config, models, 8)) {
            JsonAssert.status(TestServers.client(second).get("/api/requests/" + running).json(), "failed");
            assertThat(TestServers.client(second).get("/api/requests/" + running).json().get("error").asText()).isEqualTo("interrupted by a restart");
        }
    }

    @Test
    void aRestartRequeuesMoreUnfinishedJobsThanTheQueueHolds() throws Exception {
        FakeModels models = new FakeModels(dir);
        ServerConfig config = TestServers.config(dir.resolve("data")).withRequeueOnRestart(true);
        String keyId = ApiKeys.idOf(TestServers.KEY);
        List<String> ids = new ArrayList<>();
        Files.createDirectories(dir.resolve("data"));
        try (H2JobStore store = new H2JobStore(dir.resolve("data"))) {
            Instant now = Instant.now();
            for (int i = 0; i < 22; i++) {
                String id = UUID.randomUUID().toString();
                ids.add(id);
                // 22 accepted jobs a killed server left, half of them already started
                store.insert(new JobRecord(id, "image", i % 2 == 0 ? JobStatus.RUNNING : JobStatus.QUEUED, now.plusMillis(i), now.plusMillis(i),
                        "{\"prompt\": \"again " + i + "\", \"steps\": 2}", null, null, keyId, List.of()));
            }
        }
        models.image.hold = new CountDownLatch(1); // the first batch stays running, so the queue of 4 is full for the rest
        models.image.started = new CountDownLatch(1);
        try (ApiServer second = TestServers.start(config, models, 4)) {
            Http http = TestServers.client(second);
            assertThat(models.image.started.await(10, TimeUnit.SECONDS)).isTrue();
            for (String id : ids) {
                assertThat(http.get("/api/requests/" + id).json().get("status").asText()).as(id).isIn("queued", "running");
            }
            models.image.hold.countDown();
            for (String id : ids) JsonAssert.status(http.awaitEnd(id, WAIT), "done");
            assertThat(second.jobs().awaitRecovery(WAIT)).isTrue();
        } finally {
            models.image.hold.countDown();
        }
    }

    @Test
    void aRecoveredJobStillWaitingForRoomCanBeCancelled() throws Exception {
        FakeModels models = new FakeModels(dir);
        ServerConfig config = TestServers.config(dir.resolve("data"));
        String keyId = ApiKeys.idOf(TestServers.KEY);
        List<String> ids = new ArrayList<>();
        Files.createDirectories(dir.resolve("data"));
        try (H2JobStore store = new H2JobStore(dir.resolve("data"))) {
            Instant now = Instant.now();
            for (int i = 0; i < 6; i++) {
                String id = UUID.randomUUID().toString();
                ids.add(id);
                store.insert(new JobRecord(id, "image", JobStatus.QUEUED, now.plusMillis(i), now.plusMillis(i),
                        "{\"prompt\": \"p" + i + "\", \"steps\": 2, \"width\": " + (16 * (i + 1)) + "}", null, null, keyId, List.of()));
            }
        }
        models.image.hold = new CountDownLatch(1);
        try (ApiServer second = TestServers.start(config, models, 1)) {
            Http http = TestServers.client(second);
            String last = ids.getLast(); // one runs, one waits in the queue of 1, the rest wait for room
            assertThat(http.get("/api/requests/" + last).json().get("status").asText()).isEqualTo("queued");
            assertThat(http.delete("/api/requests/" + last).status()).isEqualTo(202);
            assertThat(http.get("/api/requests/" + last).json().get("status").asText()).isEqualTo("cancelled");
            models.image.hold.countDown();
            for (String id : ids.subList(0, ids.size() - 1)) JsonAssert.status(http.awaitEnd(id, WAIT), "done");
            assertThat(second.jobs().awaitRecovery(WAIT)).isTrue();
            JsonAssert.status(http.get("/api/requests/" + last).json(), "cancelled");
        } finally {
            models.image.hold.countDown();
        }
    }

    private static String id(Http.Reply r) {
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().get("request_id").asText();
    }

    /** Status assertions that show the whole description when they fail. */
    private static final class JsonAssert {
        static void status(com.fasterxml.jackson.databind.JsonNode n, String expected) {
            assertThat(n.get("status").asText()).as(n.toString()).isEqualTo(expected);
        }
    }
}
