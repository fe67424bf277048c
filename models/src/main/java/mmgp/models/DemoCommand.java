package mmgp.models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import mmgp.api.ImageOptions;
import mmgp.api.PipelineOptions;
import mmgp.api.Task;
import mmgp.api.VideoOptions;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.NumericsOption;
import mmgp.cli.RegistryOption;
import mmgp.cli.ThreadsOption;
import mmgp.media.VideoWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mmgp demo}: the pipeline through the {@link Engine}, with the installed models or, where none is
 * installed, with the tiny random-weight checkpoints shipped for the tests (their output is
 * noise: they prove the path, not the quality). Writes caption.txt, image.png and video.mp4.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the pipeline (caption → image → video) and write caption.txt, image.png, video.mp4.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "mmgp-demo", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    RegistryOption registry = new RegistryOption();

    @Option(names = "--video", description = "Input video to caption (default: a short clip the demo draws itself).")
    Path video;

    @Mixin
    PipelineRunOptions run = new PipelineRunOptions(24);

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    NumericsOption numerics = new NumericsOption();

    @Override
    public Integer call() throws Exception {
        NativeLibraries libs = NativeLibraries.get();
        mmgp.models.smolvlm.NativeLogs.warningsOnly();
        System.out.println("native build: " + libs.directory().getFileName() + " (" + libs.buildInfo().get("npm") + ")");
        Path fixtures = Path.of(System.getProperty("mmgp.home", ".")).resolve("models/src/test/resources/fixtures");
        Path models = registry.open().root();
        Map<Task, Path> chosen = new EnumMap<>(Task.class);
        List<Task> tinyTasks = new ArrayList<>();
        for (Task task : List.of(Task.UNDERSTAND, Task.IMAGE, Task.VIDEO)) {
            Optional<Path> installed = ModelLocator.installed(task, models);
            if (installed.isPresent()) {
                chosen.put(task, installed.get());
            } else {
                Path tiny = fixtures.resolve(TINY.get(task));
                if (!Files.isDirectory(tiny)) {
                    throw new IllegalArgumentException("no " + task.label() + " model installed in " + models + " and no tiny test model at " + tiny
                            + " (run ./mmgp from the repository, or install one with ./mmgp pull " + ModelLocator.pullName(task) + ")");
                }
                chosen.put(task, tiny);
                tinyTasks.add(task);
            }
        }
        for (Task task : chosen.keySet()) {
            System.out.printf("%-10s %s%s%n", task.label(), chosen.get(task), tinyTasks.contains(task) ? "   (TINY random-weight test model)" : "");
        }
        if (!tinyTasks.isEmpty()) {
            System.out.println("\nNo installed " + tinyTasks.stream().map(Task::label).toList() + " model in " + models
                    + ": those stages use the TINY random-weight test models shipped with mmgp.");
            System.out.println("Their caption is gibberish and their image and video are noise: they show the pipeline runs end to end.");
            System.out.println("Get the real models (about 1 GB + 0.9 GB + 10 GB of downloads) with:");
            for (Task t : tinyTasks) System.out.println("  ./mmgp pull " + ModelLocator.pullName(t));
        }
        Files.createDirectories(out);
        Path input = video != null ? video : sampleVideo(out.resolve("input.mp4"));
        boolean tinyVideo = tinyTasks.contains(Task.VIDEO);
        PipelineOptions options = new PipelineOptions("Describe this video in one sentence.",
                run.caption(),
                ImageOptions.defaults().withSeed(run.seed()),
                (tinyVideo ? VideoOptions.defaults().withSize(17, 96, 64).withSteps(4) : VideoOptions.defaults()).withSeed(run.seed()),
                run.videoFromImage());

        PipelineRunner runner = new PipelineRunner().compute(threads.threads(), numerics.numerics()).tiny(java.util.Set.copyOf(tinyTasks));
        chosen.forEach((task, model) -> runner.model(task, model, null));
        return runner.run(input, options, out);
    }

    /** The tiny checkpoints shipped for the tests, per task. */
    private static final Map<Task, String> TINY = Map.of(
            Task.UNDERSTAND, "smolvlm2_processor/checkpoint",
            Task.IMAGE, "amused/checkpoint",
            Task.VIDEO, "ltx_video/checkpoint");

    /** Two seconds of a red ball crossing a blue floor, drawn here so the demo needs no input file. */
    private static Path sampleVideo(Path file) throws java.io.IOException {
        int frames = 48, h = 96, w = 128;
        float[] rgb = new float[frames * h * w * 3];
        for (int f = 0; f < frames; f++) {
            double cx = 16 + (w - 32) * f / (double) (frames - 1), cy = h * 0.6;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int i = ((f * h + y) * w + x) * 3;
                    boolean ball = (x - cx) * (x - cx) + (y - cy) * (y - cy) < 100;
                    rgb[i] = ball ? 0.9f : 0.15f;
                    rgb[i + 1] = ball ? 0.1f : 0.2f;
                    rgb[i + 2] = ball ? 0.1f : 0.7f;
                }
        }
        VideoWriter.writeMp4(file, rgb, frames, h, w, 24);
        return file;
    }
}
