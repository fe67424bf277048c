package mmgp.cli.service;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import mmgp.api.Task;
import mmgp.cluster.ClusterConfig;
import mmgp.cluster.ClusterWorker;
import mmgp.engine.Engine;
import mmgp.server.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp worker --cluster FILE}: runs a cluster's jobs of some tasks on this machine's engine, until interrupted. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = {"Run cluster jobs (Kafka + PostgreSQL, see mmgp serve --cluster) on this machine.",
                "Loads the models of --tasks, polls those tasks' topics only as fast as it can run them, stores results in the shared folder.",
                "Serves /healthz, /readyz and /metrics on --port."})
final class WorkerCommand implements Callable<Integer> {
    @Option(names = "--cluster", required = true, paramLabel = "FILE", description = "The cluster's configuration (a properties file; see the README).")
    Path cluster;

    @Option(names = "--tasks", split = ",", paramLabel = "image,video,understand",
            description = "Tasks to run (default: every task this worker has a model for).")
    List<String> tasks = new ArrayList<>();

    @picocli.CommandLine.Mixin
    EngineOptions engineOptions = new EngineOptions();

    @picocli.CommandLine.Mixin
    LogOptions logOptions = new LogOptions();

    @Option(names = "--max-batch", defaultValue = "4", description = "Most requests per model call, and most jobs of a task taken at once (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--name", description = "This worker's name in the job table and in Kafka (default: host-pid).")
    String name;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address of /healthz, /readyz, /metrics (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8081", description = "Port of /healthz, /readyz, /metrics (0 picks one; default: ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws Exception {
        logOptions.apply();
        ClusterConfig config = ClusterConfig.read(cluster);
        Set<Task> asked = EnumSet.noneOf(Task.class);
        for (String t : tasks) asked.add(Task.valueOf(t.strip().toUpperCase(java.util.Locale.ROOT)));
        // A stopped worker's unfinished jobs go to another worker anyway (their offsets are not committed), so it need not wait long for them.
        Engine.Builder builder = engineOptions.builder(maxBatch).queueCapacity(Math.max(16, 2 * maxBatch)).closeTimeout(java.time.Duration.ofSeconds(5));
        Set<Task> run = engineOptions.configure(builder, asked).tasks();
        String me = name != null ? name : java.net.InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
        Metrics metrics = new Metrics();
        Engine engine = builder.listener(metrics).build();
        EngineOptions.load(engine, run);
        ClusterWorker worker = new ClusterWorker(config, me, engine, metrics, run, maxBatch, host, port);
        return UntilStopped.await("mmgp-worker-shutdown", () -> {
            worker.close();
            engine.close();
            metrics.close();
        }, "mmgp worker: " + me + " running " + run.stream().map(Task::label).toList() + ", health on http://" + host + ":" + worker.port() + "/readyz");
    }
}
