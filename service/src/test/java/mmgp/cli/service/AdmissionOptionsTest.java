package mmgp.cli.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.InvalidRequestException;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.engine.Engine;
import mmgp.engine.spi.BatchItem;
import mmgp.engine.spi.BatchModel;
import mmgp.engine.spi.CostEstimate;
import mmgp.engine.spi.ModelProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The limits serve and worker share: a cluster worker caps sizes at the model's native size as serve does. */
class AdmissionOptionsTest {
    @TempDir
    Path dir;

    /** A 256²-native image model that estimates a request's size (and runs nothing). */
    private static final class NativeSizeModel implements BatchModel<ImageRequest, ImageResult> {
        @Override
        public String description() {
            return "native 256";
        }

        @Override
        public void validate(ImageRequest request) {}

        @Override
        public Object batchKey(ImageRequest request) {
            return List.of(request.options().width(), request.options().height());
        }

        @Override
        public int maxBatch() {
            return 1;
        }

        @Override
        public CostEstimate estimate(List<ImageRequest> batch) {
            var o = batch.getFirst().options();
            return new CostEstimate("a " + o.width() + "×" + o.height() + " image", 1, 1, new CostEstimate.Size(o.width(), o.height()),
                    new CostEstimate.Size(256, 256)).withSteps(o.steps());
        }

        @Override
        public List<ImageResult> run(List<BatchItem<ImageRequest>> items, ProgressListener batch) {
            throw new UnsupportedOperationException("not run in this test");
        }

        @Override
        public void close() {}
    }

    private Engine workerEngine(String... options) throws Exception {
        WorkerCommand worker = new WorkerCommand();
        String[] args = new String[options.length + 2];
        args[0] = "--cluster";
        args[1] = dir.resolve("cluster.properties").toString();
        System.arraycopy(options, 0, args, 2, options.length);
        new CommandLine(worker).parseArgs(args);
        Path model = Files.writeString(dir.resolve("native256.gguf"), "fake");
        NativeSizeModel loaded = new NativeSizeModel();
        Engine.Builder builder = Engine.builder().model(Task.IMAGE, model).provider(new ModelProvider() {
            @Override
            public Task task() {
                return Task.IMAGE;
            }

            @Override
            public String family() {
                return "native256";
            }

            @Override
            public boolean canOpen(Path path) {
                return path.getFileName().toString().startsWith("native256");
            }

            @Override
            public BatchModel<?, ?> open(Path path, int threads, mmgp.graph.Numerics numerics) {
                return loaded;
            }
        });
        worker.engineOptions.admission.apply(builder, List.of(model));
        Engine engine = builder.build();
        engine.load(Task.IMAGE);
        return engine;
    }

    private static ImageRequest image(int width, int height) {
        return new ImageRequest("p", ImageOptions.defaults().withSteps(1).withSize(width, height).withSeed(1));
    }

    @Test
    void aWorkerCapsSizesAtTheModelsNativeSizeByDefault() throws Exception {
        try (Engine engine = workerEngine()) {
            assertThatThrownBy(() -> engine.generateImage(image(512, 512), null))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("width"))
                    .hasMessageContaining("width 512 is above the model's native size of 256 (--max-width)");
        }
    }

    @Test
    void aWorkersMaxWidthRaisesOnlyTheWidth() throws Exception {
        try (Engine engine = workerEngine("--max-width", "1024")) {
            assertThatThrownBy(() -> engine.generateImage(image(2048, 256), null))
                    .hasMessageContaining("width 2048 is above this server's limit of 1024 (--max-width)");
            assertThatThrownBy(() -> engine.generateImage(image(512, 512), null))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("height"))
                    .hasMessageContaining("height 512 is above the model's native size of 256 (--max-height)");
        }
    }

    @Test
    void aWorkerHoldsRequestsToItsStepLimit() throws Exception {
        try (Engine engine = workerEngine("--max-steps", "3")) {
            ImageRequest four = new ImageRequest("p", ImageOptions.defaults().withSteps(4).withSize(256, 256).withSeed(1));
            assertThatThrownBy(() -> engine.generateImage(four, null))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("steps"))
                    .hasMessageContaining("4 steps is above the limit of 3 (--max-steps");
        }
    }

    @Test
    void aMemoryBudgetOfZeroMeansNoBudget() throws Exception {
        AdmissionOptions options = new AdmissionOptions();
        new CommandLine(options).parseArgs("--memory-budget", "0");
        assertThat(options.apply(Engine.builder(), List.of())).isZero();
        AdmissionOptions negative = new AdmissionOptions();
        negative.memoryBudget = -1L;
        assertThatThrownBy(() -> negative.apply(Engine.builder(), List.of())).hasMessageContaining("--memory-budget must be 0 (no budget) or positive");
    }
}
