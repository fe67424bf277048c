package mmgp.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import mmgp.api.ImageResult;
import mmgp.api.PipelineOptions;
import mmgp.api.PipelineResult;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.api.UnderstandResult;
import mmgp.api.VideoResult;
import mmgp.cli.ProgressBar;
import mmgp.engine.Engine;
import mmgp.graph.Numerics;
import mmgp.io.ResultSummary;
import mmgp.media.Frames;
import mmgp.media.VideoWriter;

/**
 * The run {@code mmgp demo} and {@code mmgp pipeline} share: caption → image → video through the
 * {@link Engine} with the caption streamed and a progress bar per stage, then caption.txt,
 * image.png and video.mp4 (those the stages produced) in the output folder, the per-stage seconds,
 * and exit 1 naming the failed stage when a later stage failed (earlier results are kept).
 */
final class PipelineRunner {
    private final Map<Task, Path> models = new EnumMap<>(Task.class);
    private final Map<Task, Path> companions = new EnumMap<>(Task.class);
    private int threads;
    private Numerics numerics = Numerics.FAST;
    private boolean quiet;
    private boolean summary;
    private Set<Task> tiny = Set.of();

    /** Runs {@code task} on {@code model}, with {@code companion} (or null) holding what a one-file model lacks. */
    PipelineRunner model(Task task, Path model, Path companion) {
        models.put(task, model);
        if (companion != null) companions.put(task, companion);
        return this;
    }

    /** What the engine computes with: {@code threads} per model (0: one per core) and its kernel routes ({@link Engine.Builder#numerics}). */
    PipelineRunner compute(int threads, Numerics numerics) {
        this.threads = threads;
        this.numerics = numerics;
        return this;
    }

    /** No stage headers, streamed caption or bars; the results and file names still print. */
    PipelineRunner quiet(boolean on) {
        quiet = on;
        return this;
    }

    /** Also writes result.json: the measurements, as the service's result.json holds them. */
    PipelineRunner summary(boolean on) {
        summary = on;
        return this;
    }

    /** Tasks run on a tiny random-weight test model: their caption.txt says it is not a real caption. */
    PipelineRunner tiny(Set<Task> tasks) {
        tiny = Set.copyOf(tasks);
        return this;
    }

    /**
     * Runs the pipeline on {@code input} and writes into {@code out} (created). Refused options
     * surface as the engine's {@link mmgp.api.InvalidRequestException}, named as the pipeline's
     * fields ("video.width"), before any stage runs.
     */
    int run(Path input, PipelineOptions options, Path out) throws Exception {
        Engine.Builder builder = Engine.builder().threads(threads).numerics(numerics);
        models.forEach((task, model) -> builder.model(task, model, companions.get(task)));
        checkWritable(out); // before the run, not after minutes of it; created once there is something to write
        PipelineResult result;
        Progress progress = new Progress(quiet);
        // progress first, so it closes last: the engine stops (and stops reporting) before the bar latches shut
        try (progress; Engine engine = builder.build()) {
            if (!quiet) System.out.println("\n[1/3] caption of " + input);
            result = engine.pipeline(input, options, progress).result().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        write(result, out, quiet);
        if (!result.complete()) {
            System.err.println("the " + result.failedStage() + " stage failed: " + result.error() + " (earlier results were kept)");
            return 1;
        }
        return 0;
    }

    /** The files a run writes; those a run did not produce are removed, so no earlier run's output stays beside this one's. */
    private static final List<String> OUTPUTS = List.of("caption.txt", "image.png", "video.mp4", "result.json");

    /** {@code out} is a writable folder, or can be created as one (its nearest existing parent is a writable folder). */
    static void checkWritable(Path out) throws java.io.IOException {
        Path p = out.toAbsolutePath();
        while (p != null && !Files.exists(p)) p = p.getParent();
        if (p == null || !Files.isDirectory(p)) throw new java.io.IOException("cannot write into " + out + ": " + p + " is not a folder");
        if (!Files.isWritable(p)) throw new java.io.IOException("cannot write into " + out + ": permission denied on " + p);
    }

    private interface FileWriter {
        void write(Path file) throws java.io.IOException;
    }

    /** Writes {@code name} in {@code out} through a temporary file renamed into place: a failed write leaves no truncated file. */
    private static void replace(Path out, String name, FileWriter writer) throws java.io.IOException {
        int dot = name.lastIndexOf('.');
        Path tmp = out.resolve("." + name.substring(0, dot) + ".partial" + name.substring(dot)); // keeps the extension: FFmpeg picks the format by it
        try {
            writer.write(tmp);
            Files.move(tmp, out.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void write(PipelineResult result, Path out, boolean printCaption) throws java.io.IOException {
        Files.createDirectories(out);
        java.util.Set<String> produced = new java.util.HashSet<>();
        if (result.caption() != null) produced.add("caption.txt");
        if (result.image() != null) produced.add("image.png");
        if (result.video() != null) produced.add("video.mp4");
        if (summary) produced.add("result.json");
        for (String name : OUTPUTS) if (!produced.contains(name)) Files.deleteIfExists(out.resolve(name));
        if (result.caption() != null) {
            UnderstandResult c = result.caption();
            String text = c.text().strip() + System.lineSeparator()
                    + (tiny.contains(Task.UNDERSTAND) ? "(from a tiny random-weight test model: not a real caption)" + System.lineSeparator() : "");
            replace(out, "caption.txt", f -> Files.writeString(f, text));
            if (printCaption) System.out.println(c.text().strip());
            System.out.printf("frames used %d, time to first token %.2f s, %.1f tokens/s%nwrote %s%n", c.framesUsed(),
                    c.timeToFirstTokenSeconds(), c.tokensPerSecond(), out.resolve("caption.txt"));
        }
        if (result.image() != null) {
            ImageResult img = result.image();
            replace(out, "image.png", f -> Frames.writePng(f, img.rgb(), 0, img.height(), img.width()));
            System.out.println("wrote " + out.resolve("image.png") + " (" + img.width() + "×" + img.height() + ")");
        }
        if (result.video() != null) {
            VideoResult v = result.video();
            replace(out, "video.mp4", f -> VideoWriter.writeMp4(f, v.rgb(), v.frames(), v.height(), v.width(), v.frameRate()));
            System.out.println("wrote " + out.resolve("video.mp4") + " (" + v.frames() + " frames, " + v.width() + "×" + v.height() + ")");
        }
        if (summary) {
            ObjectMapper json = new ObjectMapper();
            String summaryJson = json.writerWithDefaultPrettyPrinter().writeValueAsString(ResultSummary.of(json, result)) + System.lineSeparator();
            replace(out, "result.json", f -> Files.writeString(f, summaryJson, StandardCharsets.UTF_8));
            System.out.println("wrote " + out.resolve("result.json"));
        }
        System.out.println("\nper-stage seconds:");
        result.timings().seconds().forEach((k, v) -> System.out.printf("  %-24s %8.3f%n", k, v));
    }

    /** Streams the caption, draws a progress bar per stage and announces the next stage. */
    private static final class Progress implements ProgressListener, AutoCloseable {
        private final ProgressBar bar;
        private final boolean quiet;
        private boolean captionStreamed;

        Progress(boolean quiet) {
            this.quiet = quiet;
            this.bar = new ProgressBar(System.err, quiet);
        }

        /** Ends a step bar a failed stage left open, and with it the bar's ticker, before the results print. */
        @Override
        public void close() {
            bar.close();
        }

        @Override
        public void text(String stage, String piece) {
            if (quiet) return;
            System.out.print(piece);
            System.out.flush();
            captionStreamed = true;
        }

        @Override
        public void step(String stage, int done, int total, double seconds) {
            if (!stage.startsWith("caption")) bar.step(stage, done, total, seconds);
        }

        @Override
        public void stage(String stage, double seconds) {
            if (quiet) return;
            switch (stage) {
                case "caption" -> {
                    if (captionStreamed) System.out.println();
                    System.out.println("\n[2/3] image from the caption");
                }
                case "image" -> System.out.println("\n[3/3] video from the caption");
                default -> { }
            }
        }
    }
}
