package mmgp.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import mmgp.api.InvalidRequestException;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;
import mmgp.api.VideoResult;
import mmgp.bindings.NativeLibraries;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The LTX-Video provider on the tiny random-weight fixture (VAE factors: 32 in space, 8 in time). */
class LtxProviderTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/fixtures/ltx_video/checkpoint");
    static final VideoOptions SMALL = VideoOptions.defaults().withSize(9, 64, 32).withSteps(2);

    static BatchModel<VideoRequest, VideoResult> model;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void open() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        LtxProvider provider = new LtxProvider();
        assertThat(provider.task()).isEqualTo(Task.VIDEO);
        assertThat(provider.family()).isEqualTo("ltx-video");
        assertThat(provider.canOpen(CHECKPOINT)).isTrue();
        model = (BatchModel<VideoRequest, VideoResult>) provider.open(CHECKPOINT, 2, mmgp.graph.Numerics.FAST);
    }

    @AfterAll
    static void close() throws Exception {
        if (model != null) model.close();
    }

    @Test
    void describesTheModelAndItsWeights() {
        assertThat(model.description()).contains("LTX-Video", "checkpoint", "F32 ×");
        assertThat(model.maxBatch()).isEqualTo(2);
    }

    @Test
    void refusesFrameCountsAndSizesTheVaeCannotTake() {
        model.validate(new VideoRequest("a car", SMALL));
        assertThatThrownBy(() -> model.validate(new VideoRequest("a car", SMALL.withSize(10, 64, 32))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("frames"))
                .hasMessageContaining("8·n + 1");
        assertThatThrownBy(() -> model.validate(new VideoRequest("a car", SMALL.withSize(9, 48, 32))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("width"))
                .hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> model.validate(new VideoRequest("a car", SMALL.withSize(9, 64, 40))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("height"));
    }

    /** LTX-Video's native sizes are capped by area (≤ 1280·720 pixels, ≤ 1280 a side), so its recommended 1216×704 is native. */
    @Test
    void nativeSizeIsTheRecommendedAreaInEitherOrientation() {
        for (int[] size : new int[][] {{1216, 704}, {704, 1216}}) {
            mmgp.engine.spi.CostEstimate e = model.estimate(List.of(new VideoRequest("a car", SMALL.withSize(9, size[0], size[1]))));
            assertThat(e.nativeSize()).isEqualTo(new mmgp.engine.spi.CostEstimate.Size(1280, 1280));
            assertThat(e.nativePixels()).isEqualTo(1280L * 720);
            assertThat((long) e.size().width() * e.size().height()).isLessThanOrEqualTo(e.nativePixels());
        }
    }

    @Test
    void batchKeyIgnoresPromptAndSeedOnly() {
        Object key = model.batchKey(new VideoRequest("a car", SMALL.withSeed(1)));
        assertThat(model.batchKey(new VideoRequest("a boat", SMALL.withSeed(2)))).isEqualTo(key);
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.withSize(17, 64, 32)))).isNotEqualTo(key);
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.withSteps(3)))).isNotEqualTo(key);
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.withFrameRate(12)))).isNotEqualTo(key);
        assertThat(model.batchKey(new VideoRequest("a car", SMALL.withNegativePrompt("blurry")))).isNotEqualTo(key);
    }

    @Test
    void aBatchGivesEachRequestTheVideoItsSeedGivesAlone() throws Exception {
        List<VideoRequest> requests = List.of(new VideoRequest("a red car", SMALL.withSeed(11)), new VideoRequest("a boat at sea", SMALL.withSeed(12)));
        RecordingListener progress = new RecordingListener();
        List<VideoResult> batch = model.run(requests.stream().map(r -> new BatchItem<>(r, null)).toList(), progress);
        assertThat(batch).hasSize(2);
        assertThat(progress.steps).startsWith("denoise 1/2", "denoise 2/2");
        for (int i = 0; i < 2; i++) {
            VideoResult r = batch.get(i);
            assertThat(r.frames()).isEqualTo(9);
            assertThat(r.width()).isEqualTo(64);
            assertThat(r.height()).isEqualTo(32);
            assertThat(r.frameRate()).isEqualTo(SMALL.frameRate());
            assertThat(r.seed()).isEqualTo(requests.get(i).options().seed());
            assertThat(r.batchSize()).isEqualTo(2);
            assertThat(PerRowSeedsTest.inUnitRange(r.rgb())).as("values in [0, 1]").isTrue();
            assertThat(r.timings().seconds()).containsKeys("encode", "denoise", "decode");
            VideoResult alone = model.run(List.of(new BatchItem<>(requests.get(i), null)), ProgressListener.NONE).getFirst();
            assertThat(r.rgb()).as("video %d", i).containsExactly(alone.rgb());
        }
        assertThat(batch.get(0).rgb()).isNotEqualTo(batch.get(1).rgb());
    }

    @Test
    void aStartImageIsCheckedOnSubmitAndBatchedApartFromTextToVideo(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("first.png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(64, 32, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", png.toFile());
        VideoRequest text = new VideoRequest("a car", SMALL);
        VideoRequest image = text.withStartImage(png);
        model.validate(image);
        assertThat(model.batchKey(image)).isNotEqualTo(model.batchKey(text));
        assertThat(model.batchKey(image)).isEqualTo(model.batchKey(new VideoRequest("a boat", SMALL.withSeed(3)).withStartImage(png)));
        Path broken = java.nio.file.Files.writeString(tmp.resolve("broken.png"), "no pixels here");
        assertThatThrownBy(() -> model.validate(text.withStartImage(broken)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("image"))
                .hasMessageContaining("cannot read image");

        VideoResult fromImage = model.run(List.of(new BatchItem<>(image, null)), ProgressListener.NONE).getFirst();
        VideoResult fromText = model.run(List.of(new BatchItem<>(text, null)), ProgressListener.NONE).getFirst();
        assertThat(fromImage.frames()).isEqualTo(9);
        assertThat(PerRowSeedsTest.inUnitRange(fromImage.rgb())).isTrue();
        assertThat(java.util.Arrays.equals(fromImage.rgb(), fromText.rgb())).isFalse();
    }

    @Test
    void cancellingTheBatchStopsBetweenDenoisingSteps() {
        RecordingListener cancelling = RecordingListener.cancellingAfter("denoise", 1);
        assertThatThrownBy(() -> model.run(List.of(new BatchItem<>(new VideoRequest("a car", SMALL), null)), cancelling))
                .isInstanceOf(CancellationException.class);
        assertThat(cancelling.steps).containsExactly("denoise 1/2");
    }
}
