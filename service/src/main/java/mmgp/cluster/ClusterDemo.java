package mmgp.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import mmgp.api.Task;
import mmgp.server.JobRecord;
import mmgp.server.JobStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code mmgp cluster demo}: the whole cluster on one machine, then a worker killed mid-batch.
 * It starts PostgreSQL, a KRaft broker, one front end and {@code workers} workers (each its own
 * JVM, on loopback), submits {@code jobs} image jobs to the front end over HTTP, {@code kill -9}s
 * worker-1 while it runs a batch, restarts it, waits for every job to end and counts:
 * accepted (202), completed, failed, lost (accepted, never ended), duplicated (ended twice:
 * more than one end published on the events topic).
 */
public final class ClusterDemo {
    /**
     * @param imageModel the tiny aMUSEd test checkpoint in the demo
     * @param steps      per image: enough for a batch to last long enough to be killed in
     * @param size       width and height of each image
     */
    public record Options(int jobs, int workers, boolean kill, int steps, int size, int maxBatch, Path imageModel, Path brokerLib,
                          Path workDir, Duration timeout) {}

    /** What the demo saw; {@link #line} is its last line. */
    public record Summary(int accepted, int completed, int failed, int lost, int duplicated, List<String> killedJobs,
                          double recoverySeconds, double jobsPerSecond) {
        public String line() {
            return "accepted %d completed %d failed %d lost %d duplicated %d".formatted(accepted, completed, failed, lost, duplicated);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Options o;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Process> processes = new ArrayList<>();

    public ClusterDemo(Options options, PrintStream out) {
        this.o = options;
        this.out = out;
    }

    /** Kills what is still running if the demo itself is stopped (Ctrl-C, a test timeout). */
    private final Thread reaper = new Thread(() -> processes.forEach(Process::destroyForcibly), "mmgp-demo-reaper");

    public Summary run() throws Exception {
        long t0 = System.nanoTime();
        Files.createDirectories(o.workDir());
        say("work folder " + o.workDir().toAbsolutePath() + " (logs of every process)");
        try (LocalPostgres pg = LocalPostgres.start(o.workDir().resolve("postgres"), Duration.ofMinutes(2))) {
            say("PostgreSQL: " + pg.describe());
            try (KraftBroker broker = KraftBroker.start(o.brokerLib(), o.workDir().resolve("kafka"), Duration.ofMinutes(3))) {
                say("Kafka: KRaft broker+controller " + KraftBroker.kafkaVersion(o.brokerLib()) + " on " + broker.bootstrapServers() + " (pid " + broker.pid()
                        + ") [" + secondsSince(t0) + " s]");
                return run(pg, broker, t0);
            }
        }
    }

    /** The scenario on a PostgreSQL and a broker the caller started and stops (a test running more than the demo on them). */
    public Summary run(LocalPostgres pg, KraftBroker broker) throws Exception {
        Files.createDirectories(o.workDir());
        return run(pg, broker, System.nanoTime());
    }

    private Summary run(LocalPostgres pg, KraftBroker broker, long t0) throws Exception {
        // the clients' connection warnings while the broker starts are noise here; the processes' own logs keep theirs
        if (org.slf4j.LoggerFactory.getLogger("org.apache.kafka") instanceof ch.qos.logback.classic.Logger kafkaLog) {
            kafkaLog.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        ClusterConfig config = new ClusterConfig(broker.bootstrapServers(), pg.jdbcUrl(), pg.user(), "", o.workDir().resolve("shared"),
                4, 10_000, 3, Duration.ofMillis(4000));
        Path configFile = o.workDir().resolve("cluster.properties");
        config.write(configFile);
        // registered for this run only: stopAll removes it, whatever ends the run
        Runtime.getRuntime().addShutdownHook(reaper);
        try (Admin admin = Admin.create(ClusterKafka.admin(config)); PostgresJobStore store = PostgresJobStore.open(config)) {
            ClusterKafka.ensureTopics(admin, config);
            return scenario(config, configFile, admin, store, t0);
        } finally {
            stopAll();
        }
    }

    private Summary scenario(ClusterConfig config, Path configFile, Admin admin, PostgresJobStore store, long t0) throws Exception {
        int frontPort = KraftBroker.freePort();
        spawn("frontend", "serve", "--cluster", configFile.toString(), "--port", Integer.toString(frontPort), "--no-auth",
                "--data-dir", o.workDir().resolve("frontend").toString());
        Map<String, Integer> workerPorts = new HashMap<>();
        Map<String, Process> workers = new HashMap<>();
        for (int i = 1; i <= o.workers(); i++) {
            String name = "worker-" + i;
            workerPorts.put(name, KraftBroker.freePort());
            workers.put(name, startWorker(configFile, name, workerPorts.get(name), name));
        }
        String base = "http://127.0.0.1:" + frontPort;
        awaitReady(base + "/readyz", "front end");
        for (String w : workers.keySet()) awaitReady("http://127.0.0.1:" + workerPorts.get(w) + "/readyz", w);
        awaitMembers(admin, o.workers());
        say("1 front end on " + base + ", " + o.workers() + " worker(s) in group " + ClusterKafka.group(Task.IMAGE) + " [" + secondsSince(t0) + " s]");

        Instant firstSubmit = Instant.now();
        Set<String> accepted = new LinkedHashSet<>();
        for (int i = 0; i < o.jobs(); i++) {
            String body = JSON.createObjectNode().put("prompt", "demo job " + i).put("steps", o.steps()).put("width", o.size())
                    .put("height", o.size()).put("seed", i).toString();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/generate/image")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 202) accepted.add(JSON.readTree(r.body()).get("request_id").asText());
            else say("job " + i + " refused: " + r.statusCode() + " " + r.body());
        }
        say("submitted " + o.jobs() + " image jobs (" + o.steps() + " steps, " + o.size() + "x" + o.size() + "), " + accepted.size() + " accepted");
        // an event stream on the last job, from the front end, whichever worker runs it
        String watched = accepted.isEmpty() ? null : accepted.stream().reduce((a, b) -> b).orElseThrow();
        java.util.concurrent.CompletableFuture<HttpResponse<String>> stream = watched == null ? null
                : http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/requests/" + watched + "/events")).header("Accept", "text/event-stream").build(),
                        HttpResponse.BodyHandlers.ofString());

        List<String> killed = List.of();
        Instant killedAt = null;
        double recovery = Double.NaN;
        long deadline = System.nanoTime() + o.timeout().toNanos();
        if (o.kill()) {
            while (killed.isEmpty() && System.nanoTime() < deadline) {
                List<String> running = store.runningOn("worker-1");
                if (!running.isEmpty()) {
                    Thread.sleep(50); // into the batch's computation, not its claim
                    running = store.runningOn("worker-1");
                    if (running.isEmpty()) continue;
                    Process victim = workers.get("worker-1");
                    killedAt = Instant.now();
                    victim.destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no goodbye to the group
                    victim.waitFor(10, TimeUnit.SECONDS);
                    killed = running;
                    say("kill -9 worker-1 (pid " + victim.pid() + ") in the middle of a batch of " + running.size() + " job(s): " + running);
                    workers.put("worker-1", startWorker(configFile, "worker-1", workerPorts.get("worker-1"), "worker-1.restarted"));
                    say("restarted worker-1 (pid " + workers.get("worker-1").pid() + ")");
                } else if (done(store, accepted)) {
                    say("every job ended before worker-1 ran a batch: nothing to kill (more --jobs or --steps)");
                    break;
                } else {
                    Thread.sleep(20);
                }
            }
        }
        while (System.nanoTime() < deadline) {
            if (!killed.isEmpty() && Double.isNaN(recovery) && done(store, killed)) {
                recovery = Duration.between(killedAt, Instant.now()).toMillis() / 1000.0;
                say("recovered: the killed batch ended %.1f s after the kill, on %s (attempts %s)".formatted(recovery,
                        store.workerOf(killed).values(), killed.stream().map(id -> store.attempts().get(id)).toList()));
            }
            if (done(store, accepted) && (killed.isEmpty() || !Double.isNaN(recovery))) break;
            Thread.sleep(100);
        }

        int completed = 0, failed = 0, lost = 0;
        Instant last = firstSubmit;
        for (String id : accepted) {
            JobRecord r = store.find(id).orElse(null);
            if (r == null || !r.status().terminal()) lost++;
            else if (r.status() == JobStatus.DONE) completed++;
            else failed++;
            if (r != null && r.status().terminal() && r.updated().isAfter(last)) last = r.updated();
        }
        int duplicated = duplicatedEnds(config, accepted);
        if (stream != null) checkApi(base, watched, stream);
        double seconds = Duration.between(firstSubmit, last).toMillis() / 1000.0;
        double rate = seconds > 0 ? completed / seconds : Double.NaN;
        say("%d jobs in %.1f s from the first submission to the last end: %.2f jobs/s with %d worker(s)%s".formatted(completed, seconds, rate, o.workers(),
                o.kill() ? " (including the kill and the recovery)" : ""));
        Summary s = new Summary(accepted.size(), completed, failed, lost, duplicated, killed, recovery, rate);
        out.println(s.line());
        return s;
    }

    /** The front end's view of a finished job: its event stream ended with "done", its image downloads, a cancel is honoured. */
    private void checkApi(String base, String id, java.util.concurrent.CompletableFuture<HttpResponse<String>> stream) throws Exception {
        String events = stream.get(30, TimeUnit.SECONDS).body();
        boolean streamed = events.contains("event: status") && events.contains("\"status\":\"done\"");
        HttpResponse<byte[]> png = http.send(HttpRequest.newBuilder(URI.create(base + "/api/requests/" + id + "/result/image.png")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        boolean downloaded = png.statusCode() == 200 && png.body().length > 8 && png.body()[1] == 'P' && png.body()[2] == 'N' && png.body()[3] == 'G';
        say("front end: the event stream of " + id + (streamed ? " ended with status done" : " did NOT end with done: " + events)
                + "; its image.png " + (downloaded ? "downloads (" + png.body().length + " bytes)" : "did NOT download: " + png.statusCode()));
        // a cancel: a slow job, cancelled at once (queued: the front end records it; running: its worker stops it)
        String body = JSON.createObjectNode().put("prompt", "cancel me").put("steps", 50).put("width", o.size()).put("height", o.size()).toString();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/generate/image")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        String cancelId = JSON.readTree(r.body()).get("request_id").asText();
        HttpResponse<String> c = http.send(HttpRequest.newBuilder(URI.create(base + "/api/requests/" + cancelId)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        String status = "?";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            status = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/api/requests/" + cancelId)).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .path("status").asText();
            if (!status.equals("queued") && !status.equals("running")) break;
            Thread.sleep(100);
        }
        say("front end: DELETE of a new job answered " + c.statusCode() + ", the job ended " + status);
        apiOk = streamed && downloaded && status.equals("cancelled");
    }

    private volatile boolean apiOk;

    /** Whether the front-end checks (event stream, download, cancel) passed in the last run. */
    public boolean apiChecksPassed() {
        return apiOk;
    }

    private Process startWorker(Path configFile, String name, int port, String log) throws IOException {
        return spawn(log, "worker", "--cluster", configFile.toString(), "--tasks", "image", "--image-model", o.imageModel().toString(),
                "--threads", "1", "--max-batch", Integer.toString(o.maxBatch()), "--name", name, "--port", Integer.toString(port));
    }

    private static boolean done(PostgresJobStore store, java.util.Collection<String> ids) {
        for (String id : ids) {
            if (!store.find(id).map(r -> r.status().terminal()).orElse(false)) return false;
        }
        return true;
    }

    /** Jobs with more than one end on the events topic (each end is published once it is recorded). */
    private static int duplicatedEnds(ClusterConfig config, Set<String> ids) {
        Map<String, Integer> ends = new HashMap<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(ClusterKafka.eventsConsumer(config, "demo-audit"))) {
            List<TopicPartition> parts = c.partitionsFor(ClusterKafka.EVENTS).stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> endOffsets = c.endOffsets(parts);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (parts.stream().anyMatch(p -> c.position(p) < endOffsets.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    ClusterEvent e = ClusterEvent.parse(r.key(), r.value());
                    if (e != null && ClusterEvent.FINISHED.equals(e.type()) && ids.contains(e.jobId())) ends.merge(e.jobId(), 1, Integer::sum);
                }
            }
        }
        return (int) ends.values().stream().filter(n -> n > 1).count();
    }

    private void awaitReady(String url, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            for (Process p : processes) {
                if (!p.isAlive() && p.exitValue() != 0 && !killedOnPurpose(p)) throw new IOException(what + " exited; see the logs in " + o.workDir());
            }
            Thread.sleep(300);
        }
        throw new IOException(what + " not ready after 3 minutes; see the logs in " + o.workDir());
    }

    private static boolean killedOnPurpose(Process p) {
        return p.exitValue() == 137;
    }

    private static void awaitMembers(Admin admin, int workers) throws InterruptedException {
        QueueLag lag = new QueueLag(admin);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            QueueLag.TaskQueue q = lag.read().get(Task.IMAGE);
            if (q.workers().size() >= workers && q.workers().stream().noneMatch(w -> w.endsWith("[]"))) return;
            Thread.sleep(250);
        }
        throw new IllegalStateException("the workers did not all join the consumer group within 2 minutes");
    }

    private Process spawn(String log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector", "-XX:+UseSerialGC", "-Xmx1g",
                "-Dmmgp.home=" + System.getProperty("mmgp.home", Path.of("").toAbsolutePath().toString()),
                "-cp", System.getProperty("java.class.path"), "mmgp.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(o.workDir().resolve(log + ".log").toFile());
        pb.environment().putIfAbsent("GOMP_SPINCOUNT", "10000");
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private void stopAll() {
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // already shutting down: the reaper runs
        }
        for (Process p : processes) p.destroy();
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private void say(String line) {
        out.println("[demo] " + line);
        out.flush();
    }

    private static String secondsSince(long t0) {
        return String.format("%.1f", (System.nanoTime() - t0) / 1e9);
    }
}
