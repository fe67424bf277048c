package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import mmgp.api.Task;
import mmgp.cluster.ClusterConfig;
import mmgp.cluster.ClusterGauges;
import mmgp.cluster.ClusterKafka;
import mmgp.cluster.EventsFeed;
import mmgp.cluster.PostgresJobStore;
import mmgp.cluster.QueueLag;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mmgp serve --cluster}: a stateless front end. The same HTTP API, keys, limits and web
 * page as {@link ApiServer}, over {@link ClusterJobService} instead of an engine: any number of
 * them may run behind a load balancer, and any of them answers for any job. The per-key rate
 * limit's buckets are rows of PostgreSQL, shared by every front end.
 */
public final class ClusterServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterServer.class);
    private final ServerConfig config;
    private final Metrics metrics = new Metrics();
    private final PostgresJobStore store;
    private final Admin admin;
    private final KafkaProducer<String, String> producer;
    private final ClusterGauges gauges;
    private final EventsFeed feed;
    private final ClusterJobService jobs;
    private final Javalin app;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("mmgp-retention").daemon().factory());

    private ClusterServer(ServerConfig config, ClusterConfig cluster) throws IOException, InterruptedException {
        this.config = config;
        ObjectMapper json = new ObjectMapper();
        Files.createDirectories(config.dataDir());
        Files.createDirectories(cluster.sharedDir());
        store = PostgresJobStore.open(cluster);
        admin = Admin.create(ClusterKafka.admin(cluster));
        ClusterKafka.ensureTopics(admin, cluster);
        String name = "frontend-" + UUID.randomUUID().toString().substring(0, 8);
        producer = new KafkaProducer<>(ClusterKafka.producer(cluster, name));
        gauges = new ClusterGauges(new QueueLag(admin), store, metrics.registry());
        ResultFiles files = new ResultFiles(cluster.sharedDir(), json);
        RequestParser parser = new RequestParser(json, config.limits());
        jobs = new ClusterJobService(cluster, store, producer, gauges::lag, files, parser, metrics, json);
        feed = new EventsFeed(cluster, name, jobs::onEvent);
        // one bucket per key for all front ends, in PostgreSQL: a key's limit holds however many front ends its requests reach
        RateLimiter limiter = new RateLimiter(config.rateLimitPerMinute(), sharedBuckets(store::takeTokens));
        app = ApiServer.createApp(config, json, metrics, jobs, files, parser, new OpsRoutes(this::ready, metrics, json), HttpGuards.defaults(), limiter);
        app.start(config.host(), config.port());
        long every = config.sweepInterval().toMillis();
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                jobs.sweep(config.retention());
            } catch (RuntimeException e) {
                log.warn("retention sweep failed: {}", e.toString());
            }
        }, every, every, TimeUnit.MILLISECONDS);
        log.info("cluster front end listening on {}", url());
    }

    /**
     * The shared buckets as a front end uses them: when PostgreSQL cannot be reached (or its
     * limiter connections stay busy) a submission is refused with 503, a JSON error and
     * Retry-After, rather than let through unmetered or answered with a 500: the job could not be
     * stored without the database anyway, and a client that retries later is what is wanted.
     */
    static RateLimiter.Buckets sharedBuckets(RateLimiter.Buckets store) {
        return (key, perMinute, n) -> {
            try {
                return store.take(key, perMinute, n);
            } catch (JobStore.JobStoreException e) {
                log.warn("rate limit not checked: {}", e.getMessage());
                throw new ApiException(503, "store_unavailable", "the job database is unreachable or busy; retry shortly", null, 5);
            }
        };
    }

    public static ClusterServer start(ServerConfig config, ClusterConfig cluster) throws IOException, InterruptedException {
        return new ClusterServer(config, cluster);
    }

    /** Ready when PostgreSQL answers, Kafka was read a moment ago and the events feed runs; the body names each task's lag and workers. */
    private void ready(Context ctx) {
        boolean storeOpen = store.isOpen();
        boolean kafka = gauges.fresh() && feed.isReady();
        ObjectNode body = new ObjectMapper().createObjectNode().put("ready", storeOpen && kafka).put("mode", "cluster")
                .put("store", storeOpen).put("kafka", kafka);
        ObjectNode tasks = body.putObject("tasks");
        for (Task t : ClusterKafka.TASKS) {
            QueueLag.TaskQueue q = gauges.queue(t);
            ObjectNode n = tasks.putObject(t.label()).put("lag", gauges.lag(t));
            if (q != null) n.put("workers", q.workers().size());
        }
        ctx.status(storeOpen && kafka ? 200 : 503).json(body);
    }

    public int port() {
        return app.port();
    }

    public String url() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + h + ":" + port();
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        app.stop();
        feed.close();
        gauges.close();
        producer.close();
        admin.close();
        store.close();
        metrics.close();
        log.info("stopped");
    }
}
