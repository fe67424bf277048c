package mmgp.engine;

import static mmgp.engine.FakeModels.await;
import static mmgp.engine.FakeModels.drawing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Dynamic batching: who shares a model call, and in which order batches run. */
@Timeout(30)
class EngineBatchingTest {
    @TempDir
    Path dir;

    private static ImageRequest drawing(String prompt, int steps) {
        return new ImageRequest(prompt, ImageOptions.defaults().withSteps(steps).withSize(16, 16).withSeed(steps));
    }

    @Test
    void concurrentCompatibleRequestsShareOneBatch() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        // A long maxWait: the batch can only start early by filling up, which is what batching must do.
        try (Engine engine = fakes.builder().maxBatch(4).maxWait(Duration.ofSeconds(20)).build();
             ExecutorService callers = Executors.newFixedThreadPool(4)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Job<ImageResult>>> submissions = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                long seed = 100 + i;
                Callable<Job<ImageResult>> submit = () -> {
                    go.await();
                    return engine.generateImage(FakeModels.drawing("cat " + seed, seed), null);
                };
                submissions.add(callers.submit(submit));
            }
            go.countDown();
            for (int i = 0; i < 4; i++) {
                ImageResult result = await(await(submissions.get(i)).result());
                assertThat(result.seed()).as("each caller gets its own result").isEqualTo(100 + i);
                assertThat(result.batchSize()).isEqualTo(4);
            }
            assertThat(fakes.image.batches).hasSize(1);
            assertThat(fakes.image.batches.getFirst()).containsExactlyInAnyOrder("cat 100", "cat 101", "cat 102", "cat 103");
            assertThat(fakes.listener.startingWith("batch")).containsExactly("batch image 4");
        }
    }

    @Test
    void requestsWithDifferentKeysRunInSeparateBatchesInArrivalOrder() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().maxBatch(4).build()) {
            fakes.image.hold();
            Job<ImageResult> blocker = engine.generateImage(drawing("blocker", 1), null);
            fakes.image.awaitStart();
            List<Job<ImageResult>> jobs = new ArrayList<>();
            String[] prompts = {"a", "b", "c", "d", "e"};
            int[] steps = {2, 3, 2, 3, 2};
            for (int i = 0; i < prompts.length; i++) jobs.add(engine.generateImage(drawing(prompts[i], steps[i]), null));
            assertThat(engine.queueDepth(Task.IMAGE)).isEqualTo(5);
            fakes.image.release();
            await(blocker.result());
            for (Job<ImageResult> job : jobs) await(job.result());
            assertThat(fakes.image.batches).containsExactly(List.of("blocker"), List.of("a", "c", "e"), List.of("b", "d"));
            assertThat(engine.queueDepth(Task.IMAGE)).isZero();
        }
    }

    @Test
    void batchesNeverExceedTheEnginesOrTheModelsMaximum() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        for (int[] limits : new int[][] {{3, 8}, {8, 2}}) { // {engine maxBatch, model maxBatch}
            fakes.image.batches.clear();
            fakes.image.started.clear();
            fakes.image.maxBatch = limits[1];
            try (Engine engine = fakes.builder().maxBatch(limits[0]).build()) {
                fakes.image.hold();
                Job<ImageResult> blocker = engine.generateImage(drawing("blocker", 1), null);
                fakes.image.awaitStart();
                List<Job<ImageResult>> jobs = new ArrayList<>();
                for (int i = 0; i < 5; i++) jobs.add(engine.generateImage(drawing("p" + i, 2), null));
                fakes.image.release();
                await(blocker.result());
                for (Job<ImageResult> job : jobs) await(job.result());
                List<Integer> sizes = fakes.image.batches.stream().skip(1).map(List::size).toList();
                int limit = Math.min(limits[0], limits[1]);
                assertThat(sizes).as("limits " + limits[0] + "/" + limits[1])
                        .containsExactly(limit == 3 ? new Integer[] {3, 2} : new Integer[] {2, 2, 1});
            }
        }
    }

    @Test
    void aLoneRequestRunsAloneAfterWaitingMaxWaitForCompany() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        Duration maxWait = Duration.ofMillis(150);
        try (Engine engine = fakes.builder().maxWait(maxWait).build()) {
            engine.load(Task.IMAGE);
            long start = System.nanoTime();
            ImageResult result = await(engine.generateImage(drawing("alone", 2), null).result());
            long elapsed = System.nanoTime() - start;
            assertThat(result.batchSize()).isEqualTo(1);
            assertThat(elapsed).as("the dispatcher waited for companions").isGreaterThanOrEqualTo(maxWait.toNanos());
        }
    }

    @Test
    void aFullQueueRefusesAtOnceAndLosesNothingItAccepted() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().queueCapacity(4).maxBatch(8).build();
             ExecutorService callers = Executors.newFixedThreadPool(8)) {
            fakes.image.hold();
            Job<ImageResult> blocker = engine.generateImage(drawing("blocker", 1), null);
            fakes.image.awaitStart(); // the dispatcher is inside the model: the queue only fills
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Job<ImageResult>>> submissions = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                long seed = i;
                submissions.add(callers.submit(() -> {
                    go.await();
                    return engine.generateImage(FakeModels.drawing("p" + seed, seed), null);
                }));
            }
            go.countDown();
            List<Job<ImageResult>> accepted = new ArrayList<>();
            int refused = 0;
            for (Future<Job<ImageResult>> submission : submissions) {
                try {
                    accepted.add(submission.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(QueueFullException.class)
                            .hasMessage("image queue is full (4 requests waiting); retry later");
                    refused++;
                }
            }
            assertThat(accepted).hasSize(4);
            assertThat(refused).isEqualTo(16);
            assertThat(engine.queueDepth(Task.IMAGE)).isEqualTo(4);
            assertThatThrownBy(() -> engine.generateImage(drawing("one more", 2), null)).isInstanceOf(QueueFullException.class);
            fakes.image.release();
            await(blocker.result());
            for (Job<ImageResult> job : accepted) assertThat(await(job.result()).batchSize()).isEqualTo(4);
        }
    }

    @Test
    void aFailingBatchIsRetriedOneRequestAtATime() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            fakes.image.hold();
            Job<ImageResult> blocker = engine.generateImage(drawing("blocker", 1), null);
            fakes.image.awaitStart();
            Job<ImageResult> ok1 = engine.generateImage(drawing("ok1", 2), null);
            Job<ImageResult> bad = engine.generateImage(drawing("fail me", 2), null);
            Job<ImageResult> ok2 = engine.generateImage(drawing("ok2", 2), null);
            fakes.image.release();
            await(blocker.result());
            assertThat(await(ok1.result()).batchSize()).isEqualTo(1);
            assertThat(await(ok2.result()).batchSize()).isEqualTo(1);
            assertThatThrownBy(() -> await(bad.result())).cause()
                    .isInstanceOf(IllegalStateException.class).hasMessage("cannot handle 'fail me'");
            assertThat(fakes.image.batches).containsExactly(List.of("blocker"), List.of("ok1", "fail me", "ok2"),
                    List.of("ok1"), List.of("fail me"), List.of("ok2"));
            assertThat(fakes.listener.startingWith("ended")).containsExactlyInAnyOrder(
                    "ended image done", "ended image done", "ended image done", "ended image failed");
        }
    }

    @Test
    void aModelMayAnswerWithAnImmutableList() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        fakes.image.immutableResults = true;
        try (Engine engine = fakes.builder().maxBatch(1).build()) {
            assertThat(await(engine.generateImage(drawing("one", 2), null).result()).seed()).isEqualTo(2);
        }
    }

    @Test
    void aListenerThatLeavesTheDispatcherInterruptedDoesNotStopIt() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        // Progress events run on the dispatcher thread (a future callback might run on the waiting test thread instead).
        mmgp.api.ProgressListener interrupting = new mmgp.api.ProgressListener() {
            @Override
            public void step(String stage, int done, int total, double seconds) {
                Thread.currentThread().interrupt(); // as a listener that caught and restored an interrupt would
            }
        };
        try (Engine engine = fakes.builder().build()) {
            await(engine.generateImage(drawing("first", 2), interrupting).result());
            assertThat(await(engine.generateImage(drawing("second", 2), null).result()).seed()).isEqualTo(2);
            assertThat(await(engine.generateImage(drawing("third", 3), null).result()).seed()).isEqualTo(3);
        }
    }

    @Test
    void theListenerHearsQueueDepthBatchesStageTimingsAndTokens() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        List<String> depths = new java.util.concurrent.CopyOnWriteArrayList<>();
        EngineListener both = new EngineListener() {
            @Override
            public void queueDepth(Task task, int depth) {
                depths.add(task.label() + " " + depth);
            }

            @Override
            public void stageTimed(Task task, String stage, double seconds) {
                fakes.listener.stageTimed(task, stage, seconds);
            }

            @Override
            public void tokensGenerated(int tokens, double tokensPerSecond) {
                fakes.listener.tokensGenerated(tokens, tokensPerSecond);
            }
        };
        try (Engine engine = fakes.builder().listener(both).build()) {
            await(engine.understand(new mmgp.api.UnderstandRequest(mmgp.api.Media.video(fakes.file("clip.mp4")), "what happens?",
                    mmgp.api.UnderstandOptions.defaults()), null).result());
            assertThat(depths).containsExactly("understand 1", "understand 0");
            assertThat(fakes.listener.events).containsExactly("stage understand generate", "stage understand decode", "tokens 4");
        }
    }

    @Test
    void oneComputePermitKeepsTwoTasksFromComputingAtOnce() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        var question = new mmgp.api.UnderstandRequest(mmgp.api.Media.video(fakes.file("clip.mp4")), "what happens?",
                mmgp.api.UnderstandOptions.defaults());
        try (Engine engine = fakes.builder().build()) {
            fakes.image.hold();
            Job<ImageResult> drawing = engine.generateImage(drawing("blocker", 1), null);
            fakes.image.awaitStart();
            var answer = engine.understand(question, null);
            assertThat(fakes.understand.started.poll(300, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .as("the caption waits for the image batch's permit").isNull();
            fakes.image.release();
            await(drawing.result());
            assertThat(await(answer.result()).text()).isEqualTo("a caption about clip.mp4");
        }
        try (Engine engine = fakes.builder().concurrentBatches(2).build()) {
            fakes.image.hold();
            Job<ImageResult> drawing = engine.generateImage(drawing("blocker", 1), null);
            fakes.image.awaitStart();
            var answer = engine.understand(question, null);
            assertThat(fakes.understand.awaitStart()).as("with two permits both compute").isEqualTo(1);
            assertThat(await(answer.result()).text()).isEqualTo("a caption about clip.mp4");
            fakes.image.release();
            await(drawing.result());
        }
    }
}
