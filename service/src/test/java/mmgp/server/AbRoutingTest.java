package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.Task;
import mmgp.engine.Engine;
import mmgp.engine.Job;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A/B routing: two variants of one task share its requests by weight; each job and its metrics name the variant. */
class AbRoutingTest {
    @TempDir
    Path dir;

    @Test
    void ninetyTenSplitsWithinFiveSigmaAndASeedRepeatsTheDraws() throws Exception {
        FakeModels models = new FakeModels(dir);
        models.image.stepMillis = 0;
        int n = 400;
        List<String> first = drawVariants(models.imageVariants(42, "big", 90, "small", 10).build(), n);
        long big = first.stream().filter("big"::equals).count();
        double sigma = Math.sqrt(n * 0.9 * 0.1); // 6
        assertThat((double) big).isBetween(0.9 * n - 5 * sigma, 0.9 * n + 5 * sigma);
        assertThat(first).containsOnly("big", "small");
        assertThat(drawVariants(models.imageVariants(42, "big", 90, "small", 10).build(), n)).isEqualTo(first);
    }

    private static List<String> drawVariants(Engine engine, int n) throws Exception {
        try (engine) {
            assertThat(engine.variants(Task.IMAGE)).containsExactly("big", "small");
            List<Job<?>> jobs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                jobs.add(engine.generateImage(new ImageRequest("p" + i, ImageOptions.defaults().withSteps(1).withSeed(i)), null));
            }
            for (Job<?> j : jobs) j.result().get();
            return jobs.stream().map(Job::variant).toList();
        }
    }

    @Test
    void eachJobNamesItsVariantAndTheCountersCarryIt() throws Exception {
        FakeModels models = new FakeModels(dir);
        models.image.stepMillis = 0;
        try (ApiServer server = ApiServer.start(TestServers.config(dir.resolve("data")), models.imageVariants(7, "amused-256", 50, "amused-512", 50))) {
            Http http = TestServers.client(server);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Http.Reply r = http.postJson("/api/generate/image", "{\"prompt\": \"ab " + i + "\", \"steps\": 1, \"seed\": " + i + "}");
                assertThat(r.status()).as(r.body()).isEqualTo(202);
                ids.add(r.json().get("request_id").asText());
            }
            Map<String, Integer> perVariant = new TreeMap<>();
            for (String id : ids) {
                JsonNode end = http.awaitEnd(id, Duration.ofSeconds(20));
                assertThat(end.get("status").asText()).isEqualTo("done");
                perVariant.merge(end.get("variant").asText(), 1, Integer::sum);
            }
            assertThat(perVariant.keySet()).containsExactly("amused-256", "amused-512");
            assertThat(perVariant.values()).allSatisfy(c -> assertThat(c).isBetween(8, 32)); // 20 ± 3.8σ
            String metrics = http.get("/metrics").body();
            perVariant.forEach((variant, count) -> {
                assertThat(metrics).contains("mmgp_requests_total{outcome=\"done\",task=\"image\",variant=\"" + variant + "\"} " + (double) count);
                assertThat(metrics).contains("mmgp_request_duration_seconds_count{task=\"image\",variant=\"" + variant + "\"} " + count);
            });
        }
    }

    @Test
    void serveNamesWhatIsWrongWithAnAbSpec() {
        assertThat(serve("--ab", "image=amused-256")).contains("each model needs a weight");
        assertThat(serve("--ab", "picture=a:1,b:1")).contains("unknown task picture");
        assertThat(serve("--ab", "image=/nowhere/a.gguf:1,/nowhere/b.gguf:1")).contains("no such model file or folder: /nowhere/a.gguf");
        assertThat(serve("--ab", "image=" + dir + "/m.gguf:x,b:1")).contains("weight of " + dir + "/m.gguf is not a number");
        assertThat(serve("--ab", "image=not-installed:1,other:1")).contains("no model 'not-installed' is installed");
        assertThat(serve("--ab", "image=" + dir + ":1")).contains("names one model");
    }

    private String serve(String... ab) {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            List<String> args = new ArrayList<>(List.of("serve", "--api-key", "k-123", "--port", "0", "--models", dir.resolve("registry").toString(),
                    "--data-dir", dir.resolve("d").toString()));
            args.addAll(List.of(ab));
            assertThat(mmgp.cli.Main.run(args.toArray(String[]::new))).isEqualTo(1);
        } finally {
            System.setErr(saved);
        }
        return captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void variantsAreCheckedWhenConfigured() {
        FakeModels models = new FakeModels(dir);
        Path model = dir.resolve("fakeimage.gguf");
        assertThatThrownBy(() -> models.imageVariants(1, "a", 1, "a", 1)).hasMessageContaining("variant a is given twice");
        assertThatThrownBy(() -> Engine.builder().variant(Task.IMAGE, "a b", model, 1)).hasMessageContaining("variant name");
        assertThatThrownBy(() -> models.imageVariants(1, "a", 0, "b", 1)).hasMessageContaining("weight must be positive");
    }
}
