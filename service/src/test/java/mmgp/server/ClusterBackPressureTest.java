package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.Task;
import mmgp.cluster.ClusterConfig;
import org.junit.jupiter.api.Test;

/** A cluster front end refuses a task whose lag reached lag.bound with 429 before touching the database or Kafka. */
class ClusterBackPressureTest {
    @Test
    void aTaskAtItsLagBoundIsRefusedWith429() {
        ClusterConfig config = new ClusterConfig("127.0.0.1:9092", "jdbc:postgresql://127.0.0.1/mmgp", "mmgp", "", Path.of("/tmp/unused"),
                4, 64, 3, Duration.ofSeconds(10));
        ObjectMapper json = new ObjectMapper();
        try (Metrics metrics = new Metrics()) {
            ClusterJobService jobs = new ClusterJobService(config, null, null, t -> t == Task.IMAGE ? 64 : 0, null,
                    new RequestParser(json, RequestLimits.defaults()), metrics, json);
            assertThatThrownBy(() -> jobs.submitImage("00000000-0000-0000-0000-000000000001", new ImageRequest("a cat", ImageOptions.defaults()), "k"))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(429);
                        assertThat(e.code()).isEqualTo("queue_full");
                        assertThat(e.retryAfterSeconds()).isPositive();
                        assertThat(e.getMessage()).contains("image queue holds 64 jobs (bound 64)");
                    });
            assertThat(metrics.scrape()).contains("outcome=\"overloaded\"");
        }
    }

    @Test
    void aPipelineIsRefusedWhenAnyOfItsStagesQueuesIsFull(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        ClusterConfig config = new ClusterConfig("127.0.0.1:9092", "jdbc:postgresql://127.0.0.1/mmgp", "mmgp", "", dir,
                4, 64, 3, Duration.ofSeconds(10));
        ObjectMapper json = new ObjectMapper();
        Path video = java.nio.file.Files.writeString(dir.resolve("input.mp4"), "not read here");
        try (Metrics metrics = new Metrics()) {
            // the caption's queue is empty, the video stage's is full: the job would wait there
            ClusterJobService jobs = new ClusterJobService(config, null, null, t -> t == Task.VIDEO ? 64 : 0, null,
                    new RequestParser(json, RequestLimits.defaults()), metrics, json);
            assertThatThrownBy(() -> jobs.submitPipeline("00000000-0000-0000-0000-000000000002", video, mmgp.api.PipelineOptions.defaults(), "k"))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(429);
                        assertThat(e.getMessage()).contains("video queue holds 64 jobs");
                    });
        }
    }
}
