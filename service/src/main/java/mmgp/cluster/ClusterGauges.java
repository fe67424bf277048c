package mmgp.cluster;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mmgp.api.Task;
import mmgp.server.JobStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster as every process reports it on /metrics: queue lag per task
 * ({@code mmgp_queue_lag}) and jobs per state ({@code mmgp_jobs}), read from Kafka and
 * PostgreSQL every {@value #REFRESH_MS} ms. The front ends also answer 429 from {@link #lag}.
 */
public final class ClusterGauges implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterGauges.class);
    static final long REFRESH_MS = 1000;
    private final QueueLag queues;
    private final PostgresJobStore store;
    private final Map<Task, AtomicLong> lag = new EnumMap<>(Task.class);
    private final Map<JobStatus, AtomicLong> jobs = new EnumMap<>(JobStatus.class);
    private final Map<Task, QueueLag.TaskQueue> last = new ConcurrentHashMap<>();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("mmgp-cluster-gauges").daemon().factory());
    private volatile boolean fresh;
    private boolean warned;

    public ClusterGauges(QueueLag queues, PostgresJobStore store, MeterRegistry registry) {
        this.queues = queues;
        this.store = store;
        for (Task t : ClusterKafka.TASKS) {
            AtomicLong v = new AtomicLong();
            lag.put(t, v);
            Gauge.builder("mmgp.queue.lag", v, AtomicLong::get).description("records of the task's topic not yet done and committed by its workers")
                    .tag("task", t.label()).register(registry);
        }
        for (JobStatus s : JobStatus.values()) {
            AtomicLong v = new AtomicLong();
            jobs.put(s, v);
            Gauge.builder("mmgp.jobs", v, AtomicLong::get).description("jobs in the cluster's job table by state").tag("state", s.label()).register(registry);
        }
        refresh();
        refresher.scheduleWithFixedDelay(this::refresh, REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
    }

    private void refresh() {
        try {
            Map<Task, QueueLag.TaskQueue> now = queues.read();
            now.forEach((t, q) -> lag.get(t).set(q.lag()));
            last.putAll(now);
            store.countByStatus().forEach((s, n) -> jobs.get(s).set(n));
            fresh = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (fresh || !warned) log.warn("could not read the cluster's lag and job counts: {}", e.toString());
            warned = true;
            fresh = false;
        }
    }

    /** The task's lag at the last refresh. */
    public long lag(Task task) {
        AtomicLong v = lag.get(task);
        return v == null ? 0 : v.get();
    }

    /** The task's queue at the last refresh (workers and their partitions), if read. */
    public QueueLag.TaskQueue queue(Task task) {
        return last.get(task);
    }

    /** Whether the last refresh reached both Kafka and PostgreSQL. */
    public boolean fresh() {
        return fresh;
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
