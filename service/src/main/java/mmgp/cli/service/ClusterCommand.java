package mmgp.cli.service;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import mmgp.api.Task;
import mmgp.cli.VerbGroup;
import mmgp.cluster.ClusterConfig;
import mmgp.cluster.ClusterDemo;
import mmgp.cluster.ClusterKafka;
import mmgp.cluster.KraftBroker;
import mmgp.cluster.PostgresJobStore;
import mmgp.cluster.QueueLag;
import mmgp.server.JobStatus;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp cluster status|demo}: look at a cluster, or run one on this machine and kill a worker. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Cluster mode (Kafka + PostgreSQL): status of a running cluster, or a demo of one on this machine."},
        subcommands = {ClusterCommand.Status.class, ClusterCommand.Demo.class})
final class ClusterCommand extends VerbGroup {
    @Command(name = "status", mixinStandardHelpOptions = true, description = "Print each task's lag and workers (with their partitions), and jobs per state.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--cluster", required = true, paramLabel = "FILE", description = "The cluster's configuration.")
        Path cluster;

        @Override
        public Integer call() throws Exception {
            ClusterConfig config = ClusterConfig.read(cluster);
            try (Admin admin = Admin.create(ClusterKafka.admin(config)); PostgresJobStore store = PostgresJobStore.open(config)) {
                Map<Task, QueueLag.TaskQueue> queues = new QueueLag(admin).read();
                System.out.printf("%-11s %5s %10s  %s%n", "task", "lag", "partitions", "workers (client host [partitions])");
                for (QueueLag.TaskQueue q : queues.values()) {
                    System.out.printf("%-11s %5d %10d  %s%n", q.task().label(), q.lag(), q.partitions(), q.workers().isEmpty() ? "none" : String.join(", ", q.workers()));
                }
                StringBuilder jobs = new StringBuilder("jobs:");
                for (Map.Entry<JobStatus, Long> e : store.countByStatus().entrySet()) jobs.append(' ').append(e.getKey().label()).append(' ').append(e.getValue());
                System.out.println(jobs);
            }
            return 0;
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = {"Start PostgreSQL, a KRaft Kafka broker, a front end and workers (separate processes, loopback) with the tiny test model,",
                    "submit jobs, kill -9 a worker mid-batch, restart it, and print accepted/completed/failed/lost/duplicated."})
    static final class Demo implements Callable<Integer> {
        @Option(names = "--jobs", defaultValue = "24", description = "Image jobs to submit (default: ${DEFAULT-VALUE}).")
        int jobs;

        @Option(names = "--workers", defaultValue = "2", description = "Worker processes (default: ${DEFAULT-VALUE}).")
        int workers;

        @Option(names = "--no-kill", description = "Do not kill a worker (to measure throughput).")
        boolean noKill;

        @Option(names = "--steps", defaultValue = "12", description = "Steps per image (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--size", defaultValue = "32", description = "Width and height of each image (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--max-batch", defaultValue = "4", description = "Jobs per batch on a worker (default: ${DEFAULT-VALUE}).")
        int maxBatch;

        @Option(names = "--image-model", description = "Image model (default: the tiny aMUSEd test checkpoint of this checkout).")
        Path imageModel;

        @Option(names = "--work-dir", description = "Logs, shared folder and data (default: a new temporary folder).")
        Path workDir;

        @Option(names = "--timeout-minutes", defaultValue = "10", description = "Give up waiting for the jobs after this long (default: ${DEFAULT-VALUE}).")
        long timeoutMinutes;

        @Override
        public Integer call() throws Exception {
            Path home = Path.of(System.getProperty("mmgp.home", "."));
            Path model = imageModel != null ? imageModel : home.resolve("models/src/test/resources/fixtures/amused/checkpoint");
            if (!Files.exists(model)) throw new IllegalArgumentException("no image model at " + model + "; give --image-model");
            Path dir = workDir != null ? workDir : Files.createTempDirectory("mmgp-cluster-demo-");
            if (workers < 1) throw new IllegalArgumentException("--workers must be at least 1");
            ClusterDemo.Options o = new ClusterDemo.Options(jobs, workers, !noKill, steps, size, maxBatch, model.toAbsolutePath(), KraftBroker.defaultLib(),
                    dir, Duration.ofMinutes(timeoutMinutes));
            ClusterDemo.Summary s = new ClusterDemo(o, System.out).run();
            return s.lost() == 0 && s.duplicated() == 0 && s.completed() == s.accepted() ? 0 : 1;
        }
    }
}
