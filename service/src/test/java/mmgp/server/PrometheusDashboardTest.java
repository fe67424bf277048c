package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import mmgp.api.Task;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/: Debian's Prometheus scrapes a running server with the shipped scrape configuration (its
 * authorization block enabled, as for {@code serve --metrics-auth}), and every expression of the
 * Grafana dashboard (panels and template variables) is a valid query that returns series.
 * Skipped only where no {@code prometheus} binary is installed (CI installs Debian's).
 */
class PrometheusDashboardTest {
    private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void prometheusScrapesTheServerAndEveryDashboardExpressionReturnsSeries() throws Exception {
        Optional<Path> prometheus = binary("prometheus");
        Assumptions.assumeTrue(prometheus.isPresent(),
                "no prometheus binary (/usr/bin/prometheus or on PATH): install Debian's (apt-get install prometheus) to check deploy/; skipped");
        Path config = DEPLOY.resolve("prometheus/prometheus.yml");
        JsonNode dashboard = JSON.readTree(DEPLOY.resolve("grafana/mmgp-dashboard.json").toFile());
        Map<String, String> expressions = expressions(dashboard);
        assertThat(expressions).hasSizeGreaterThan(10);
        Optional<Path> promtool = binary("promtool");
        if (promtool.isPresent()) assertThat(run(promtool.get().toString(), "check", "config", config.toString())).contains("SUCCESS");

        FakeModels models = new FakeModels(dir);
        Path a = Files.writeString(dir.resolve("fakeimage-a.gguf"), "fake");
        Path b = Files.writeString(dir.resolve("fakeimage-b.gguf"), "fake");
        var engine = models.builder(64).variant(Task.IMAGE, "amused-256", a, 70).variant(Task.IMAGE, "amused-512", b, 30).variantSeed(3);
        try (ApiServer server = TestServers.start(TestServers.config(dir.resolve("data")).withMetricsNeedAuth(true), engine)) {
            traffic(TestServers.client(server));
            int port = freePort();
            Path yml = dir.resolve("prometheus.yml");
            Files.writeString(yml, scrapeConfigFor(Files.readString(config), URI.create(server.url())));
            Process p = new ProcessBuilder(prometheus.get().toString(), "--config.file=" + yml, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                String base = "http://127.0.0.1:" + port;
                // Enough scrapes (1 s apart) that rate() over 30 s has its two samples.
                JsonNode up = awaitSeries(base, "count_over_time(up{job=\"mmgp\"}[30s]) >= 4", Duration.ofSeconds(60), p);
                assertThat(query(base, "up{job=\"mmgp\"}").get(0).path("value").get(1).asText()).as("the scrape succeeds (with the API key)").isEqualTo("1");
                assertThat(up).isNotEmpty();
                traffic(TestServers.client(server)); // a second round, so rates and increases are positive
                Thread.sleep(3000); // two more scrapes
                List<String> failures = new ArrayList<>();
                expressions.forEach((where, expr) -> {
                    String promql = substitute(expr);
                    try {
                        JsonNode result = query(base, promql);
                        if (result.isEmpty()) failures.add(where + ": no series for " + promql);
                    } catch (IllegalStateException e) {
                        failures.add(where + ": " + e.getMessage());
                    }
                });
                assertThat(failures).as("dashboard expressions; Prometheus log:\n" + log()).isEmpty();

                // The A/B panel sees both variants, shares adding up to 1.
                JsonNode shares = query(base, substitute(expressions.get("panel \"Share of each variant over the range\" A")).replace("task=~\".*\"", "task=\"image\""));
                Map<String, Double> byVariant = new LinkedHashMap<>();
                shares.forEach(s -> byVariant.put(s.path("metric").path("variant").asText(), s.path("value").get(1).asDouble()));
                assertThat(byVariant.keySet()).containsExactlyInAnyOrder("amused-256", "amused-512");
                assertThat(byVariant.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
            } finally {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            }
        }
    }

    /** Jobs of every task (and one rejected), so each panel's metrics exist. */
    private static void traffic(Http http) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(accepted(http.postJson("/api/generate/image", "{\"prompt\": \"p" + i + "\", \"steps\": 2, \"seed\": " + i + "}")));
        }
        ids.add(accepted(http.postJson("/api/generate/video", "{\"prompt\": \"waves\", \"frames\": 9, \"width\": 32, \"height\": 32, \"steps\": 2}")));
        ids.add(accepted(http.postMultipart("/api/understand/video", Map.of("file", "not really a video".getBytes(StandardCharsets.UTF_8),
                "prompt", "What happens?", "max_new_tokens", "4"))));
        assertThat(http.postJson("/api/generate/image", "{\"prompt\": \"bad\", \"width\": 33}").status()).isEqualTo(400);
        for (String id : ids) assertThat(http.awaitEnd(id, Duration.ofSeconds(30)).get("status").asText()).isEqualTo("done");
    }

    private static String accepted(Http.Reply r) {
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().get("request_id").asText();
    }

    /** The shipped scrape configuration, aimed at this server, scraping every second, its authorization block enabled. */
    private String scrapeConfigFor(String shipped, URI server) throws IOException {
        Path keyFile = Files.writeString(dir.resolve("api-key"), TestServers.KEY);
        String auth = "    # authorization:\n    #   type: Bearer\n    #   credentials_file: /etc/prometheus/mmgp-api-key\n";
        assertThat(shipped).contains(auth).contains("scrape_interval: 15s").contains("\"127.0.0.1:8080\"");
        return shipped.replace(auth, auth.replace("    # ", "    ").replace("/etc/prometheus/mmgp-api-key", keyFile.toString()))
                .replace("scrape_interval: 15s", "scrape_interval: 1s")
                .replace("\"127.0.0.1:8080\"", "\"" + server.getHost() + ":" + server.getPort() + "\"");
    }

    /** Every query of the dashboard by where it is: panel targets (rows' nested panels too) and template variables. */
    static Map<String, String> expressions(JsonNode dashboard) {
        Map<String, String> out = new LinkedHashMap<>();
        List<JsonNode> panels = new ArrayList<>();
        dashboard.path("panels").forEach(p -> {
            panels.add(p);
            p.path("panels").forEach(panels::add);
        });
        for (JsonNode p : panels) {
            for (JsonNode t : p.path("targets")) {
                String key = "panel \"" + p.path("title").asText() + "\" " + t.path("refId").asText();
                assertThat(out.put(key, t.path("expr").asText())).as("one expression per panel and refId: " + key).isNull();
            }
        }
        Pattern labelValues = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)");
        for (JsonNode v : dashboard.path("templating").path("list")) {
            if (!v.path("type").asText().equals("query")) continue;
            String q = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
            Matcher m = labelValues.matcher(q);
            assertThat(m.matches()).as("variable " + v.path("name").asText() + " is label_values(selector, label): " + q).isTrue();
            out.put("variable " + v.path("name").asText(), "count by (" + m.group(2) + ") (" + m.group(1) + ")");
        }
        return out;
    }

    /** Grafana's variables as "All" and the built-in intervals as a test-sized window. */
    static String substitute(String expr) {
        String s = expr.replace("$__rate_interval", "30s").replace("$__range", "1m").replace("$__interval", "5s");
        s = s.replaceAll("\\$\\{?(instance|task)}?", ".*");
        assertThat(s).as("no Grafana variable left in " + expr).doesNotContain("$");
        return s;
    }

    private JsonNode awaitSeries(String base, String promql, Duration timeout, Process prometheus) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            assertThat(prometheus.isAlive()).as("prometheus exited:\n" + log()).isTrue();
            try {
                JsonNode r = query(base, promql);
                if (!r.isEmpty()) return r;
                last = "no series";
            } catch (IllegalStateException e) {
                last = e.toString(); // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no series for " + promql + " within " + timeout + " (" + last + "); targets: "
                + get(base + "/api/v1/targets") + "\nPrometheus log:\n" + log());
    }

    /** The result of an instant query; IllegalStateException with Prometheus's error when it is not a valid query. */
    private JsonNode query(String base, String promql) {
        String body;
        try {
            body = get(base + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e.toString(), e);
        }
        JsonNode r;
        try {
            r = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + body);
        }
        if (!r.path("status").asText().equals("success")) throw new IllegalStateException(r.path("errorType").asText() + ": " + r.path("error").asText());
        return r.path("data").path("result");
    }

    private String get(String url) throws IOException {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static Optional<Path> binary(String name) {
        Path debian = Path.of("/usr/bin", name);
        if (Files.isExecutable(debian)) return Optional.of(debian);
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst();
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
