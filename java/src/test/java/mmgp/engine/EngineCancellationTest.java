package mmgp.engine;

import static mmgp.engine.FakeModels.await;
import static mmgp.engine.FakeModels.drawing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import mmgp.api.ImageResult;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Cancelling queued and running requests, through the job, its future or the caller's listener. */
@Timeout(30)
class EngineCancellationTest {
    @TempDir
    Path dir;

    @Test
    void aQueuedRequestLeavesTheQueueAtOnceAndNeverRuns() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            fakes.image.hold();
            Job<ImageResult> blocker = engine.generateImage(drawing("blocker", 1), null);
            fakes.image.awaitStart();
            Job<ImageResult> dropped = engine.generateImage(drawing("dropped", 2), null);
            Job<ImageResult> kept = engine.generateImage(drawing("kept", 3), null);
            assertThat(engine.queueDepth(Task.IMAGE)).isEqualTo(2);

            assertThat(dropped.cancel()).isTrue();
            assertThat(dropped.result()).isCancelled(); // before the model moved on
            assertThat(dropped.isCancelled()).isTrue();
            assertThat(engine.queueDepth(Task.IMAGE)).isEqualTo(1);
            assertThat(dropped.cancel()).as("already finished").isFalse();

            fakes.image.release();
            await(blocker.result());
            assertThat(await(kept.result()).seed()).isEqualTo(3);
            assertThat(fakes.image.batches).containsExactly(List.of("blocker"), List.of("kept"));
            assertThat(kept.cancel()).isFalse();
        }
    }

    @Test
    void cancellingTheFutureCancelsTheJob() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            fakes.image.hold();
            Job<ImageResult> blocker = engine.generateImage(drawing("blocker", 1), null);
            fakes.image.awaitStart();
            Job<ImageResult> dropped = engine.generateImage(drawing("dropped", 2), null);
            assertThat(dropped.result().cancel(true)).isTrue();
            assertThat(dropped.isCancelled()).isTrue();
            assertThat(engine.queueDepth(Task.IMAGE)).isZero();
            fakes.image.release();
            await(blocker.result());
            assertThat(fakes.image.batches).containsExactly(List.of("blocker"));
        }
    }

    @Test
    void aRunningRequestEndsAtOnceAndTheModelStopsAtItsNextCheck() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            fakes.image.hold();
            Job<ImageResult> running = engine.generateImage(drawing("running", 5), null);
            fakes.image.awaitStart();
            assertThat(running.cancel()).isTrue();
            assertThat(running.result()).isCancelled();
            fakes.image.release();
            await(engine.generateImage(drawing("next", 2), null).result()); // the dispatcher is past the cancelled batch
            assertThat(fakes.image.stoppedByCancel).hasValue(1);
            assertThat(fakes.listener.startingWith("ended")).containsExactly("ended image cancelled", "ended image done");
        }
    }

    @Test
    void theCallersListenerCanCancelARunningRequest() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        AtomicBoolean stop = new AtomicBoolean();
        ProgressListener caller = new ProgressListener() {
            @Override
            public boolean cancelled() {
                return stop.get();
            }
        };
        try (Engine engine = fakes.builder().build()) {
            fakes.image.hold();
            Job<ImageResult> running = engine.generateImage(drawing("running", 5), caller);
            fakes.image.awaitStart();
            stop.set(true);
            fakes.image.release();
            assertThatThrownBy(() -> await(running.result())).isInstanceOf(CancellationException.class);
            assertThat(fakes.image.stoppedByCancel).hasValue(1);
        }
    }

    @Test
    void cancellingOneRequestOfABatchLeavesTheOthersRunning() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().maxBatch(2).maxWait(Duration.ofSeconds(20)).build()) {
            fakes.image.hold();
            Job<ImageResult> cancelled = engine.generateImage(drawing("cancelled", 3), null);
            Job<ImageResult> kept = engine.generateImage(drawing("kept", 3), null);
            assertThat(fakes.image.awaitStart()).isEqualTo(2);
            cancelled.cancel();
            fakes.image.release();
            assertThat(await(kept.result()).batchSize()).isEqualTo(2);
            assertThat(cancelled.result()).isCancelled();
            assertThat(fakes.image.stoppedByCancel).hasValue(0);
        }
    }

    @Test
    void progressReachesEveryCallerOfABatch() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        List<String> first = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> second = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Engine engine = fakes.builder().maxBatch(2).maxWait(Duration.ofSeconds(20)).build()) {
            Job<ImageResult> a = engine.generateImage(drawing("a", 2), recorder(first));
            Job<ImageResult> b = engine.generateImage(drawing("b", 2), recorder(second));
            assertThat(await(a.result()).batchSize()).isEqualTo(2);
            await(b.result());
            assertThat(first).containsExactly("denoise 1/3", "denoise 2/3", "denoise 3/3", "stage denoise").isEqualTo(second);
        }
    }

    @Test
    void aCallerWhoCancelsHearsNothingMoreFromTheBatch() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        List<String> gone = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> staying = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Engine engine = fakes.builder().maxBatch(2).maxWait(Duration.ofSeconds(20)).build()) {
            fakes.image.hold();
            Job<ImageResult> a = engine.generateImage(drawing("a", 2), recorder(gone));
            Job<ImageResult> b = engine.generateImage(drawing("b", 2), recorder(staying));
            assertThat(fakes.image.awaitStart()).isEqualTo(2);
            a.cancel();
            fakes.image.release();
            await(b.result());
            assertThat(gone).isEmpty();
            assertThat(staying).containsExactly("denoise 1/3", "denoise 2/3", "denoise 3/3", "stage denoise");
        }
    }

    private static ProgressListener recorder(List<String> events) {
        return new ProgressListener() {
            @Override
            public void step(String stage, int done, int total, double seconds) {
                events.add(stage + " " + done + "/" + total);
            }

            @Override
            public void stage(String stage, double seconds) {
                events.add("stage " + stage);
            }
        };
    }
}
