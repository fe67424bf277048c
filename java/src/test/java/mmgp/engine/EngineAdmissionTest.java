package mmgp.engine;

import static mmgp.engine.FakeModels.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.Task;
import mmgp.api.VideoOptions;
import mmgp.api.VideoRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Admission control by cost: the memory budget, the compute limit and the native-size cap. */
@Timeout(30)
class EngineAdmissionTest {
    /** One 16×16 fake image needs 16·16·256 B = 64 KiB; this budget holds three of them. */
    private static final long THREE_IMAGES = 3 * 16 * 16 * FakeImageModel.BYTES_PER_PIXEL + 1000;

    @TempDir
    Path dir;

    private static ImageRequest image(String prompt, int side) {
        return new ImageRequest(prompt, ImageOptions.defaults().withSteps(2).withSize(side, side).withSeed(1));
    }

    @Test
    void aRequestOverTheMemoryBudgetIsRefusedBeforeQueuingNamingBudgetAndEstimate() {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().memoryBudget(6L << 30).build()) {
            engine.load(Task.IMAGE);
            // 8192² · 256 B = 16 GiB
            assertThatThrownBy(() -> engine.generateImage(image("huge", 8192), null))
                    .isInstanceOfSatisfying(OverBudgetException.class, e -> {
                        assertThat(e.limit()).isEqualTo(OverBudgetException.Limit.MEMORY);
                        assertThat(e.needed()).isEqualTo(16.0 * (1L << 30));
                        assertThat(e.allowed()).isEqualTo(6.0 * (1L << 30));
                    })
                    .hasMessage("a 8192×8192 image needs about 16 GiB, over the memory budget of 6 GiB (--memory-budget)");
            assertThat(engine.queueDepth(Task.IMAGE)).isZero();
            assertThat(fakes.image.batches).isEmpty();
        }
    }

    @Test
    void aModelsDefaultStepsAreHeldToTheStepLimit() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().maxSteps(20).build()) {
            engine.load(Task.VIDEO);
            VideoOptions small = VideoOptions.defaults().withSize(9, 32, 32);
            assertThat(small.modelSteps()).isTrue();
            assertThatThrownBy(() -> engine.generateVideo(new VideoRequest("left to the model", small), null))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("steps"))
                    .hasMessageContaining("40 steps is above the limit of 20 (--max-steps; a request that gives no steps runs the model's default)");
            assertThat(engine.queueDepth(Task.VIDEO)).isZero();
            assertThat(await(engine.generateVideo(new VideoRequest("explicit", small.withSteps(20)), null).result())).isNotNull();
        }
        try (Engine engine = fakes.builder().build()) { // no limit: the model's default runs
            engine.load(Task.VIDEO);
            assertThat(engine.generateVideo(new VideoRequest("unlimited", VideoOptions.defaults().withSize(9, 32, 32)), null)).isNotNull();
        }
    }

    @Test
    void aRequestOverTheComputeLimitIsRefused() {
        FakeModels fakes = new FakeModels(dir);
        // 64² pixels · 2 steps · 10⁶ FLOPs = 8.2 GFLOP, at 1 GFLOP/s 8.2 s, over 5 s; 32² is 2 s
        try (Engine engine = fakes.builder().maxRequestSeconds(5).computeRate(1e9).build()) {
            engine.load(Task.IMAGE);
            assertThatThrownBy(() -> engine.generateImage(image("slow", 64), null))
                    .isInstanceOfSatisfying(OverBudgetException.class, e -> assertThat(e.limit()).isEqualTo(OverBudgetException.Limit.COMPUTE))
                    .hasMessage("a 64×64 image needs about 8 s of compute, over the compute limit per request of 5 s (--max-request-seconds)");
            assertThat(engine.generateImage(image("quick", 32), null)).isNotNull();
        }
    }

    @Test
    void sizesAboveTheModelsNativeSizeAreRefusedUnlessConfigured() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().maxSize(0, 0).build()) {
            engine.load(Task.IMAGE);
            assertThatThrownBy(() -> engine.generateImage(image("big", 512), null))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("width"))
                    .hasMessageContaining("width 512 is above the model's native size of 256");
            assertThat(await(engine.generateImage(image("native", 256), null).result()).width()).isEqualTo(16);
        }
        try (Engine engine = fakes.builder().maxSize(1024, 1024).build()) {
            engine.load(Task.IMAGE);
            assertThat(engine.generateImage(image("configured", 512), null)).isNotNull();
            assertThatThrownBy(() -> engine.generateImage(image("too big", 2048), null))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("width"))
                    .hasMessageContaining("above this server's limit of 1024");
        }
    }

    @Test
    void aModelWithANativePixelCountCapsTheAreaInEitherOrientation() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        fakes.image.nativePixels = 1280L * 720; // as LTX-Video: ≤ 1280 a side, ≤ 1280·720 pixels
        try (Engine engine = new FakeModels(dir).builder().provider(new FakeProvider(Task.IMAGE, "fakewide",
                        withNative(fakes.image, 1280))).model(Task.IMAGE, fakes.file("fakewide.gguf")).maxSize(0, 0).build()) {
            engine.load(Task.IMAGE);
            for (int[] s : new int[][] {{1216, 704}, {1280, 720}, {720, 1280}, {1024, 576}, {960, 960}}) {
                assertThat(engine.generateImage(sized(s[0], s[1]), null)).as("%d×%d", s[0], s[1]).isNotNull();
            }
            assertThatThrownBy(() -> engine.generateImage(sized(1280, 1280), null))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("width"))
                    .hasMessage("width: 1280×1280 is 1638400 pixels, above the model's native 921600 (e.g. 1280×720 or 720×1280; "
                            + "--max-width and --max-height allow more)");
            assertThatThrownBy(() -> engine.generateImage(sized(1248, 768), null)).hasMessageContaining("958464 pixels, above the model's native 921600");
        }
        try (Engine engine = new FakeModels(dir).builder().provider(new FakeProvider(Task.IMAGE, "fakewide",
                        withNative(fakes.image, 1280))).model(Task.IMAGE, fakes.file("fakewide.gguf")).maxSize(1280, 1280).build()) {
            engine.load(Task.IMAGE);
            assertThat(engine.generateImage(sized(1280, 1280), null)).isNotNull(); // a server limit replaces the native one
        }
    }

    private static FakeImageModel withNative(FakeImageModel like, int side) {
        FakeImageModel m = new FakeImageModel(new mmgp.engine.spi.CostEstimate.Size(side, side));
        m.nativePixels = like.nativePixels;
        return m;
    }

    private static ImageRequest sized(int width, int height) {
        return new ImageRequest("p", ImageOptions.defaults().withSteps(1).withSize(width, height).withSeed(1));
    }

    @Test
    void batchesAreNeverGatheredBeyondTheBudget() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().maxBatch(8).memoryBudget(THREE_IMAGES).build()) {
            engine.load(Task.IMAGE);
            fakes.image.hold();
            Job<ImageResult> blocker = engine.generateImage(image("blocker", 16), null);
            fakes.image.awaitStart();
            List<Job<ImageResult>> jobs = new ArrayList<>();
            for (int i = 0; i < 7; i++) jobs.add(engine.generateImage(image("cat " + i, 16), null));
            fakes.image.release();
            await(blocker.result());
            for (Job<ImageResult> job : jobs) assertThat(await(job.result()).batchSize()).isLessThanOrEqualTo(3);
            assertThat(fakes.image.batches).containsExactly(List.of("blocker"), List.of("cat 0", "cat 1", "cat 2"),
                    List.of("cat 3", "cat 4", "cat 5"), List.of("cat 6"));
        }
    }

    @Test
    void aRequestQueuedBeforeTheModelLoadedFailsWithTheBudgetOnceItIsEstimated() throws Exception {
        FakeModels fakes = new FakeModels(dir);
        try (Engine engine = fakes.builder().memoryBudget(1L << 20).build()) {
            Job<ImageResult> job = engine.generateImage(image("huge", 1024), null); // not loaded yet: queued
            assertThat(FakeModels.failure(job.result())).isInstanceOf(OverBudgetException.class).hasMessageContaining("over the memory budget of 1 MiB");
        }
    }

    @Test
    void budgetDerivedFromRamWeightsAndHeap() {
        assertThat(MemoryBudget.derive(24L << 30, 7L << 30, 6L << 30)).isEqualTo((24L << 30) - (13L << 30) - (24L << 30) / 10);
        assertThat(MemoryBudget.derive(4L << 30, 7L << 30, 1L << 30)).isEqualTo(MemoryBudget.FLOOR);
        assertThat(OverBudgetException.bytes(11059540378L)).isEqualTo("10.3 GiB");
    }
}
