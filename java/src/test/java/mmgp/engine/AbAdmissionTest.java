package mmgp.engine;

import static mmgp.engine.FakeModels.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.Task;
import mmgp.engine.spi.CostEstimate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission with A/B variants and while batches form: a request goes only to variants that accept
 * it, the variants share the task's queue capacity and queue-depth gauge, and cost estimates never
 * run under the queue's lock.
 */
@Timeout(60)
class AbAdmissionTest {
    @TempDir
    Path dir;

    private final FakeImageModel small = new FakeImageModel(new CostEstimate.Size(256, 256));
    private final FakeImageModel big = new FakeImageModel(new CostEstimate.Size(512, 512));
    private final FakeProvider smallProvider = new FakeProvider(Task.IMAGE, "fakesmall", small);
    private final FakeProvider bigProvider = new FakeProvider(Task.IMAGE, "fakebig", big);

    private static ImageRequest image(String prompt, int side) {
        return new ImageRequest(prompt, ImageOptions.defaults().withSteps(1).withSize(side, side).withSeed(1));
    }

    /** "small" (native 256², weight 90) and "big" (native 512², weight 10), sizes capped at each one's native size. */
    private Engine.Builder ninetyTen(FakeModels files) {
        return split(files, 90, 10);
    }

    private Engine.Builder split(FakeModels files, int smallWeight, int bigWeight) {
        return Engine.builder().provider(smallProvider).provider(bigProvider)
                .variant(Task.IMAGE, "small", files.file("fakesmall.gguf"), smallWeight)
                .variant(Task.IMAGE, "big", files.file("fakebig.gguf"), bigWeight)
                .variantSeed(3).maxSize(0, 0).maxWait(Duration.ofMillis(20)).closeTimeout(Duration.ofSeconds(10));
    }

    @Test
    void aRequestOnlyOneVariantAcceptsAlwaysGoesThereAndOneNoneAcceptsGetsTheFirstRefusal() throws Exception {
        try (Engine engine = ninetyTen(new FakeModels(dir)).queueCapacity(100).build()) {
            engine.load(Task.IMAGE);
            List<Job<ImageResult>> jobs = new ArrayList<>();
            for (int i = 0; i < 30; i++) jobs.add(engine.generateImage(image("wide " + i, 512), null)); // ~27 would be refused by drawing first
            for (Job<ImageResult> job : jobs) {
                assertThat(job.variant()).isEqualTo("big");
                await(job.result());
            }
            assertThatThrownBy(() -> engine.generateImage(image("huge", 1024), null))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("width"))
                    .hasMessageContaining("width 1024 is above the model's native size of 256");
            List<String> variants = new ArrayList<>();
            for (int i = 0; i < 40; i++) variants.add(engine.generateImage(image("native " + i, 256), null).variant());
            assertThat(variants).contains("small", "big"); // both still drawn for what both accept
        }
    }

    @Test
    void thePipelineCheckRefusesOnlyWhatNoVariantAccepts() throws Exception {
        try (Engine engine = ninetyTen(new FakeModels(dir)).build()) {
            engine.load(Task.IMAGE);
            TaskVariants variants = engine.variantsOf(Task.IMAGE);
            variants.check(image("wide", 512)); // big accepts it
            assertThatThrownBy(() -> variants.check(image("huge", 1024))).hasMessageContaining("native size of 256");
        }
    }

    /** A fault in one variant's check (a bug in its estimate) is not a refusal: it reaches the caller instead of moving the traffic to the other variant. */
    @Test
    void aFaultInOneVariantsCheckPropagatesInsteadOfRoutingToTheOther() throws Exception {
        try (Engine engine = ninetyTen(new FakeModels(dir)).build()) {
            engine.load(Task.IMAGE);
            small.onEstimate = n -> {
                throw new NullPointerException("a bug in small's estimate");
            };
            assertThatThrownBy(() -> engine.generateImage(image("native", 256), null))
                    .isInstanceOf(NullPointerException.class).hasMessage("a bug in small's estimate");
            TaskVariants variants = engine.variantsOf(Task.IMAGE);
            assertThatThrownBy(() -> variants.check(image("native", 256)))
                    .isInstanceOf(NullPointerException.class).hasMessage("a bug in small's estimate");
            assertThat(big.batches).isEmpty();
            small.onEstimate = null;
            assertThat(await(engine.generateImage(image("native", 256), null).result())).isNotNull();
        }
    }

    @Test
    void theVariantsShareTheTasksQueueCapacity() throws Exception {
        FakeModels files = new FakeModels(dir);
        smallProvider.openGate = new CountDownLatch(1); // each dispatcher takes its first request and waits in the load
        bigProvider.openGate = new CountDownLatch(1);
        try (Engine engine = split(files, 50, 50).queueCapacity(2).build()) {
            int refused = 0;
            List<Job<ImageResult>> accepted = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                try {
                    accepted.add(engine.generateImage(image("q " + i, 16), null));
                } catch (QueueFullException e) {
                    refused++;
                }
            }
            assertThat(engine.queueDepth(Task.IMAGE)).isLessThanOrEqualTo(2);
            assertThat(accepted.size()).isLessThanOrEqualTo(2 + 2); // the task's 2 plus at most one taken per lane
            assertThat(refused).isGreaterThanOrEqualTo(8);
            smallProvider.openGate.countDown();
            bigProvider.openGate.countDown();
            for (Job<ImageResult> job : accepted) await(job.result());
        }
    }

    @Test
    void theQueueDepthGaugeEndsOnTheSumOfTheVariantsQueues() throws Exception {
        List<Integer> published = new CopyOnWriteArrayList<>();
        AtomicBoolean slowOnce = new AtomicBoolean();
        EngineListener gauge = new EngineListener() {
            @Override
            public void queueDepth(Task task, int depth) {
                if (depth == 1 && slowOnce.compareAndSet(true, false)) {
                    try {
                        Thread.sleep(400); // the other lane publishes meanwhile, unless it waits for this one
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                published.add(depth);
            }
        };
        small.onValidate = r -> {
            if (r.prompt().startsWith("B")) throw new InvalidRequestException("prompt", "not for small");
        };
        big.onValidate = r -> {
            if (r.prompt().startsWith("A")) throw new InvalidRequestException("prompt", "not for big");
        };
        try (Engine engine = ninetyTen(new FakeModels(dir)).concurrentBatches(2).listener(gauge).build()) {
            engine.load(Task.IMAGE);
            small.hold();
            big.hold();
            Job<ImageResult> a0 = engine.generateImage(image("A0", 16), null);
            small.awaitStart();
            Job<ImageResult> b0 = engine.generateImage(image("B0", 16), null);
            big.awaitStart();
            slowOnce.set(true);
            CompletableFuture<Job<ImageResult>> a1 = CompletableFuture.supplyAsync(() -> engine.generateImage(image("A1", 16), null));
            Thread.sleep(100);
            Job<ImageResult> b1 = engine.generateImage(image("B1", 16), null);
            a1.get(10, TimeUnit.SECONDS);
            assertThat(engine.queueDepth(Task.IMAGE)).isEqualTo(2);
            assertThat(published.getLast()).as("published %s", published).isEqualTo(2);
            small.release();
            big.release();
            for (Job<ImageResult> job : List.of(a0, b0, a1.get(), b1)) await(job.result());
        }
    }

    @Test
    void costEstimatesRunOutsideTheQueueLockSoSubmittersNeverWaitForThem() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().memoryBudget(1L << 30).build()) {
            engine.load(Task.IMAGE);
            fakes.image.hold();
            Job<ImageResult> blocker = engine.generateImage(image("blocker", 16), null);
            fakes.image.awaitStart();
            Job<ImageResult> a = engine.generateImage(image("a", 16), null);
            Job<ImageResult> b = engine.generateImage(image("b", 16), null);
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            fakes.image.onEstimate = n -> {
                if (n < 2) return;
                entered.countDown();
                try {
                    gate.await(10, TimeUnit.SECONDS); // a slow graph plan for the batch [a, b]
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            fakes.image.release();
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Job<ImageResult>> c = CompletableFuture.supplyAsync(() -> engine.generateImage(image("c", 16), null));
            try {
                c.get(3, TimeUnit.SECONDS); // times out when the estimate holds the queue's lock
                assertThat(engine.queueDepth(Task.IMAGE)).isPositive();
            } finally {
                gate.countDown();
            }
            for (Job<ImageResult> job : List.of(blocker, a, b, c.get())) await(job.result());
        }
    }

    @Test
    void aFailingBatchEstimateLeavesTheRequestForAnotherBatchInsteadOfFailingOne() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().memoryBudget(1L << 30).build()) {
            engine.load(Task.IMAGE);
            fakes.image.hold();
            Job<ImageResult> blocker = engine.generateImage(image("blocker", 16), null);
            fakes.image.awaitStart();
            List<Job<ImageResult>> jobs = new ArrayList<>();
            for (int i = 0; i < 3; i++) jobs.add(engine.generateImage(image("r" + i, 16), null));
            fakes.image.onEstimate = n -> {
                if (n >= 2) throw new IllegalStateException("could not plan the graph of a batch of " + n);
            };
            fakes.image.release();
            await(blocker.result());
            for (Job<ImageResult> job : jobs) assertThat(await(job.result()).batchSize()).isEqualTo(1);
        }
    }
}
