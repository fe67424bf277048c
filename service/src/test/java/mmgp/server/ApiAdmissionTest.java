package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Admission by cost over HTTP: a request whose run cannot fit the memory budget or the compute
 * limit, or that is larger than the model's native size, is refused at submit in the JSON error
 * shape naming the limit and the estimate; it never becomes a job.
 */
class ApiAdmissionTest extends LoadedFakeServer {
    @Override
    ApiServer start(Path dir, FakeModels models) throws Exception {
        // The defaults of mmgp serve: sizes left to the engine (native), a budget and a compute limit.
        ServerConfig config = TestServers.config(dir.resolve("data")).withLimits(RequestLimits.defaults());
        return ApiServer.start(config, models.builder(8).memoryBudget(6L << 30).maxRequestSeconds(600).computeRate(1e12).maxSize(0, 0));
    }

    @Test
    void theLargestVideoTheLimitsAllowIsRefusedNamingTheMemoryBudget() {
        // frames at --max-frames (121); sizes above the native 512 would be refused for the size first, so configure them up
        Http.Reply r = http.postJson("/api/generate/video", "{\"prompt\": \"x\", \"frames\": 121, \"width\": 512, \"height\": 512, \"steps\": 1}");
        assertThat(r.status()).as(r.body()).isEqualTo(202); // 512²·121·64 B = 1.9 GiB fits
        Http.Reply big = bigServerPost("{\"prompt\": \"x\", \"frames\": 121, \"width\": 1024, \"height\": 1024, \"steps\": 1}");
        assertThat(big.status()).as(big.body()).isEqualTo(413);
        assertThat(big.json().path("error").path("code").asText()).isEqualTo("over_budget");
        assertThat(big.json().path("error").path("message").asText())
                .isEqualTo("this 1024×1024×121 video needs about 7.6 GiB, over the memory budget of 6 GiB (--memory-budget)");
    }

    @Test
    void aRequestOverTheComputeLimitIsRefusedNamingIt() {
        // 512²·121 voxels · 50 steps · 10⁶ FLOPs = 1.6·10¹⁸ at 10¹² FLOP/s: 1586 s, over 600 s
        Http.Reply r = http.postJson("/api/generate/video", "{\"prompt\": \"x\", \"frames\": 121, \"width\": 512, \"height\": 512, \"steps\": 50}");
        assertThat(r.status()).as(r.body()).isEqualTo(413);
        assertThat(r.json().path("error").path("message").asText())
                .isEqualTo("this 512×512×121 video needs about 26 min of compute, over the compute limit per request of 10 min (--max-request-seconds)");
    }

    @Test
    void sizesDefaultToTheModelsNativeSize() {
        Http.Reply r = http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"width\": 1024, \"height\": 1024}");
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.errorField()).isEqualTo("width");
        assertThat(r.json().path("error").path("message").asText()).contains("width 1024 is above the model's native size of 256");
        assertThat(http.postJson("/api/generate/image", "{\"prompt\": \"x\", \"width\": 256, \"height\": 256}").status()).isEqualTo(202);
    }

    /** A second server whose sizes are configured up to 1024 (--max-width/--max-height), so only the budget can refuse. */
    private Http.Reply bigServerPost(String body) {
        try {
            Path dir = java.nio.file.Files.createTempDirectory("mmgp-admission");
            FakeModels fakes = new FakeModels(dir);
            ServerConfig config = TestServers.config(dir.resolve("data")).withLimits(new RequestLimits(121, 1024, 1024, 50, 512));
            ApiServer big = ApiServer.start(config, fakes.builder(8).memoryBudget(6L << 30).maxSize(1024, 1024));
            try {
                Http client = TestServers.client(big);
                assertThat(client.get("/readyz?load=true").status()).isEqualTo(200);
                return client.postJson("/api/generate/video", body);
            } finally {
                big.close();
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
