package mmgp.models.ltx;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import mmgp.api.InvalidRequestException;
import mmgp.api.Task;
import mmgp.api.VideoOptions;
import mmgp.cli.OutputFiles;
import mmgp.cli.ProgressBar;
import mmgp.graph.ComputeBackend;
import mmgp.media.Frames;
import mmgp.media.VideoWriter;
import mmgp.models.PromptCommand;
import mmgp.registry.ModelDefaults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp video --prompt "..." [--image first.png]}: text (and a first frame) → MP4 with LTX-Video. */
@Command(name = "video", mixinStandardHelpOptions = true,
        description = "Generate a video from a prompt with LTX-Video, optionally starting from an image, and write an MP4 (H.264).")
public final class VideoCommand extends PromptCommand<LtxModel> {
    /** The API's defaults are the command's (steps and guidance aside, see {@link #options}): one place for them. */
    private static final VideoOptions DEFAULTS = VideoOptions.defaults();

    @Option(names = "--image", description = "Start the video from this image (PNG, JPEG, BMP, GIF): one for every prompt, or repeat once per "
            + "prompt. An image of another size is resized to --width × --height (PIL Lanczos, aspect ratio not kept).")
    List<Path> images;

    @Option(names = "--frames", description = "Frames, 8·n + 1 (default ${DEFAULT-VALUE}).")
    int frames = DEFAULTS.frames();

    @Option(names = "--width", description = "Width, a multiple of 32 (default ${DEFAULT-VALUE}).")
    int width = DEFAULTS.width();

    @Option(names = "--height", description = "Height, a multiple of 32 (default ${DEFAULT-VALUE}).")
    int height = DEFAULTS.height();

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
            description = "Decode timestep of timestep-conditioned VAEs (0.9.1+), 0..1: one value, or one per prompt separated by commas (default: the model's, else 0.05).")
    float[] decodeTimestep;

    @Option(names = "--decode-noise-scale", split = ",", description = "Decode noise mix s (latents·(1 − s) + noise·s), 0..1, one value or one per prompt "
            + "(default: --decode-timestep when given, else the model's, else the decode timestep).")
    float[] decodeNoiseScale;

    @Option(names = "--fps", description = "Frame rate of the clip, also a model condition (default ${DEFAULT-VALUE}).")
    float fps = DEFAULTS.frameRate();

    @Option(names = "--seed", description = "Random seed for the initial latents.")
    long seed = DEFAULTS.seed();

    @Option(names = "--max-sequence-length", description = "T5 tokens (default ${DEFAULT-VALUE}).")
    int maxSequenceLength = DEFAULTS.maxSequenceLength();

    @Option(names = "--tile", description = "VAE decode (and the start image's encode) in spatial tiles of this many latents per side (0 = as --vae-memory decides).")
    int tile = DEFAULTS.tileLatents();

    @Option(names = "--vae-memory", converter = mmgp.cli.ByteSizeConverter.class, paramLabel = "SIZE",
            description = "Memory the VAE decode and the start image's encode may plan (e.g. 1G, 512M): whole when it fits, else in tiles sized to it, blended as diffusers' tiled decode/encode (default 2G).")
    long vaeMemory = DEFAULTS.vaeMemoryBytes();

    @Option(names = "--model", description = "An LTX-Video .gguf (mmgp pull ltx-video, or mmgp convert --model ltx) or Hugging Face folder "
            + "(default: $MMGP_LTX_MODEL when set, else the installed video model).", defaultValue = "${env:MMGP_LTX_MODEL}")
    Path model;

    @Option(names = "--text-encoder", paramLabel = "SOURCE",
            description = "With a Lightricks single-file .safetensors or a ComfyUI-GGUF transformer as --model: the diffusers LTX-Video folder "
                    + "or mmgp LTX-Video GGUF that gives the T5 encoder, tokenizer, scheduler (and a GGUF transformer's VAE) "
                    + "(a single file without it looks in its own folder).")
    Path textEncoder;

    @Option(names = {"-o", "--out"}, defaultValue = "video.mp4",
            description = "Output video; the extension picks the format: mp4 (H.264), webm or gif. With several prompts, -1, -2… are added (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--png-frames", description = "Also write each frame as a PNG into this folder.")
    Path pngFrames;

    /** Checked before the model loads: the options of each video (from the model's defaults) and the start images. */
    private List<VideoOptions> options;
    private List<LtxConditionImage> start;

    /**
     * The options of each video of this command for a model recommending {@code d}: every flag
     * given wins; what is not given comes from the model's defaults, else the built-in ones (40
     * steps, guidance 3, decode timestep 0.05).
     */
    List<VideoOptions> options(ModelDefaults d) {
        boolean distilled = schedule != null && switch (schedule) {
            case "pipeline" -> false;
            case "distilled" -> true;
            default -> throw new IllegalArgumentException("unknown --schedule '" + schedule + "' (pipeline or distilled)");
        };
        VideoOptions.Builder b = VideoOptions.defaults().toBuilder().size(frames, width, height).frameRate(fps).maxSequenceLength(maxSequenceLength)
                .seed(seed).negativePrompt(negativePrompt).tileLatents(tile).vaeMemoryBytes(vaeMemory)
                .guidanceScale(guidance != null ? guidance : distilled ? 1f : VideoOptions.MODEL_GUIDANCE);
        if (timesteps != null) b.timesteps(timesteps);
        else if (distilled) b.timesteps(VideoOptions.DISTILLED_TIMESTEPS);
        else if (steps != null) {
            // 0 would be the API's "the model's steps": on the command line that is leaving --steps out
            if (steps < 1) throw new InvalidRequestException("steps", "must be ≥ 1, got " + steps + " (leave --steps out for the model's)");
            b.steps(steps);
        }
        // this command's own fallback is 40 linspace steps: the engine's 8 suit a server's latency, not a one-off run
        else if (schedule != null || d.timesteps() == null) b.steps(d.steps() != null ? d.steps() : 40);
        checkDecode("--decode-timestep", decodeTimestep);
        checkDecode("--decode-noise-scale", decodeNoiseScale);
        List<VideoOptions> perVideo = LtxPipeline.perVideo(b.build(), prompts.size(), decodeTimestep, decodeNoiseScale);
        return perVideo.stream().map(v -> LtxDefaults.resolve(v, d)).toList();
    }

    /** The decode settings are a noise mix weight and a timestep the VAE scales by its own multiplier: 0..1 is what it was trained on. */
    private static void checkDecode(String flag, float[] values) {
        if (values == null) return;
        for (float v : values) {
            if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException(flag + " " + v + " is outside 0..1");
        }
    }

    public VideoCommand() {
        super(Task.VIDEO, LtxModel::open);
    }

    @Override
    protected Map<String, String> optionNames() {
        return Map.ofEntries(Map.entry("frames", "--frames"), Map.entry("width", "--width"), Map.entry("height", "--height"),
                Map.entry("steps", "--steps"), Map.entry("guidance_scale", "--guidance"), Map.entry("timesteps", "--timesteps"),
                Map.entry("frame_rate", "--fps"), Map.entry("seed", "--seed"), Map.entry("max_sequence_length", "--max-sequence-length"),
                Map.entry("tile_latents", "--tile"), Map.entry("vae_memory_bytes", "--vae-memory"),
                Map.entry("decode_timestep", "--decode-timestep"), Map.entry("decode_noise_scale", "--decode-noise-scale"));
    }

    @Override
    protected Path explicitModel() {
        return model;
    }

    @Override
    protected void checkArguments() throws Exception {
        OutputFiles.checkWritable(out, VideoWriter.FORMATS, "video");
        if (pngFrames != null) OutputFiles.checkWritable(pngFrames.resolve("frame.png"), List.of("png"), "frame");
        if (images != null && !images.isEmpty()) {
            if (images.size() != 1 && images.size() != prompts.size()) {
                throw new IllegalArgumentException(images.size() + " --image for " + prompts.size() + " --prompt; give one image, or one per prompt");
            }
            start = new java.util.ArrayList<>();
            for (Path image : images) start.add(LtxConditionImage.read(image)); // unreadable files fail before the model loads
        }
    }

    @Override
    protected mmgp.models.CpuModel.Loader<LtxModel> loader() {
        Path source = textEncoder;
        return source == null ? LtxModel::open : (file, backend) -> LtxModel.open(file, source, backend);
    }

    @Override
    protected void prepare(Path model) throws Exception {
        options = options(LtxDefaults.forModel(model));
    }

    @Override
    protected void generate(LtxModel m, ComputeBackend backend, ProgressBar bar, double load) throws Exception {
        VideoOptions o = options.getFirst();
        noteBatch(bar, String.format(java.util.Locale.ROOT, "%d frames %d×%d at %s fps, %d steps, guidance %s, seed %d%s",
                o.frames(), o.width(), o.height(), fps, o.steps(), o.guidanceScale(), o.seed(),
                start == null ? "" : ", from " + (start.size() == 1 ? "an image" : start.size() + " images")));
        warnLongPrompts(bar, p -> m.tokenizer().encode(p).length + 1, o.maxSequenceLength(), // + </s>
                "T5 reads the first %d (--max-sequence-length)");
        LtxPipeline.Video v = LtxPipeline.generate(m, backend, prompts, start, options, bar, LtxPipeline.Draws.NONE, LtxPipeline.Trace.NONE);
        int perVideo = v.frames() * v.height() * v.width() * 3;
        writeEach(out, v.batch(), (b, file) -> {
            VideoWriter.write(file, java.util.Arrays.copyOfRange(v.pixels(), b * perVideo, (b + 1) * perVideo), v.frames(), v.height(), v.width(), fps);
            return " (" + v.frames() + " frames, " + v.width() + "×" + v.height() + " at " + fps + " fps)";
        });
        // The frames after every video is written and announced, so a failing PNG leaves no unannounced video.
        if (pngFrames != null) {
            for (int b = 0; b < v.batch(); b++) {
                float[] clip = java.util.Arrays.copyOfRange(v.pixels(), b * perVideo, (b + 1) * perVideo);
                for (int f = 0; f < v.frames(); f++) {
                    Frames.writePng(pngFrames.resolve(String.format("video%d_frame%03d.png", b + 1, f)), clip, f, v.height(), v.width());
                }
            }
        }
        printTimings(load, v.timings());
    }
}
