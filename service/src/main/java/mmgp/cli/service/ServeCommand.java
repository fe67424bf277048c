package mmgp.cli.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import mmgp.api.Task;
import mmgp.engine.Engine;
import mmgp.server.ApiKeys;
import mmgp.server.ApiServer;
import mmgp.server.RequestLimits;
import mmgp.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp serve}: the HTTP API and web page over one engine, until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the HTTP API (see /openapi.json) and a small web page.",
                "Models: --image-model/--video-model/--understand-model, else the registry's installed model for each task;",
                "--ab image=amused-256:90,amused-512:10 splits a task's requests between two (or more) models.",
                "API keys are required (--api-key, --api-keys-file) unless --no-auth on a loopback host."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (0 picks a free one; default: ${DEFAULT-VALUE}).")
    int port;

    @picocli.CommandLine.Mixin
    EngineOptions engineOptions = new EngineOptions();

    @picocli.CommandLine.Mixin
    LogOptions logOptions = new LogOptions();

    @Option(names = "--data-dir", description = "Job database, uploads and results (default: ~/.cache/mmgp/server).")
    Path dataDir;

    @Option(names = "--api-key", description = "An accepted API key (repeatable).")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--api-keys-file", description = "A file of accepted API keys, one per line ('#' comments).")
    Path apiKeysFile;

    @Option(names = "--no-auth", description = "No API keys at all; refused unless --host is a loopback address.")
    boolean noAuth;

    @Option(names = "--metrics-auth", description = "Require an API key for /metrics too (default: open).")
    boolean metricsAuth;

    @Option(names = "--rate-limit", defaultValue = "0", description = "Job submissions per minute per API key, as N or N/min (0 = no limit; default: ${DEFAULT-VALUE}).")
    String rateLimit;

    @Option(names = "--max-upload-mb", defaultValue = "512", description = "Largest upload in MiB (default: ${DEFAULT-VALUE}).")
    long maxUploadMb;

    @Option(names = "--max-frames", defaultValue = "121", description = "Most video frames a request may ask for (default: ${DEFAULT-VALUE}).")
    int maxFrames;

    @Option(names = "--max-new-tokens", defaultValue = "512", description = "Longest generated answer in tokens (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--cors-origin", description = "An origin allowed to call the API from a browser, e.g. https://app.example (repeatable; none by default).")
    List<String> corsOrigins = new ArrayList<>();

    @Option(names = "--retention-hours", defaultValue = "24", description = "Finished jobs and their files are deleted after this long (default: ${DEFAULT-VALUE}).")
    double retentionHours;

    @Option(names = "--requeue-on-restart", description = "Run jobs a previous run left unfinished again (default: mark them failed).")
    boolean requeueOnRestart;

    @Option(names = "--max-batch", defaultValue = "4", description = "Most requests per model call (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--queue-capacity", defaultValue = "16", description = "Waiting requests per task before 429 (default: ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--drain-seconds", defaultValue = "30", description = "On SIGTERM, how long running batches may finish before they are cancelled; "
            + "queued jobs are kept for the next start (default: ${DEFAULT-VALUE}).")
    long drainSeconds;

    @Option(names = "--preload", description = "Load every model before listening (default: on the first request).")
    boolean preload;

    @Option(names = "--cluster", paramLabel = "FILE", description = "Run as a stateless front end of a cluster (Kafka + PostgreSQL, see the README): "
            + "jobs go to the workers (mmgp worker); the model options and --numerics are then ignored (each worker takes its own).")
    Path cluster;

    @Override
    public Integer call() throws Exception {
        if (System.getenv("MMGP_LOG_LEVEL") == null
                && org.slf4j.LoggerFactory.getLogger("mmgp.engine") instanceof ch.qos.logback.classic.Logger engineLog) {
            engineLog.setLevel(ch.qos.logback.classic.Level.INFO); // a service's log should say when models load
        }
        logOptions.apply();
        List<String> keys = new ArrayList<>(apiKeys);
        if (apiKeysFile != null) keys.addAll(ApiKeys.readFile(apiKeysFile));
        // Checked here so the message names the flag (and a huge value cannot wrap around when shifted).
        if (maxUploadMb < 1 || maxUploadMb > 1L << 30) throw new IllegalArgumentException("--max-upload-mb must be in [1, 1073741824], got " + maxUploadMb);
        if (!(retentionHours > 0) || retentionHours > 1e6) throw new IllegalArgumentException("--retention-hours must be in (0, 1000000], got " + retentionHours);
        if (drainSeconds < 0) throw new IllegalArgumentException("--drain-seconds must be >= 0, got " + drainSeconds);
        Path data = dataDir != null ? dataDir : Path.of(System.getProperty("user.home"), ".cache", "mmgp", "server");
        ServerConfig config = new ServerConfig(host, port, data, keys, noAuth, metricsAuth, perMinute(rateLimit), maxUploadMb << 20,
                new RequestLimits(maxFrames, engineOptions.admission.maxWidth, engineOptions.admission.maxHeight, engineOptions.admission.maxSteps, maxNewTokens), corsOrigins,
                Duration.ofMillis((long) (retentionHours * 3_600_000)), Duration.ofMinutes(10), requeueOnRestart);

        if (cluster != null) return serveCluster(config, keys);
        Engine.Builder builder = engineOptions.builder(maxBatch).queueCapacity(queueCapacity).closeTimeout(Duration.ofSeconds(drainSeconds));
        EngineOptions.Configured configured = engineOptions.configure(builder, Set.of());
        long budget = configured.memoryBudget();
        System.out.println(budget == 0 ? "  memory budget per batch: none (--memory-budget 0)"
                : "  memory budget per batch: " + (budget >> 20) + " MiB beyond the weights");
        ApiServer server = ApiServer.start(config, builder, built -> {
            if (preload) EngineOptions.load(built, configured.tasks());
        });
        return UntilStopped.await("mmgp-serve-shutdown", server::close, "mmgp serve: listening on " + server.url() + "/ (" + access(keys) + ", data in " + data + ")");
    }

    private int serveCluster(ServerConfig config, List<String> keys) throws Exception {
        mmgp.server.ClusterServer server = mmgp.server.ClusterServer.start(config, mmgp.cluster.ClusterConfig.read(cluster));
        return UntilStopped.await("mmgp-serve-shutdown", server::close,
                "mmgp serve: cluster front end listening on " + server.url() + "/ (" + access(keys) + ", cluster " + cluster + ")");
    }

    /** How requests are let in, as the start-up line says it. */
    private String access(List<String> keys) {
        return noAuth ? "no authentication" : keys.size() + " API key(s)";
    }

    /** "30", "30/min" or "30/m" → 30. */
    static int perMinute(String spec) {
        String s = spec.strip().toLowerCase(java.util.Locale.ROOT);
        String n = s.endsWith("/min") ? s.substring(0, s.length() - 4) : s.endsWith("/m") ? s.substring(0, s.length() - 2) : s;
        try {
            int v = Integer.parseInt(n.strip());
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rate-limit must look like 30/min (or 0 for none), got " + spec);
        }
    }
}
