package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50 clients hammer a server whose image queue holds 4 requests, for mmgp.loadTestSeconds
 * (default 30): every accepted job must reach a final state, and overload must show as 429s,
 * never as 5xx or timeouts. A client that gets a 429 waits 50 ms (less than Retry-After on
 * purpose, to keep the queue under pressure) and tries again.
 */
class ServerLoadTest {
    private static final int CLIENTS = 50;

    @Test
    void overloadIsRefusedWith429AndNoAcceptedJobIsLost(@TempDir Path dir) throws Exception {
        int seconds = Integer.getInteger("mmgp.loadTestSeconds", 30);
        FakeModels models = new FakeModels(dir);
        models.image.stepMillis = 4;
        try (ApiServer server = TestServers.start(TestServers.config(dir.resolve("data")), models, 4)) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = server.url();
            Map<String, Long> accepted = new ConcurrentHashMap<>();
            Map<String, String> finals = new ConcurrentHashMap<>();
            List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger submissions = new AtomicInteger();
            List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            CountDownLatch finished = new CountDownLatch(CLIENTS);
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int c = 0; c < CLIENTS; c++) {
                    int clientNo = c;
                    pool.submit(() -> {
                        try {
                            int n = 0;
                            while (System.nanoTime() < end) {
                                String body = "{\"prompt\": \"load " + clientNo + "-" + (n++) + "\", \"steps\": 3, \"width\": 16, \"height\": 16}";
                                submissions.incrementAndGet();
                                long t0 = System.nanoTime();
                                HttpResponse<String> r = client.send(post(base, body), HttpResponse.BodyHandlers.ofString());
                                if (r.statusCode() == 429) {
                                    refused.incrementAndGet();
                                    if (r.headers().firstValue("Retry-After").isEmpty()) unexpected.add("429 without Retry-After");
                                    Thread.sleep(50);
                                    continue;
                                }
                                if (r.statusCode() != 202) {
                                    unexpected.add("POST → " + r.statusCode() + " " + r.body());
                                    continue;
                                }
                                String id = Http.JSON.readTree(r.body()).get("request_id").asText();
                                accepted.put(id, t0);
                                String status = poll(client, base, id, Duration.ofSeconds(60));
                                latencies.add((System.nanoTime() - t0) / 1e9);
                                finals.put(id, status);
                            }
                        } catch (Exception e) {
                            unexpected.add(e.toString());
                        } finally {
                            finished.countDown();
                        }
                    });
                }
                finished.await();
            }

            // nothing lost: every accepted id reports a final state
            for (String id : accepted.keySet()) finals.computeIfAbsent(id, k -> poll(client, base, k, Duration.ofSeconds(60)));
            List<Double> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            long done = finals.values().stream().filter("done"::equals).count();
            System.out.printf("load test: %d s, %d clients, queue 4: %d submissions, %d accepted, %d refused (429), %d done, %d other final;"
                            + " latency p50 %.3f s, p99 %.3f s; %.1f jobs/s%n",
                    seconds, CLIENTS, submissions.get(), accepted.size(), refused.get(), done, finals.size() - done,
                    percentile(sorted, 0.50), percentile(sorted, 0.99), done / (double) seconds);

            assertThat(unexpected).as("errors other than 429").isEmpty();
            assertThat(finals.keySet()).containsExactlyInAnyOrderElementsOf(accepted.keySet());
            assertThat(finals.values()).allMatch("done"::equals);
            assertThat(accepted).isNotEmpty();
            assertThat(refused.get()).as("overload must produce 429s").isPositive();
            assertThat(new Http(base, TestServers.KEY).get("/metrics").body())
                    .contains("mmgp_requests_total{outcome=\"overloaded\",task=\"image\",variant=\"none\"} " + (double) refused.get());
        }
    }

    private static HttpRequest post(String base, String body) {
        return HttpRequest.newBuilder(URI.create(base + "/api/generate/image")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TestServers.KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Polls until a final status; an HTTP error or a timeout here is a test failure (a lost job). */
    private static String poll(HttpClient client, String base, String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/api/requests/" + id)).timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + TestServers.KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) return "http " + r.statusCode();
                String status = Http.JSON.readTree(r.body()).get("status").asText();
                if (status.equals("done") || status.equals("failed") || status.equals("cancelled")) return status;
                Thread.sleep(15);
            }
            return "lost (no final state after " + timeout + ")";
        } catch (Exception e) {
            return "poll error " + e;
        }
    }

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) return Double.NaN;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
