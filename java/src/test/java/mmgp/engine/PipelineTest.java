package mmgp.engine;

import static mmgp.engine.FakeModels.await;
import static mmgp.engine.FakeModels.drawing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutionException;
import mmgp.api.ImageOptions;
import mmgp.api.InvalidRequestException;
import mmgp.api.PipelineOptions;
import mmgp.api.PipelineResult;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.api.UnderstandOptions;
import mmgp.api.VideoOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** caption → image → video: events, timings, partial results, cancellation. */
@Timeout(30)
class PipelineTest {
    @TempDir
    Path dir;

    private static final PipelineOptions OPTIONS = new PipelineOptions("Describe this video.", UnderstandOptions.defaults().withMaxNewTokens(8),
            ImageOptions.defaults().withSteps(2).withSize(16, 16), VideoOptions.defaults().withSize(9, 32, 32).withSteps(2));

    /** Records the pipeline's events as "kind stage" strings. */
    private static final class Events implements ProgressListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final CountDownLatch captionDone = new CountDownLatch(1);

        @Override
        public void step(String stage, int done, int total, double seconds) {
            events.add("step " + stage);
        }

        @Override
        public void stage(String stage, double seconds) {
            events.add("stage " + stage);
            if (stage.equals("caption")) captionDone.countDown();
        }

        @Override
        public void text(String stage, String piece) {
            events.add("text " + stage);
        }
    }

    @Test
    void captionDrivesTheImageAndTheVideoWithEventsInStageOrder() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        Events listener = new Events();
        try (Engine engine = fakes.builder().build()) {
            Job<PipelineResult> job = engine.pipeline(fakes.file("clip.mp4"), OPTIONS, listener);
            PipelineResult result = await(job.result());

            assertThat(result.complete()).isTrue();
            assertThat(result.caption().text()).isEqualTo("a caption about clip.mp4");
            assertThat(fakes.image.batches).containsExactly(List.of("a caption about clip.mp4"));
            assertThat(fakes.video.batches).containsExactly(List.of("a caption about clip.mp4"));
            assertThat(result.image()).isNotNull();
            assertThat(result.video().frames()).isEqualTo(9);
            assertThat(fakes.understand.batches).containsExactly(List.of("Describe this video."));
            assertThat(job.task()).isEqualTo(Task.VIDEO);

            assertThat(listener.events).containsExactly(
                    "step caption.generate", "step caption.generate", "step caption.generate", "stage caption.generate",
                    "text caption.generate", "text caption.generate", "text caption.generate", "text caption.generate",
                    "stage caption",
                    "step image.denoise", "step image.denoise", "stage image.denoise", "stage image",
                    "step video.denoise", "step video.denoise", "stage video.denoise", "stage video");
            assertThat(result.timings().seconds().keySet()).containsExactly(
                    "caption.generate", "caption.decode", "caption", "image.denoise", "image.decode", "image",
                    "video.denoise", "video.decode", "video");
        }
    }

    @Test
    void theVideoStartsFromTheImageUnlessTurnedOffOrTheModelCannot() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            assertThat(await(engine.pipeline(fakes.file("clip.mp4"), OPTIONS, null).result()).complete()).isTrue();
            assertThat(await(engine.pipeline(fakes.file("clip.mp4"), OPTIONS.withVideoFromImage(false), null).result()).complete()).isTrue();
            assertThat(fakes.video.startImages).containsExactly(true, false);
            fakes.video.textOnly = true;
            PipelineResult fallback = await(engine.pipeline(fakes.file("clip.mp4"), OPTIONS, null).result());
            assertThat(fallback.complete()).as(fallback.error()).isTrue();
            assertThat(fakes.video.startImages).containsExactly(true, false, false); // refused with the image, filmed without
        }
        try (var temps = java.nio.file.Files.list(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(temps.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("mmgp-pipeline-start-"));
        }
    }

    @Test
    void aFailingVideoStageKeepsTheCaptionAndTheImage() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        fakes.video.failEveryRun = new IllegalStateException("the VAE ran out of memory");
        try (Engine engine = fakes.builder().build()) {
            PipelineResult result = await(engine.pipeline(fakes.file("clip.mp4"), OPTIONS, null).result());
            assertThat(result.complete()).isFalse();
            assertThat(result.failedStage()).isEqualTo("video");
            assertThat(result.error()).isEqualTo("the VAE ran out of memory");
            assertThat(result.caption().text()).isEqualTo("a caption about clip.mp4");
            assertThat(result.image()).isNotNull();
            assertThat(result.video()).isNull();
            assertThat(result.timings().seconds()).containsKeys("caption", "image").doesNotContainKey("video");
        }
    }

    @Test
    void anEmptyCaptionFailsTheImageStageAndKeepsTheCaption() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            PipelineResult result = await(engine.pipeline(fakes.file("silent.mp4"), OPTIONS, null).result());
            assertThat(result.failedStage()).isEqualTo("image");
            assertThat(result.error()).isEqualTo("the caption is empty, so there is no prompt to draw or film");
            assertThat(result.caption().text()).isEmpty();
            assertThat(fakes.image.batches).isEmpty();
            assertThat(fakes.video.batches).isEmpty();
        }
    }

    @Test
    void cancellingDuringTheImageStopsItSkipsTheVideoAndKeepsTheCaption() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        Events listener = new Events();
        try (Engine engine = fakes.builder().build()) {
            fakes.image.hold();
            Job<PipelineResult> job = engine.pipeline(fakes.file("clip.mp4"), OPTIONS, listener);
            fakes.image.awaitStart();
            assertThat(job.task()).isEqualTo(Task.IMAGE);
            assertThat(job.cancel()).isTrue();
            PipelineResult result = await(job.result()); // completes while the model is still held: it need not wait for it
            fakes.image.release();

            assertThat(job.isCancelled()).isTrue();
            assertThat(result.failedStage()).isEqualTo("image");
            assertThat(result.error()).isEqualTo("cancelled");
            assertThat(result.caption().text()).isEqualTo("a caption about clip.mp4");
            assertThat(result.image()).isNull();
            assertThat(listener.events).contains("stage caption").doesNotContain("stage image");
            await(engine.generateImage(drawing("after", 2), null).result()); // the image dispatcher is past the cancelled batch
            assertThat(fakes.image.stoppedByCancel).hasValue(1);
            assertThat(fakes.video.batches).isEmpty();
            assertThat(job.cancel()).as("already finished").isFalse();
        }
    }

    @Test
    void cancellingDuringTheCaptionFailsThePipeline() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            fakes.understand.hold();
            Job<PipelineResult> job = engine.pipeline(fakes.file("clip.mp4"), OPTIONS, null);
            fakes.understand.awaitStart();
            job.cancel();
            assertThatThrownBy(() -> await(job.result())).isInstanceOf(CancellationException.class);
            fakes.understand.release();
            assertThat(fakes.image.batches).isEmpty();
        }
    }

    @Test
    void aFailingCaptionFailsThePipelineWithTheCaptionsError() {
        FakeModels fakes = new FakeModels(dir);
        fakes.understand.failEveryRun = new IllegalStateException("cannot decode the video");
        try (Engine engine = fakes.builder().build()) {
            Job<PipelineResult> job = engine.pipeline(fakes.file("clip.mp4"), OPTIONS, null);
            assertThatThrownBy(() -> await(job.result())).isInstanceOf(ExecutionException.class)
                    .cause().hasMessage("cannot decode the video");
        }
    }

    @Test
    void aFullQueueMakesTheStageWaitInsteadOfFail() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        // Two permits: the caption must compute while the image model is held.
        try (Engine engine = fakes.builder().queueCapacity(1).concurrentBatches(2).build()) {
            fakes.image.hold();
            Job<?> blocker = engine.generateImage(drawing("blocker", 1), null);
            fakes.image.awaitStart();
            Job<?> filler = engine.generateImage(drawing("filler", 1), null);
            Events listener = new Events();
            Job<PipelineResult> job = engine.pipeline(fakes.file("clip.mp4"), OPTIONS, listener);
            // The caption finishes; the image stage then finds its queue full and keeps retrying.
            assertThat(listener.captionDone.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(job.result()).isNotDone();
            fakes.image.release();
            assertThat(await(job.result()).complete()).isTrue();
            await(blocker.result());
            await(filler.result());
            assertThat(fakes.image.batches).containsExactly(List.of("blocker"), List.of("filler"), List.of("a caption about clip.mp4"));
        }
    }

    @Test
    void aMissingVideoFileIsRefusedBeforeAnythingRuns() {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            assertThatThrownBy(() -> engine.pipeline(dir.resolve("absent.mp4"), OPTIONS, null))
                    .isInstanceOf(InvalidRequestException.class).hasMessageStartingWith("video: no such file");
        }
    }

    @Test
    void optionsALoadedModelRefusesAreRefusedBeforeTheCaption() {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().build()) {
            engine.load(Task.IMAGE);
            PipelineOptions odd = new PipelineOptions("Describe.", UnderstandOptions.defaults(),
                    ImageOptions.defaults().withSize(20, 16), VideoOptions.defaults());
            assertThatThrownBy(() -> engine.pipeline(fakes.file("clip.mp4"), odd, null))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("width");
            assertThat(fakes.understand.batches).isEmpty();
        }
    }
}
