package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Reserved stream slots and begun waits are given back on every path where the stream or the wait never properly starts. */
class StreamSlotLeakTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anSseStreamWhoseClientLeftBeforeTheFlushGivesItsSlotBack() {
        JobWaiterTest.StubJobs jobs = new JobWaiterTest.StubJobs(false, false);
        HttpServletResponse gone = proxy(HttpServletResponse.class, (p, m, a) -> {
            if (m.getName().equals("flushBuffer")) throw new IOException("broken pipe");
            return null;
        });
        Context ctx = proxy(Context.class, (p, m, a) -> switch (m.getName()) {
            case "pathParam" -> "3f1e5b0a-8c1d-4a2e-9b7f-0a1b2c3d4e5f";
            case "header" -> "text/event-stream";
            case "res" -> gone;
            default -> null;
        });
        JobRoutes routes = new JobRoutes(jobs, null, null, JSON, 0);
        assertThat(catchThrowableOfType(IOException.class, () -> routes.events(ctx))).hasMessage("broken pipe");
        assertThat(jobs.streamReleases).hasValue(1);
    }

    @Test
    void aStreamWhoseJobIsDeletedBeforeItsWatchEndsItsWriterAndGivesItsSlotBack() throws Exception {
        String id = UUID.randomUUID().toString();
        JobRecord row = new JobRecord(id, "image", JobStatus.DONE, Instant.EPOCH, Instant.EPOCH, "{}", null, null, "k", List.of());
        AtomicInteger finds = new AtomicInteger();
        JobStore store = proxy(JobStore.class, (p, m, a) -> m.getName().equals("find")
                ? (finds.incrementAndGet() == 1 ? Optional.of(row) : Optional.empty()) // deleted by retention after the stream's own check
                : null);
        JobService service = new JobService(null, store, null, null, null, JSON, Clock.systemUTC());
        try {
            CountDownLatch closed = new CountDownLatch(1);
            service.requireStreamRoom(id);
            ApiException e = catchThrowableOfType(ApiException.class, () -> service.stream(id, new QuietChannel(closed)));
            assertThat(e.status()).isEqualTo(404);
            assertThat(closed.await(5, TimeUnit.SECONDS)).as("the stream's writer ended").isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (service.streamSlotsTaken(id) > 0 && System.nanoTime() < deadline) Thread.sleep(10);
            assertThat(service.streamSlotsTaken(id)).isZero();
        } finally {
            service.close();
        }
    }

    @Test
    void clusterStreamSlotsAreReservedAtomicallyAndGivenBack() throws Exception {
        ClusterJobService cluster = new ClusterJobService(null, null, null, null, null, null, null, JSON);
        String id = UUID.randomUUID().toString();
        int tries = 100;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> all = new ArrayList<>();
        try {
            for (int i = 0; i < tries; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    try {
                        cluster.requireStreamRoom(id);
                        return true;
                    } catch (ApiException e) {
                        assertThat(e.status()).isEqualTo(429);
                        return false;
                    }
                }));
            }
            go.countDown();
            int granted = 0;
            for (Future<Boolean> f : all) if (f.get(10, TimeUnit.SECONDS)) granted++;
            assertThat(granted).isEqualTo(JobService.MAX_STREAMS_PER_JOB);
        } finally {
            pool.shutdownNow();
        }
        assertThat(cluster.streamSlotsTaken(id)).isEqualTo(JobService.MAX_STREAMS_PER_JOB);
        cluster.releaseStreamRoom(id);
        cluster.requireStreamRoom(id); // the slot given back is free again
        assertThat(catchThrowableOfType(ApiException.class, () -> cluster.requireStreamRoom(id)).status()).isEqualTo(429);
    }

    @Test
    void aV1WaitThatCannotBeginStopsTheWaitsBegunAndCancelsEveryJob() throws Exception {
        JobWaiterTest.StubJobs jobs = new JobWaiterTest.StubJobs(false, false);
        jobs.missing = "b";
        AtomicReference<CompletableFuture<?>> answer = new AtomicReference<>();
        Context ctx = proxy(Context.class, (p, m, a) -> {
            if (m.getName().equals("future")) {
                try {
                    answer.set(((java.util.function.Supplier<CompletableFuture<?>>) a[0]).get());
                } catch (RuntimeException e) {
                    answer.set(CompletableFuture.failedFuture(e));
                }
            }
            return null;
        });
        try (AutoCloseable cap = JobWaiter.limitForTests(1)) {
            JobWaiter.Slot slot = JobWaiter.reserve();
            new OpenAiRoutes(jobs, null, null, JSON, 0).whenDone(ctx, List.of("a", "b", "c"), slot, s -> s, done -> { });
            assertThat(answer.get()).isCompletedExceptionally();
            assertThat(jobs.sinks).hasSize(1); // the wait on "a" had begun
            assertThat(jobs.sinks.getFirst().isClosed()).as("the wait begun on a is stopped").isTrue();
            assertThat(jobs.cancelled).containsExactlyInAnyOrder("a", "b", "c");
            JobWaiter.reserve().close(); // and the request's slot is free
        }
    }

    /** A channel that never fails and never ends by itself: only the subscriber's end closes it. */
    private record QuietChannel(CountDownLatch closed) implements EventChannel {
        @Override public void send(JobEvent e) { }
        @Override public void keepAlive() { }
        @Override public boolean terminated() { return closed.getCount() == 0; }
        @Override public void onClose(Runnable action) { }
        @Override public void close() { closed.countDown(); }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, InvocationHandler h) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h);
    }
}
