package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import mmgp.api.InvalidRequestException;
import mmgp.api.Media;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.api.UnderstandOptions;
import mmgp.api.UnderstandRequest;
import mmgp.api.UnderstandResult;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.models.QuietLlama;
import mmgp.models.smolvlm.SampleClip;
import mmgp.models.smolvlm.SmolVlmUnderstanding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SmolVLM2 provider on the tiny random-weight checkpoint with the real tokenizer and
 * processor (a Hugging Face folder: converted to F32 GGUFs on open).
 */
class SmolVlmProviderTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/fixtures/smolvlm2_processor/checkpoint");
    static final Path IMAGE = Path.of("src/test/resources/fixtures/smolvlm2_processor/golden/image.png");
    static final UnderstandOptions GREEDY = UnderstandOptions.defaults().withMaxNewTokens(12);

    @TempDir
    static Path dir;

    static BatchModel<UnderstandRequest, UnderstandResult> model;
    static Path video;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void open() throws Exception {
        QuietLlama.require();
        SmolVlmProvider provider = new SmolVlmProvider();
        assertThat(provider.task()).isEqualTo(Task.UNDERSTAND);
        assertThat(provider.family()).isEqualTo("smolvlm2");
        assertThat(provider.canOpen(CHECKPOINT)).isTrue();
        model = (BatchModel<UnderstandRequest, UnderstandResult>) provider.open(CHECKPOINT, 2, mmgp.graph.Numerics.FAST);
        video = SampleClip.write(dir.resolve("clip.mp4"));
    }

    @AfterAll
    static void close() throws Exception {
        if (model != null) model.close();
    }

    static BatchItem<UnderstandRequest> item(Media media, String prompt, UnderstandOptions o, ProgressListener listener) {
        return new BatchItem<>(new UnderstandRequest(media, prompt, o), listener);
    }

    @Test
    void describesTheModelAndBatchesEverything() {
        assertThat(model.description()).contains("SmolVLM2", "F32");
        assertThat(model.maxBatch()).isEqualTo(4);
        assertThat(model.batchKey(new UnderstandRequest(Media.video(video), "What happens?", GREEDY)))
                .isEqualTo(model.batchKey(new UnderstandRequest(Media.image(IMAGE), "Describe.", GREEDY.withSampling(0.7f, 20, 0.9f).withSeed(3))));
    }

    @Test
    void refusesMissingMediaNamingTheField() {
        model.validate(new UnderstandRequest(Media.video(video), "What happens?", GREEDY));
        model.validate(new UnderstandRequest(new Media.None(), "Say hi.", GREEDY));
        assertThatThrownBy(() -> model.validate(new UnderstandRequest(Media.video(dir.resolve("missing.mp4")), "What happens?", GREEDY)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("video"))
                .hasMessageContaining("no such file").hasMessageContaining("missing.mp4");
        assertThatThrownBy(() -> model.validate(new UnderstandRequest(Media.image(dir), "Describe.", GREEDY)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("image"))
                .hasMessageContaining("not a regular file");
    }

    /**
     * Every beam's tokens and the prompt must fit the context (8192 cells here, 4 sequence ids): a
     * request that cannot is refused before it joins a batch, naming beams when it has several; the
     * image's features count as prompt.
     */
    @Test
    void refusesBeamsTimesTokensBeyondTheContext() {
        SmolVlmUnderstanding u = ((SmolVlmBatchModel) model).understanding();
        int context = u.contextTokens();
        int perBeam = (context - 64) / 4;
        UnderstandOptions fourBeams = GREEDY.toBuilder().beams(4).maxNewTokens(perBeam).build();
        model.validate(new UnderstandRequest(new Media.None(), "Say hi.", fourBeams));
        assertThatThrownBy(() -> model.validate(new UnderstandRequest(new Media.None(), "Say hi.", fourBeams.toBuilder().maxNewTokens(perBeam + 17).build())))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("beams"))
                .hasMessageContaining("beams × max_new_tokens (4 × " + (perBeam + 17) + " = ").hasMessageContaining("context of " + context);
        // the image's tiles are prompt positions: the same budget does not fit beside them
        int imageFeatures = 7 * u.processor().imageSeqLen();
        UnderstandOptions tight = GREEDY.toBuilder().maxNewTokens(context - imageFeatures + 1).build();
        model.validate(new UnderstandRequest(new Media.None(), "Describe.", tight));
        assertThatThrownBy(() -> model.validate(new UnderstandRequest(Media.image(IMAGE), "Describe.", tight)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("max_new_tokens"))
                .hasMessageContaining("a prompt of at least " + (imageFeatures + u.processor().tokenizer().tokenize("Describe.").size()));
    }

    @Test
    void theCostEstimateCountsEveryBeamsTokens() {
        UnderstandRequest one = new UnderstandRequest(new Media.None(), "Say hi.", GREEDY);
        UnderstandRequest three = new UnderstandRequest(new Media.None(), "Say hi.", GREEDY.toBuilder().beams(3).build());
        long textParams = ((SmolVlmBatchModel) model).understanding().model().textParams();
        double extra = model.estimate(List.of(three)).flops() - model.estimate(List.of(one)).flops();
        assertThat(extra).isCloseTo(2.0 * textParams * 2 * GREEDY.maxNewTokens(), org.assertj.core.data.Offset.offset(1.0));
    }

    @Test
    void aBatchStreamsEachAnswerToItsOwnListener() throws Exception {
        RecordingListener a = new RecordingListener(), b = new RecordingListener(), c = new RecordingListener();
        List<BatchItem<UnderstandRequest>> items = List.of(
                item(Media.video(video), "What happens in the video?", GREEDY, a),
                item(Media.image(IMAGE), "Describe this image.", GREEDY.withSampling(1.2f, 30, 0.95f).withSeed(5), b),
                item(new Media.None(), "Say something.", GREEDY.withMaxNewTokens(6), c));
        List<UnderstandResult> results = model.run(items, ProgressListener.NONE);
        assertThat(results).hasSize(3);
        List<RecordingListener> listeners = List.of(a, b, c);
        for (int i = 0; i < 3; i++) {
            UnderstandResult r = results.get(i);
            assertThat(listeners.get(i).text()).as("streamed text of request %d", i).isEqualTo(r.text());
            assertThat(r.generatedTokens()).isBetween(1, items.get(i).request().options().maxNewTokens());
            assertThat(r.stopReason()).isIn("end_of_utterance", "max_tokens");
            assertThat(r.promptTokens()).isPositive();
            assertThat(r.batchSize()).isEqualTo(3);
            assertThat(listeners.get(i).steps).as("steps of request %d", i).contains("generate 1/" + items.get(i).request().options().maxNewTokens());
        }
        assertThat(results.get(0).framesUsed()).isEqualTo(3); // 3 s at the processor's 1 fps
        assertThat(a.steps).contains("encode 1/3", "encode 3/3");
        assertThat(c.steps).noneMatch(s -> s.startsWith("encode"));
        assertThat(results.get(0).timings().seconds()).containsKeys("preprocess", "encode", "prefill");
        assertThat(results.get(2).framesUsed()).isZero();
        // The same request alone gives the same answer (greedy; the sampled one has its own seed).
        for (int i = 0; i < 2; i++) {
            UnderstandResult alone = model.run(List.of(items.get(i)), ProgressListener.NONE).getFirst();
            assertThat(alone.text()).as("request %d alone", i).isEqualTo(results.get(i).text());
        }
    }

    @Test
    void maxFramesCapsTheSampledFrames() throws Exception {
        UnderstandResult r = model.run(List.of(item(Media.video(video), "What happens?", GREEDY.withMaxFrames(2), null)), ProgressListener.NONE).getFirst();
        assertThat(r.framesUsed()).isEqualTo(2);
    }

    @Test
    void cancellingOneRequestLeavesTheOthersRunning() throws Exception {
        RecordingListener cancelled = RecordingListener.cancellingAfter("generate", 2);
        RecordingListener other = new RecordingListener();
        UnderstandOptions longer = UnderstandOptions.defaults().withMaxNewTokens(40);
        List<UnderstandResult> results = model.run(List.of(
                item(Media.image(IMAGE), "Describe this image.", longer, cancelled),
                item(Media.image(IMAGE), "Describe this image in detail.", longer.withSampling(1.5f, 0, 1f).withSeed(9), other)), ProgressListener.NONE);
        assertThat(results.get(0).stopReason()).isEqualTo("cancelled");
        assertThat(results.get(0).generatedTokens()).isEqualTo(2);
        assertThat(results.get(0).text()).isEqualTo(cancelled.text());
        assertThat(results.get(1).stopReason()).isNotEqualTo("cancelled");
        assertThat(results.get(1).text()).isEqualTo(other.text());
    }

    @Test
    void anUnreadableVideoFailsBeforeAnyTextIsStreamed() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.mp4"), "not a video");
        RecordingListener good = new RecordingListener();
        List<BatchItem<UnderstandRequest>> items = new ArrayList<>(List.of(item(Media.image(IMAGE), "Describe this image.", GREEDY, good)));
        items.add(item(Media.video(broken), "What happens?", GREEDY, null));
        assertThatThrownBy(() -> model.run(items, ProgressListener.NONE)).isInstanceOf(IOException.class).hasMessageContaining("broken.mp4");
        assertThat(good.pieces).isEmpty();
    }
}
