package mmgp.cli.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.Task;
import mmgp.engine.Engine;
import mmgp.engine.Job;
import mmgp.registry.Checksums;
import mmgp.registry.ModelManifest;
import mmgp.registry.ModelRegistry;
import mmgp.server.FakeModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code serve --ab} and {@code worker --ab}: the command line's A/B routing reaches the engine as weighted variants. */
class AbOptionsTest {
    @TempDir
    Path dir;

    @Test
    void serveSplitsTheImageTaskNinetyTenBetweenTwoInstalledModels() throws Exception {
        Path registry = dir.resolve("registry");
        install(registry, "fakeimage-big", Task.IMAGE);
        install(registry, "fakeimage-small", Task.IMAGE); // two image models and no default: without --ab, serve refuses to choose
        ServeCommand serve = parse(new ServeCommand(), "--models", registry.toString(), "--ab", "image=fakeimage-big:90,fakeimage-small:10", "--ab-seed", "11");
        Engine.Builder builder = fakeEngine();
        String out = stdout(() -> assertThat(serve.engineOptions.abOptions.configure(serve.engineOptions.modelChoice, builder, Set.of())).containsExactly(Task.IMAGE));
        assertThat(out).contains("image A/B: fakeimage-big 90% (" + registry.resolve("fakeimage-big") + "/fakeimage-big.gguf) fakeimage-small 10%");

        Map<String, Integer> counts = new TreeMap<>();
        int n = 400;
        try (Engine engine = builder.build()) {
            assertThat(engine.variants(Task.IMAGE)).containsExactly("fakeimage-big", "fakeimage-small");
            List<Job<?>> jobs = new ArrayList<>();
            for (int i = 0; i < n; i++) jobs.add(engine.generateImage(new ImageRequest("p" + i, ImageOptions.defaults().withSteps(1).withSeed(i)), null));
            for (Job<?> j : jobs) {
                j.result().get();
                counts.merge(j.variant(), 1, Integer::sum);
            }
        }
        assertThat(counts.keySet()).containsExactly("fakeimage-big", "fakeimage-small");
        double sigma = Math.sqrt(n * 0.9 * 0.1);
        assertThat((double) counts.get("fakeimage-big")).isBetween(0.9 * n - 5 * sigma, 0.9 * n + 5 * sigma);
    }

    @Test
    void modelPathsAndOtherTasksMix() throws Exception {
        Path a = Files.writeString(dir.resolve("fakeimage-a.gguf"), "fake");
        Path b = Files.writeString(dir.resolve("fakeimage-b.gguf"), "fake");
        Path vlm = Files.writeString(dir.resolve("vlm.gguf"), "fake");
        ServeCommand serve = parse(new ServeCommand(), "--models", dir.resolve("empty").toString(), "--understand-model", vlm.toString(),
                "--ab", "image=" + a + ":1," + b + ":3");
        Engine.Builder builder = Engine.builder();
        stdout(() -> assertThat(serve.engineOptions.abOptions.configure(serve.engineOptions.modelChoice, builder, Set.of())).containsExactlyInAnyOrder(Task.IMAGE, Task.UNDERSTAND));
        // No provider can open these fake files: the build names the understand model and (had it passed) would name the variants.
        assertThatThrownBy(builder::build).hasMessageContaining("no model family recognises " + vlm);
    }

    @Test
    void conflictsAndWrongTasksAreNamed() throws Exception {
        Path registry = dir.resolve("registry");
        install(registry, "fakevideo-x", Task.VIDEO);
        install(registry, "fakeimage-y", Task.IMAGE);
        Path a = Files.writeString(dir.resolve("fakeimage-a.gguf"), "fake");
        ServeCommand both = parse(new ServeCommand(), "--models", registry.toString(), "--image-model", a.toString(),
                "--ab", "image=fakeimage-y:1," + a + ":1");
        assertThatThrownBy(() -> both.engineOptions.abOptions.configure(both.engineOptions.modelChoice, Engine.builder(), Set.of()))
                .hasMessageContaining("--image-model and --ab image=… both choose the image model");
        ServeCommand wrongTask = parse(new ServeCommand(), "--models", registry.toString(), "--ab", "image=fakevideo-x:1,fakeimage-y:1");
        assertThatThrownBy(() -> wrongTask.engineOptions.abOptions.configure(wrongTask.engineOptions.modelChoice, Engine.builder(), Set.of()))
                .hasMessageContaining("--ab image: fakevideo-x is an installed video model");
        ServeCommand twice = parse(new ServeCommand(), "--models", registry.toString(), "--ab", "image=fakeimage-y:1," + a + ":1",
                "--ab", "IMAGE=fakeimage-y:1," + a + ":2");
        assertThatThrownBy(() -> twice.engineOptions.abOptions.configure(twice.engineOptions.modelChoice, Engine.builder(), Set.of())).hasMessageContaining("gives the image task twice");
    }

    @Test
    void workerTakesAbForTheTasksItRuns() throws Exception {
        Path registry = dir.resolve("registry");
        install(registry, "fakeimage-big", Task.IMAGE);
        install(registry, "fakeimage-small", Task.IMAGE);
        WorkerCommand worker = parse(new WorkerCommand(), "--cluster", "c.properties", "--models", registry.toString(),
                "--ab", "image=fakeimage-big:9,fakeimage-small:1");
        Engine.Builder builder = fakeEngine();
        stdout(() -> assertThat(worker.engineOptions.abOptions.configure(worker.engineOptions.modelChoice, builder, Set.of(Task.IMAGE))).containsExactly(Task.IMAGE));
        try (Engine engine = builder.build()) {
            assertThat(engine.variants(Task.IMAGE)).containsExactly("fakeimage-big", "fakeimage-small");
        }
        assertThatThrownBy(() -> worker.engineOptions.abOptions.configure(worker.engineOptions.modelChoice, Engine.builder(), Set.of(Task.UNDERSTAND)))
                .hasMessageContaining("--tasks names understand but no understand model");
        Path vlm = Files.writeString(dir.resolve("vlm.gguf"), "fake");
        WorkerCommand other = parse(new WorkerCommand(), "--cluster", "c.properties", "--models", registry.toString(), "--understand-model", vlm.toString(),
                "--ab", "image=fakeimage-big:9,fakeimage-small:1");
        assertThatThrownBy(() -> other.engineOptions.abOptions.configure(other.engineOptions.modelChoice, Engine.builder(), Set.of(Task.UNDERSTAND)))
                .hasMessageContaining("--ab image=… names a task that --tasks leaves out");
    }

    @Test
    void serveGivesAOneFileVideoModelItsTextEncoderSource() throws Exception {
        Path single = Files.writeString(dir.resolve("ltxv-2b-0.9.8-distilled.safetensors"), "fake");
        Path source = Files.createDirectories(dir.resolve("LTX-Video-0.9.5"));
        ServeCommand serve = parse(new ServeCommand(), "--models", dir.resolve("empty").toString(), "--video-model", single.toString(),
                "--video-text-encoder", source.toString());
        List<Path> opened = new ArrayList<>();
        mmgp.engine.spi.ModelProvider recording = new mmgp.engine.spi.ModelProvider() {
            @Override
            public Task task() {
                return Task.VIDEO;
            }

            @Override
            public String family() {
                return "recording";
            }

            @Override
            public boolean canOpen(Path model) {
                return model.equals(single);
            }

            @Override
            public mmgp.engine.spi.BatchModel<?, ?> open(Path model, int threads, mmgp.graph.Numerics numerics) {
                throw new IllegalStateException("opened without its companion");
            }

            @Override
            public mmgp.engine.spi.BatchModel<?, ?> open(Path model, Path companion, int threads, mmgp.graph.Numerics numerics) {
                opened.add(companion);
                throw new IllegalStateException("recorded");
            }
        };
        Engine.Builder builder = Engine.builder().provider(recording);
        String out = stdout(() -> assertThat(serve.engineOptions.abOptions.configure(serve.engineOptions.modelChoice, builder, Set.of())).containsExactly(Task.VIDEO));
        assertThat(out).contains("video: " + single + " (text encoder from " + source + ")");
        try (Engine engine = builder.build()) {
            assertThatThrownBy(() -> engine.load(Task.VIDEO)).hasStackTraceContaining("recorded");
        }
        assertThat(opened).containsExactly(source);

        ServeCommand alone = parse(new ServeCommand(), "--models", dir.resolve("empty").toString(), "--image-model", single.toString(),
                "--video-text-encoder", source.toString());
        assertThatThrownBy(() -> alone.engineOptions.abOptions.configure(alone.engineOptions.modelChoice, Engine.builder(), Set.of()))
                .hasMessageContaining("--video-text-encoder goes with a one-file --video-model");
        assertThatThrownBy(() -> Engine.builder().model(Task.VIDEO, single, dir.resolve("missing")))
                .hasMessageContaining("companion source does not exist");
    }

    private Engine.Builder fakeEngine() {
        return Engine.builder().provider(new FakeModels(dir).fastImageProvider()).threads(1).queueCapacity(1024)
                .maxWait(Duration.ofMillis(2)).closeTimeout(Duration.ofSeconds(1));
    }

    private static <T> T parse(T command, String... args) {
        new CommandLine(command).parseArgs(args);
        return command;
    }

    private static void install(Path root, String name, Task task) throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        Path staging = registry.newStaging(name);
        Path weights = Files.writeString(staging.resolve(name + ".gguf"), "weights of " + name);
        var file = new ModelManifest.InstalledFile(name + ".gguf", Files.size(weights), Checksums.sha256(weights), "weights");
        registry.install(staging, new ModelManifest(name, task, "amused", name + ".gguf", "q8_0", Instant.parse("2026-11-23T20:00:00Z"),
                new ModelManifest.Source("amused/amused-256", "0123456789abcdef0123456789abcdef01234567",
                        List.of(new ModelManifest.SourceFile("model_index.json", 10, "a".repeat(64)))), List.of(file)));
    }

    interface Action {
        void run() throws Exception;
    }

    private static String stdout(Action action) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setOut(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
