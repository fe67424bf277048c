package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import mmgp.api.InvalidRequestException;
import mmgp.api.PipelineOptions;
import mmgp.api.UnderstandResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a cluster worker and front end do around a pipeline's stages without Kafka or PostgreSQL: files, refusals, errors. */
class ClusterStagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "00000000-0000-0000-0000-0000000000a1";

    @TempDir
    Path dir;

    private JobRecord pipelineRow(PipelineOptions o) {
        RequestParser parser = new RequestParser(JSON, RequestLimits.defaults());
        String request = StoredRequests.pipeline(JSON, parser, dir.resolve("input.mp4"), o).toString();
        Instant now = Instant.now();
        return new JobRecord(ID, "pipeline", JobStatus.RUNNING, now, now, request, null, null, "k", List.of());
    }

    @Test
    void aStartImageRefusedThroughTheResultFilmsFromNoiseAsTheSingleNodeDoes() throws Exception {
        StoredRequests requests = new StoredRequests(JSON, new ResultFiles(dir, JSON));
        JobRecord row = pipelineRow(PipelineOptions.defaults());
        Throwable refused = new CompletionException(new InvalidRequestException("image", "this model cannot start from an image"));
        assertThat(requests.refusedStartImage(row, "video", refused)).isTrue();
        // only the video stage's refusal of its image, and only when it was to start from one
        assertThat(requests.refusedStartImage(row, "image", refused)).isFalse();
        assertThat(requests.refusedStartImage(row, "video", new CompletionException(new InvalidRequestException("frames", "must be 8n+1")))).isFalse();
        assertThat(requests.refusedStartImage(row, "video", new IllegalStateException("out of memory"))).isFalse();
        assertThat(requests.refusedStartImage(pipelineRow(PipelineOptions.defaults().withVideoFromImage(false)), "video", refused)).isFalse();
    }

    @Test
    void stageErrorsLoseTheServersPathsAsOnASingleNode() throws Exception {
        StoredRequests requests = new StoredRequests(JSON, new ResultFiles(dir, JSON));
        String error = "cannot decode " + dir.toAbsolutePath().resolve("jobs").resolve(ID).resolve("input.mp4") + ": truncated";
        assertThat(requests.scrub(error)).isEqualTo("cannot decode input.mp4: truncated");
    }

    @Test
    void resultFilesAreReplacedWholeWithNoTemporaryFileLeft() throws Exception {
        ResultFiles files = new ResultFiles(dir, JSON);
        UnderstandResult first = new UnderstandResult("a cat", 12, 2, 4, 0.01, 100.0, "end_of_utterance", null, 1);
        UnderstandResult second = new UnderstandResult("a dog on a sofa", 12, 4, 4, 0.01, 100.0, "end_of_utterance", null, 1);
        files.write(ID, first, files.summarize(first));
        List<String> names = files.write(ID, second, files.summarize(second));
        assertThat(names).containsExactly(ResultFiles.CAPTION, ResultFiles.RESULT);
        assertThat(Files.readString(files.jobDir(ID).resolve(ResultFiles.CAPTION))).isEqualTo("a dog on a sofa");
        try (Stream<Path> all = Files.list(files.jobDir(ID))) {
            assertThat(all.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(ResultFiles.CAPTION, ResultFiles.RESULT);
        }
    }

    @Test
    void aFrontEndRefusesAPipelineWhoseVideoIsMissingByTheFieldsName() {
        assertThatThrownBy(() -> ClusterJobService.checkPipeline(dir.resolve("gone.mp4"), PipelineOptions.defaults()))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("video"));
    }

    @Test
    void anUnreachableRateLimitStoreAnswers503WithRetryAfterAndAJsonError() throws Exception {
        ServerConfig config = ServerConfig.localNoAuth(dir).withRateLimit(60);
        RateLimiter limiter = new RateLimiter(60, ClusterServer.sharedBuckets((key, perMinute, n) -> {
            throw new JobStore.JobStoreException(new SQLException("Connection to 127.0.0.1:5432 refused"));
        }));
        Javalin app = ApiServer.createApp(config, JSON, new Metrics(), null, new ResultFiles(dir, JSON), new RequestParser(JSON, config.limits()),
                new OpsRoutes(ctx -> ctx.result("ok"), new Metrics(), JSON), HttpGuards.defaults(), limiter);
        app.start("127.0.0.1", 0);
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/api/generate/image"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a cat\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).contains("5");
            assertThat(JSON.readTree(r.body()).path("error").path("code").asText()).isEqualTo("store_unavailable");
        } finally {
            app.stop();
        }
    }
}
