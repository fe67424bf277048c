package mmgp.engine;

import static mmgp.engine.FakeModels.await;
import static mmgp.engine.FakeModels.drawing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import mmgp.api.ImageResult;
import mmgp.api.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Shutting down: queued work is cancelled, running work finishes, models close, new work is refused. */
@Timeout(30)
class EngineCloseTest {
    @TempDir
    Path dir;

    @Test
    void closeCancelsQueuedRequestsWaitsForTheRunningBatchAndRejectsNewOnes() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        Engine engine = fakes.builder().build();
        fakes.image.hold();
        Job<ImageResult> running = engine.generateImage(drawing("running", 1), null);
        fakes.image.awaitStart();
        Job<ImageResult> queued = engine.generateImage(drawing("queued", 2), null);

        Thread closer = Thread.ofPlatform().start(engine::close);
        assertThat(FakeModels.failure(queued.result())).isInstanceOf(CancellationException.class).hasMessage("engine is closed");
        assertThat(running.result()).isNotDone();
        assertThatThrownBy(() -> engine.generateImage(drawing("late", 2), null))
                .isInstanceOf(IllegalStateException.class).hasMessage("engine is closed");
        assertThatThrownBy(() -> engine.load(Task.VIDEO)).hasMessage("engine is closed");
        assertThat(fakes.image.closed).as("not while its batch runs").isFalse();

        fakes.image.release();
        assertThat(await(running.result()).seed()).isEqualTo(1);
        closer.join(Duration.ofSeconds(10));
        assertThat(closer.isAlive()).isFalse();
        assertThat(fakes.image.closed).isTrue();
        assertThat(fakes.video.closed).as("never loaded, nothing to close").isFalse();
        engine.close(); // idempotent
        assertThat(fakes.image.batches).hasSize(1);
    }

    @Test
    void aBatchThatOverstaysTheCloseTimeoutIsCancelledAndItsModelClosedOnlyWhenItStops() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        Engine engine = fakes.builder().closeTimeout(Duration.ofMillis(50)).build();
        fakes.image.hold();
        Job<ImageResult> stuck = engine.generateImage(drawing("stuck", 3), null);
        fakes.image.awaitStart();
        engine.close();
        assertThat(stuck.result()).isCancelled();
        assertThat(fakes.image.closed).as("freeing a model under a running batch could crash it").isFalse();
        fakes.image.release();
        awaitClosed(fakes.image);
        assertThat(fakes.image.stoppedByCancel).as("the model stopped at its first check").hasValue(1);
    }

    @Test
    void aModelWhoseLoadEndsAfterCloseIsClosedToo() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        fakes.imageProvider.openGate = new CountDownLatch(1);
        Engine engine = fakes.builder().closeTimeout(Duration.ofMillis(50)).build();
        Job<ImageResult> waiting = engine.generateImage(drawing("waiting", 3), null);
        while (fakes.imageProvider.opens.get() == 0) Thread.sleep(5); // the dispatcher is inside open()
        engine.close();
        fakes.imageProvider.openGate.countDown();
        assertThat(FakeModels.failure(waiting.result())).isInstanceOf(CancellationException.class);
        awaitClosed(fakes.image);
        assertThat(fakes.image.batches).isEmpty();
    }

    @Test
    void aResultCallbackMayCloseTheEngine() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        // A dispatcher that waited for itself would hold close() for twice this timeout, past the test's limit.
        Engine engine = fakes.builder().closeTimeout(Duration.ofSeconds(30)).build();
        fakes.image.hold();
        Job<ImageResult> job = engine.generateImage(drawing("last", 2), null);
        fakes.image.awaitStart();
        AtomicReference<String> callbackThread = new AtomicReference<>();
        CompletableFuture<Void> closedInCallback = job.result().thenRun(() -> {
            callbackThread.set(Thread.currentThread().getName());
            engine.close();
        });
        fakes.image.release();
        closedInCallback.get(20, TimeUnit.SECONDS);
        assertThat(callbackThread.get()).as("the callback ran on the dispatcher").isEqualTo("mmgp-image");
        awaitClosed(fakes.image);
        assertThatThrownBy(() -> engine.generateImage(drawing("late", 2), null)).hasMessage("engine is closed");
    }

    private static void awaitClosed(FakeImageModel model) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!model.closed && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(model.closed).as("the model is closed once its dispatcher stops").isTrue();
    }
}
