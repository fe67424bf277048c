package mmgp.models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import mmgp.api.StageTimings;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.ProgressBar;
import mmgp.cli.VerbProvider;
import mmgp.graph.ComputeBackend;
import mmgp.media.Frames;
import mmgp.media.VideoWriter;
import mmgp.models.amused.AmusedModel;
import mmgp.models.amused.AmusedPipeline;
import mmgp.models.ltx.LtxModel;
import mmgp.models.ltx.LtxPipeline;
import mmgp.models.smolvlm.SmolVlmConverter;
import mmgp.models.smolvlm.SmolVlmProcessor;
import mmgp.models.smolvlm.SmolVlmUnderstanding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmgp demo}: the pipeline on this machine, with the installed models or, when none are
 * installed, with the tiny random-weight checkpoints shipped for the tests (their output is
 * noise: they prove the path, not the quality). Writes caption.txt, image.png and video.mp4.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the pipeline (caption → image → video) and write caption.txt, image.png, video.mp4.")
public final class DemoCommand implements Callable<Integer> {
    /** Registers the verb with the CLI. */
    public static final class Provider implements VerbProvider {
        @Override
        public Object command() {
            return new DemoCommand();
        }
    }

    @Option(names = "--out", defaultValue = "mmgp-demo", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--models", description = "Folder with installed models (default ${DEFAULT-VALUE}).",
            defaultValue = "${env:MMGP_MODELS:-${sys:user.home}/.cache/mmgp/models}")
    Path models;

    @Option(names = "--video", description = "Input video to caption (default: a short clip the demo draws itself).")
    Path video;

    @Option(names = "--max-tokens", defaultValue = "24", description = "Caption length limit (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0 = one per core).")
    int threads;

    @Override
    public Integer call() throws Exception {
        NativeLibraries libs = NativeLibraries.get();
        mmgp.models.smolvlm.NativeLogs.warningsOnly();
        System.out.println("native build: " + libs.directory().getFileName() + " (" + libs.buildInfo().get("npm") + ")");
        Path fixtures = Path.of(System.getProperty("mmgp.home", ".")).resolve("models/src/test/resources/fixtures");
        Path amused = pick(models.resolve("amused-256.gguf"), fixtures.resolve("amused/checkpoint"), "aMUSEd");
        Path ltx = pick(models.resolve("ltx-video.gguf"), fixtures.resolve("ltx_video/checkpoint"), "LTX-Video");
        Path smolvlm = pick(models.resolve("smolvlm2-256m"), fixtures.resolve("smolvlm2_processor/checkpoint"), "SmolVLM2");
        boolean tiny = amused.startsWith(fixtures) || ltx.startsWith(fixtures) || smolvlm.startsWith(fixtures);
        if (tiny) {
            System.out.println("\nNo installed models found in " + models + ": using the TINY random-weight test models shipped with mmgp.");
            System.out.println("Their images and videos are noise; they show the pipeline runs end to end. Get the real models by");
            System.out.println("converting the Hugging Face checkpoints: ./mmgp convert --model amused|ltx <folder> " + models + "/<name>.gguf --type q8_0");
            System.out.println("and ./mmgp convert --model smolvlm <folder> " + models + "/smolvlm2-256m --type q8_0");
        }
        Files.createDirectories(out);
        StageTimings timings = new StageTimings();
        ProgressBar bar = new ProgressBar(System.err, false);

        // 1. Caption the input video with SmolVLM2 (llama.cpp through libllama/libmtmd).
        Path input = video != null ? video : sampleVideo(out.resolve("input.mp4"));
        System.out.println("\n[1/3] caption of " + input + " with SmolVLM2 from " + smolvlm);
        long c0 = System.nanoTime();
        String caption;
        try (SmolVlmUnderstanding vlm = openSmolVlm(smolvlm, out.resolve("smolvlm-tiny"))) {
            timings.add("caption.load", (System.nanoTime() - c0) / 1e9);
            SmolVlmUnderstanding.Options o = SmolVlmUnderstanding.Options.defaults().withMaxNewTokens(maxTokens);
            SmolVlmUnderstanding.Result r = vlm.understand(SmolVlmUnderstanding.Media.video(input), "Describe this video in one sentence.", o,
                    piece -> System.out.print(piece));
            System.out.println();
            r.stats().timings().seconds().forEach((k, v) -> timings.add("caption." + k, v));
            System.out.printf("frames used %d, time to first token %.2f s, %.1f tokens/s%n", r.stats().framesUsed(),
                    r.stats().timeToFirstTokenSeconds(), r.stats().tokensPerSecond());
            caption = r.text().strip();
            if (caption.isEmpty()) {
                caption = "a video";
                System.out.println("(the model returned an empty caption; using \"" + caption + "\")");
            }
        }
        Files.writeString(out.resolve("caption.txt"), caption + System.lineSeparator()
                + (tiny ? "(from a tiny random-weight test model: not a real caption)" + System.lineSeparator() : ""));
        System.out.println("wrote " + out.resolve("caption.txt"));

        try (ComputeBackend backend = ComputeBackend.cpu(threads)) {
            // 2. Image from the caption.
            System.out.println("\n[2/3] image with aMUSEd from " + amused);
            long t0 = System.nanoTime();
            try (AmusedModel m = AmusedModel.open(amused, backend)) {
                timings.add("image.load", (System.nanoTime() - t0) / 1e9);
                AmusedPipeline.Options o = AmusedPipeline.Options.defaults().withSeed(0);
                AmusedPipeline.Images img = AmusedPipeline.generate(m, backend, List.of(caption), o, bar);
                img.timings().seconds().forEach((k, v) -> timings.add("image." + k, v));
                Frames.writePng(out.resolve("image.png"), img.pixels(), 0, img.height(), img.width());
                System.out.println("wrote " + out.resolve("image.png") + " (" + img.width() + "×" + img.height() + ")");
            }
            // 3. Video from the caption.
            System.out.println("\n[3/3] video with LTX-Video from " + ltx);
            t0 = System.nanoTime();
            try (LtxModel m = LtxModel.open(ltx, backend)) {
                timings.add("video.load", (System.nanoTime() - t0) / 1e9);
                LtxPipeline.Options o = tiny
                        ? LtxPipeline.Options.defaults().with(17, 96, 64, 4, 3f, 24f, 32, 0)
                        : LtxPipeline.Options.defaults().with(49, 512, 320, 8, 3f, 24f, 128, 0);
                LtxPipeline.Video v = LtxPipeline.generate(m, backend, List.of(caption), o, bar);
                v.timings().seconds().forEach((k, s) -> timings.add("video." + k, s));
                VideoWriter.writeMp4(out.resolve("video.mp4"), v.pixels(), v.frames(), v.height(), v.width(), o.frameRate());
                System.out.println("wrote " + out.resolve("video.mp4") + " (" + v.frames() + " frames, " + v.width() + "×" + v.height() + ")");
            }
        }
        System.out.println("\nper-stage seconds:");
        timings.seconds().forEach((k, v) -> System.out.printf("  %-18s %8.3f%n", k, v));
        System.out.printf("  %-18s %8.3f%n", "total", timings.total());
        return 0;
    }

    /** The installed model folder, or the tiny fixture converted on the fly (its processor files travel with it). */
    private static SmolVlmUnderstanding openSmolVlm(Path model, Path scratch) throws Exception {
        SmolVlmUnderstanding.Settings settings = SmolVlmUnderstanding.Settings.defaults();
        if (!Files.isDirectory(model) || !model.getFileName().toString().equals("checkpoint")) return SmolVlmUnderstanding.open(model, null, settings);
        SmolVlmConverter.Output files = SmolVlmConverter.convert(model, scratch, mmgp.tensor.GgmlType.F32);
        return SmolVlmUnderstanding.open(files.textModel(), files.mmproj(), SmolVlmProcessor.load(model), settings);
    }

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

    private static Path pick(Path installed, Path tiny, String name) {
        if (Files.exists(installed)) return installed;
        if (Files.isDirectory(tiny)) return tiny;
        throw new IllegalArgumentException("no " + name + " model: neither " + installed + " nor the tiny test model at " + tiny
                + " (run ./mmgp from the repository, or install a model with ./mmgp convert)");
    }
}
