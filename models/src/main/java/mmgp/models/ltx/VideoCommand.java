package mmgp.models.ltx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.OutputFiles;
import mmgp.cli.ProgressBar;
import mmgp.cli.VerbProvider;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.cli.NumericsConverter;
import mmgp.media.Frames;
import mmgp.media.VideoWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp video --prompt "..." [--image first.png]}: text (and a first frame) → MP4 with LTX-Video. */
@Command(name = "video", mixinStandardHelpOptions = true,
        description = "Generate a video from a prompt with LTX-Video, optionally starting from an image, and write an MP4 (H.264).")
public final class VideoCommand implements Callable<Integer> {
    /** Registers the verb with the CLI. */
    public static final class Provider implements VerbProvider {
        @Override
        public Object command() {
            return new VideoCommand();
        }
    }

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt; repeat for several videos in one batch.")
    List<String> prompts;

    @Option(names = "--image", description = "Start the video from this image (PNG, JPEG, BMP, GIF): one for every prompt, or repeat once per "
            + "prompt. An image of another size is resized to --width × --height (PIL Lanczos, aspect ratio not kept).")
    List<Path> images;

    @Option(names = "--negative-prompt", defaultValue = "", description = "What the video should not show (guidance only).")
    String negativePrompt;

    @Option(names = "--frames", defaultValue = "49", description = "Frames, 8·n + 1 (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--width", defaultValue = "512", description = "Width, a multiple of 32 (default ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--height", defaultValue = "320", description = "Height, a multiple of 32 (default ${DEFAULT-VALUE}).")
    int height;

    @Option(names = "--steps", description = "Denoising steps (default: the model's recommended steps or timestep list, else 40).")
    Integer steps;

    @Option(names = "--guidance", description = "Classifier-free guidance scale; 1 turns it off (default: the model's, else 3; 1 with --schedule distilled).")
    Float guidance;

    @Option(names = "--schedule", description = "pipeline (linspace sigmas, --steps of them) or distilled (the distilled releases' 7 timesteps, guidance off); "
            + "default: the model's own (a distilled model's timestep list), else pipeline.")
    String schedule;

    @Option(names = "--timesteps", split = ",", description = "An explicit timestep list, e.g. 1000,993,987,981,975,909,725 (overrides --steps).")
    double[] timesteps;

    @Option(names = "--decode-timestep", split = ",",
            description = "Decode timestep of timestep-conditioned VAEs (0.9.1+): one value, or one per prompt separated by commas (default: the model's, else 0.05).")
    float[] decodeTimestep;

    @Option(names = "--decode-noise-scale", split = ",", description = "Decode noise mix, one value or one per prompt (default: the decode timestep).")
    float[] decodeNoiseScale;

    @Option(names = "--fps", defaultValue = "24", description = "Frame rate of the clip, also a model condition (default ${DEFAULT-VALUE}).")
    float fps;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed for the initial latents.")
    long seed;

    @Option(names = "--max-sequence-length", defaultValue = "128", description = "T5 tokens (default ${DEFAULT-VALUE}).")
    int maxSequenceLength;

    @Option(names = "--tile", defaultValue = "0", description = "Decode in spatial tiles of this many latents per side (0 = as --vae-memory decides).")
    int tile;

    @Option(names = "--vae-memory", defaultValue = "0", converter = mmgp.cli.ByteSizeConverter.class, paramLabel = "SIZE",
            description = "Memory the VAE decode may plan (e.g. 1G, 512M): whole when it fits, else in tiles sized to it, blended as diffusers' tiled decode (default 2G).")
    long vaeMemory;

    @Option(names = "--model", description = "An LTX-Video .gguf (mmgp pull ltx-video, or mmgp convert --model ltx) or Hugging Face folder "
            + "(default: $MMGP_LTX_MODEL when set, else the installed video model).", defaultValue = "${env:MMGP_LTX_MODEL}")
    Path model;

    @Option(names = "--text-encoder", paramLabel = "SOURCE",
            description = "With a Lightricks single-file .safetensors or a ComfyUI-GGUF transformer as --model: the diffusers LTX-Video folder "
                    + "or mmgp LTX-Video GGUF that gives the T5 encoder, tokenizer, scheduler (and a GGUF transformer's VAE) "
                    + "(a single file without it looks in its own folder).")
    Path textEncoder;

    @Option(names = "--models", description = "Model registry folder (default: $MMGP_MODELS or ~/.cache/mmgp/models).")
    Path models;

    @Option(names = {"-o", "--out"}, defaultValue = "video.mp4",
            description = "Output video; the extension picks the format: mp4 (H.264), webm or gif. With several prompts, -1, -2… are added (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--png-frames", description = "Also write each frame as a PNG into this folder.")
    Path pngFrames;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0 = one per core).")
    int threads;

    @Option(names = "--numerics", defaultValue = "fast", converter = NumericsConverter.class,
            description = "Kernel routes: fast (the fastest measured route per op, within the error bounds the README states) "
                    + "or exact (fp32 wherever the reference computes in fp32, as the golden tests check). Default ${DEFAULT-VALUE}.")
    Numerics numerics;

    @Option(names = {"-q", "--quiet"}, description = "No progress output.")
    boolean quiet;

    /**
     * The pipeline options of this command for a model recommending {@code d}: every flag given
     * wins; what is not given comes from the model's defaults, else the built-in ones (40 steps,
     * guidance 3, decode timestep 0.05).
     */
    LtxPipeline.Options options(mmgp.registry.ModelDefaults d) {
        boolean distilled = schedule != null && switch (schedule) {
            case "pipeline" -> false;
            case "distilled" -> true;
            default -> throw new IllegalArgumentException("unknown --schedule '" + schedule + "' (pipeline or distilled)");
        };
        boolean stepsGiven = steps != null || timesteps != null || schedule != null;
        int s = steps != null ? steps : d.steps() != null ? d.steps() : 40;
        float g = guidance != null ? guidance : distilled ? 1f : 3f;
        LtxPipeline.Options o = LtxPipeline.Options.defaults().with(frames, width, height, s, g, fps, maxSequenceLength, seed)
                .withNegativePrompt(negativePrompt).withTiles(tile).withVaeMemory(vaeMemory);
        if (decodeTimestep != null) o = o.withDecode(decodeTimestep, decodeNoiseScale);
        else if (decodeNoiseScale != null) o = o.withDecode(new float[] {d.decodeTimestep() != null ? d.decodeTimestep() : 0.05f}, decodeNoiseScale);
        if (timesteps != null) o = o.withSchedule(timesteps, null);
        else if (distilled) o = o.withSchedule(LtxPipeline.Options.DISTILLED_TIMESTEPS, null);
        return LtxDefaults.apply(o, d, stepsGiven, guidance != null || distilled, decodeTimestep != null || decodeNoiseScale != null);
    }

    @Override
    public Integer call() throws Exception {
        OutputFiles.checkWritable(out, VideoWriter.FORMATS, "video");
        if (pngFrames != null) OutputFiles.checkWritable(pngFrames.resolve("frame.png"), List.of("png"), "frame");
        Path model = mmgp.models.ModelLocator.require(mmgp.api.Task.VIDEO, this.model, models);
        NativeLibraries.get();
        LtxPipeline.Options o = options(mmgp.registry.ModelDefaults.forModel(model));
        o.decodeTimestepsFor(prompts.size());
        o.decodeNoiseScalesFor(prompts.size());
        List<LtxConditionImage> start = null;
        if (images != null && !images.isEmpty()) {
            if (images.size() != 1 && images.size() != prompts.size()) {
                throw new IllegalArgumentException(images.size() + " --image for " + prompts.size() + " --prompt; give one image, or one per prompt");
            }
            start = new java.util.ArrayList<>();
            for (Path image : images) start.add(LtxConditionImage.read(image)); // unreadable files fail before the model loads
        }
        ProgressBar bar = new ProgressBar(System.err, quiet);
        bar.stageStarted("load");
        long t0 = System.nanoTime();
        try (bar; ComputeBackend backend = ComputeBackend.cpu(threads, numerics); LtxModel m = textEncoder == null ? LtxModel.open(model, backend)
                : LtxModel.open(model, textEncoder, backend)) {
            double load = (System.nanoTime() - t0) / 1e9;
            bar.stage("load", load);
            bar.note(String.format(java.util.Locale.ROOT, "%d video%s %d frames %d×%d at %s fps, %d steps, guidance %s, seed %d%s, numerics %s",
                    prompts.size(), prompts.size() == 1 ? "" : "s", o.frames(), o.width(), o.height(), fps, o.steps(), o.guidanceScale(), o.seed(),
                    start == null ? "" : ", from " + (start.size() == 1 ? "an image" : start.size() + " images"), numerics.name().toLowerCase(java.util.Locale.ROOT)));
            for (int i = 0; i < prompts.size(); i++) {
                int n = m.tokenizer().encode(prompts.get(i)).length + 1; // + </s>
                if (n > o.maxSequenceLength()) {
                    bar.note(String.format(java.util.Locale.ROOT, "warning: prompt %d is %d tokens; T5 reads the first %d (--max-sequence-length), the rest has no effect",
                            i + 1, n, o.maxSequenceLength()));
                }
            }
            LtxPipeline.Video v = LtxPipeline.generate(m, backend, prompts, start, o, bar);
            int perVideo = v.frames() * v.height() * v.width() * 3;
            for (int b = 0; b < v.batch(); b++) {
                float[] clip = java.util.Arrays.copyOfRange(v.pixels(), b * perVideo, (b + 1) * perVideo);
                Path file = OutputFiles.numbered(out, b, v.batch());
                VideoWriter.write(file, clip, v.frames(), v.height(), v.width(), fps);
                System.out.println("wrote " + file + " (" + v.frames() + " frames, " + v.width() + "×" + v.height() + " at " + fps + " fps)");
                if (pngFrames != null) {
                    for (int f = 0; f < v.frames(); f++) {
                        Frames.writePng(pngFrames.resolve(String.format("video%d_frame%03d.png", b + 1, f)), clip, f, v.height(), v.width());
                    }
                }
            }
            System.out.printf("timings: load %.3f s, %s (total %.3f s)%n", load, v.timings(), load + v.timings().total());
        }
        return 0;
    }
}
