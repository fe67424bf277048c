package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.PipelineOptions;
import mmgp.api.PipelineResult;
import mmgp.api.Task;
import mmgp.api.UnderstandOptions;
import mmgp.api.VideoOptions;
import mmgp.bindings.NativeLibraries;
import mmgp.engine.Engine;
import mmgp.engine.Job;
import mmgp.models.QuietLlama;
import mmgp.models.smolvlm.SampleClip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine with the three providers found by the ServiceLoader, on the tiny fixtures. */
class EngineEndToEndTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    @TempDir
    Path dir;

    static Engine.Builder engine() {
        return Engine.builder()
                .model(Task.UNDERSTAND, FIXTURES.resolve("smolvlm2_processor/checkpoint"))
                .model(Task.IMAGE, FIXTURES.resolve("amused/checkpoint"))
                .model(Task.VIDEO, FIXTURES.resolve("ltx_video/checkpoint"))
                .threads(2);
    }

    @Test
    void threeConcurrentImagesShareOneBatchAndEachEqualsItsSoloRun() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        ImageOptions o = ImageOptions.defaults().withSteps(3).withGuidance(4f);
        List<ImageRequest> requests = List.of(new ImageRequest("a red car", o.withSeed(1)), new ImageRequest("a tree", o.withSeed(2)),
                new ImageRequest("a red car", o.withSeed(3)));
        List<ImageResult> batched = new ArrayList<>();
        // Batches of three: the batch starts as soon as the third request arrives; the long wait only keeps a slow machine from splitting it.
        try (Engine engine = engine().maxBatch(3).maxWait(Duration.ofSeconds(30)).build()) {
            engine.load(Task.IMAGE);
            List<Job<ImageResult>> jobs = new ArrayList<>();
            for (ImageRequest r : requests) jobs.add(engine.generateImage(r, null));
            for (Job<ImageResult> job : jobs) batched.add(job.result().get(60, TimeUnit.SECONDS));
        }
        assertThat(batched).extracting(ImageResult::batchSize).containsExactly(3, 3, 3);
        // Batches of one: no waiting for companions.
        try (Engine engine = engine().maxBatch(1).build()) {
            for (int i = 0; i < 3; i++) {
                ImageResult alone = engine.generateImage(requests.get(i), null).result().get(60, TimeUnit.SECONDS);
                assertThat(alone.batchSize()).isEqualTo(1);
                assertThat(batched.get(i).rgb()).as("image %d", i).containsExactly(alone.rgb());
            }
        }
    }

    @Test
    void thePipelineCaptionsAVideoThenDrawsAndFilmsTheCaption() throws Exception {
        QuietLlama.require();
        Path video = SampleClip.write(dir.resolve("clip.mp4"));
        PipelineOptions options = new PipelineOptions("Describe this video in one sentence.", UnderstandOptions.defaults().withMaxNewTokens(8),
                ImageOptions.defaults().withSteps(2), VideoOptions.defaults().withSize(9, 64, 32).withSteps(2));
        RecordingListener progress = new RecordingListener();
        try (Engine engine = engine().build()) {
            PipelineResult r = engine.pipeline(video, options, progress).result().get(120, TimeUnit.SECONDS);
            assertThat(r.complete()).as("failed stage %s: %s", r.failedStage(), r.error()).isTrue();
            assertThat(r.caption().text()).isNotBlank();
            assertThat(r.caption().framesUsed()).isEqualTo(3);
            assertThat(r.image().rgb()).hasSize(3 * r.image().width() * r.image().height());
            assertThat(r.video().frames()).isEqualTo(9);
            assertThat(r.video().rgb()).hasSize(3 * 9 * 64 * 32);
            assertThat(r.timings().seconds()).containsKeys("caption", "image", "video");
            assertThat(progress.pieces).isNotEmpty();
            assertThat(progress.text()).isEqualTo(r.caption().text());
        }
    }

    @Test
    void thePipelinesVideoStartsFromItsImageUnlessToldNotTo() throws Exception {
        QuietLlama.require();
        Path video = SampleClip.write(dir.resolve("clip.mp4"));
        VideoOptions vo = VideoOptions.defaults().withSize(9, 64, 32).withSteps(2).withSeed(3);
        PipelineOptions options = new PipelineOptions("Describe this video in one sentence.", UnderstandOptions.defaults().withMaxNewTokens(6),
                ImageOptions.defaults().withSteps(2), vo);
        try (Engine engine = engine().build()) {
            PipelineResult from = engine.pipeline(video, options, null).result().get(180, TimeUnit.SECONDS);
            PipelineResult apart = engine.pipeline(video, options.withVideoFromImage(false), null).result().get(180, TimeUnit.SECONDS);
            assertThat(from.complete()).as("%s: %s", from.failedStage(), from.error()).isTrue();
            assertThat(apart.complete()).as("%s: %s", apart.failedStage(), apart.error()).isTrue();
            assertThat(from.caption().text()).isEqualTo(apart.caption().text());
            // Off: text to video from the caption. On: the same request started from the pipeline's image.
            Path png = dir.resolve("start.png");
            from.image().writePng(png);
            var textOnly = engine.generateVideo(new mmgp.api.VideoRequest(from.caption().text().strip(), vo), null).result().get(120, TimeUnit.SECONDS);
            var fromPng = engine.generateVideo(new mmgp.api.VideoRequest(from.caption().text().strip(), vo).withStartImage(png), null)
                    .result().get(120, TimeUnit.SECONDS);
            assertThat(apart.video().rgb()).containsExactly(textOnly.rgb());
            assertThat(from.video().rgb()).containsExactly(fromPng.rgb());
            assertThat(from.video().rgb()).isNotEqualTo(apart.video().rgb());
        }
    }
}
