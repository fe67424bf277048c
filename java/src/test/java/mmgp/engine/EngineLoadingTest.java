package mmgp.engine;

import static mmgp.engine.FakeModels.await;
import static mmgp.engine.FakeModels.drawing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Lazy loading (once, shared), load failures that are not remembered, and validation around the load. */
@Timeout(30)
class EngineLoadingTest {
    @TempDir
    Path dir;

    @Test
    void concurrentFirstRequestsLoadTheModelOnce() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        fakes.imageProvider.openGate = new CountDownLatch(1);
        try (Engine engine = fakes.builder().build(); ExecutorService callers = Executors.newFixedThreadPool(8)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Job<ImageResult>>> submissions = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                long seed = i;
                submissions.add(callers.submit(() -> {
                    go.await();
                    return engine.generateImage(drawing("cat " + seed, seed), null);
                }));
            }
            go.countDown();
            List<Job<ImageResult>> jobs = new ArrayList<>();
            for (Future<Job<ImageResult>> submission : submissions) jobs.add(await(submission)); // submitting never waits for the load
            assertThat(engine.isLoaded(Task.IMAGE)).isFalse();
            fakes.imageProvider.openGate.countDown();
            for (int i = 0; i < jobs.size(); i++) assertThat(await(jobs.get(i).result()).seed()).isEqualTo(i);
            assertThat(fakes.imageProvider.opens).hasValue(1);
            assertThat(engine.isLoaded(Task.IMAGE)).isTrue();
            assertThat(fakes.listener.startingWith("loaded")).containsExactly("loaded image");
        }
    }

    @Test
    void theProviderOpensTheModelWithTheEnginesNumericsFastUnlessToldOtherwise() {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            engine.load(Task.IMAGE);
        }
        assertThat(fakes.imageProvider.numerics).isEqualTo(mmgp.graph.Numerics.FAST);
        for (mmgp.graph.Numerics n : mmgp.graph.Numerics.values()) {
            FakeModels chosen = new FakeModels(dir);
            try (Engine engine = chosen.builder().numerics(n).build()) {
                engine.load(Task.IMAGE);
            }
            assertThat(chosen.imageProvider.numerics).isEqualTo(n);
        }
        assertThatThrownBy(() -> fakes.builder().numerics(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("numerics");
    }

    @Test
    void aLoadFailureFailsTheWaitingRequestsAndTheNextRequestLoadsAgain() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        fakes.imageProvider.failuresLeft.set(1);
        fakes.imageProvider.openGate = new CountDownLatch(1);
        try (Engine engine = fakes.builder().build()) {
            Job<ImageResult> first = engine.generateImage(drawing("a cat", 1), null);
            Job<ImageResult> second = engine.generateImage(drawing("a dog", 2), null);
            fakes.imageProvider.openGate.countDown();
            for (Job<ImageResult> job : List.of(first, second)) {
                assertThatThrownBy(() -> await(job.result()))
                        .isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(ModelLoadException.class)
                        .hasMessageContaining("could not load the image model")
                        .hasMessageContaining("(fakeimage): truncated tensor data in fakeimage-tiny.gguf");
            }
            assertThat(engine.isLoaded(Task.IMAGE)).isFalse();
            assertThat(await(engine.generateImage(drawing("a bird", 3), null).result()).seed()).isEqualTo(3);
            assertThat(fakes.imageProvider.opens).hasValue(2);
            assertThat(engine.isLoaded(Task.IMAGE)).isTrue();
        }
    }

    @Test
    void eagerLoadReportsFailureToTheCallerAndCanBeRetried() {
        FakeModels fakes = new FakeModels(dir);
        fakes.videoProvider.failuresLeft.set(1);
        try (Engine engine = fakes.builder().build()) {
            assertThatThrownBy(() -> engine.load(Task.VIDEO)).isInstanceOf(ModelLoadException.class).hasMessageContaining("video model");
            assertThat(engine.isLoaded(Task.VIDEO)).isFalse();
            engine.load(Task.VIDEO);
            engine.load(Task.VIDEO);
            assertThat(engine.isLoaded(Task.VIDEO)).isTrue();
            assertThat(fakes.videoProvider.opens).hasValue(2);
        }
    }

    /** A model that fails to take the engine's memory budget is closed (it holds native memory) and the load fails as a load. */
    @Test
    void aModelFailingToTakeTheMemoryBudgetIsClosedAndFailsTheLoad() {
        FakeModels fakes = new FakeModels(dir);
        fakes.video.failMemoryBudget = new IllegalStateException("no budget for you");
        try (Engine engine = fakes.builder().build()) {
            assertThatThrownBy(() -> engine.load(Task.VIDEO))
                    .isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("video model")
                    .hasRootCauseMessage("no budget for you");
            assertThat(fakes.video.closed).as("the opened model was closed").isTrue();
            assertThat(engine.isLoaded(Task.VIDEO)).isFalse();
        }
    }

    @Test
    void aLoadedModelRefusesABadRequestInTheCallersThread() {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            engine.load(Task.IMAGE);
            ImageRequest odd = new ImageRequest("a cat", ImageOptions.defaults().withSize(17, 16));
            assertThatThrownBy(() -> engine.generateImage(odd, null))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessage("width: must be a multiple of 16, got 17");
            assertThat(engine.queueDepth(Task.IMAGE)).isZero();
        }
    }

    @Test
    void aBadRequestSubmittedBeforeTheLoadFailsAloneThroughItsFuture() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        fakes.imageProvider.openGate = new CountDownLatch(1);
        try (Engine engine = fakes.builder().build()) {
            Job<ImageResult> good = engine.generateImage(drawing("a cat", 1), null);
            Job<ImageResult> odd = engine.generateImage(new ImageRequest("a dog", ImageOptions.defaults().withSteps(3).withSize(17, 16)), null);
            Job<ImageResult> alsoGood = engine.generateImage(drawing("a bird", 2), null);
            fakes.imageProvider.openGate.countDown();
            assertThatThrownBy(() -> await(odd.result())).cause()
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessage("width: must be a multiple of 16, got 17");
            assertThat(await(good.result()).seed()).isEqualTo(1);
            assertThat(await(alsoGood.result()).seed()).isEqualTo(2);
            assertThat(fakes.image.batches).allSatisfy(batch -> assertThat(batch).doesNotContain("a dog"));
            assertThat(fakes.listener.startingWith("ended image")).containsExactlyInAnyOrder("ended image done", "ended image done", "ended image failed");
        }
    }
}
