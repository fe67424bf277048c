package mmgp.models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import mmgp.api.ImageOptions;
import mmgp.api.InvalidRequestException;
import mmgp.api.PipelineOptions;
import mmgp.api.Task;
import mmgp.api.UnderstandOptions;
import mmgp.api.VideoOptions;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.ModelPathOptions;
import mmgp.cli.NumericsOption;
import mmgp.cli.QuietOption;
import mmgp.cli.RegistryOption;
import mmgp.cli.ThreadsOption;
import mmgp.engine.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mmgp pipeline VIDEO}: the caption of a video, an image from the caption and a video from
 * the caption (starting from that image unless told otherwise), on the installed models or the
 * ones given. Unlike {@code demo} it never falls back to the tiny test models: a missing model is
 * an error saying how to get one.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Caption a video, then draw an image and film a video from the caption; writes caption.txt, image.png, video.mp4 and result.json.")
public final class PipelineCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "VIDEO", description = "The video to caption (MP4, WebM, … or an animated GIF).")
    Path video;

    @Option(names = {"-o", "--out"}, defaultValue = "mmgp-pipeline", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    RegistryOption registry = new RegistryOption();

    @Mixin
    ModelPathOptions models = new ModelPathOptions();

    @Mixin
    PipelineRunOptions run = new PipelineRunOptions(48);

    @Option(names = "--caption-prompt", defaultValue = "Describe this video in one sentence.", description = "What the caption stage asks (default: ${DEFAULT-VALUE}).")
    String captionPrompt;

    @Option(names = "--image-steps", defaultValue = "12", description = "Image decoding steps (default ${DEFAULT-VALUE}).")
    int imageSteps;

    @Option(names = "--image-guidance", defaultValue = "10", description = "Image classifier-free guidance scale (default ${DEFAULT-VALUE}).")
    float imageGuidance;

    @Option(names = "--image-width", defaultValue = "0", description = "Image width (default: the model's).")
    int imageWidth;

    @Option(names = "--image-height", defaultValue = "0", description = "Image height (default: the model's).")
    int imageHeight;

    @Option(names = "--video-frames", defaultValue = "49", description = "Video frames, 8·n + 1 (default ${DEFAULT-VALUE}).")
    int videoFrames;

    @Option(names = "--video-width", defaultValue = "512", description = "Video width, a multiple of 32 (default ${DEFAULT-VALUE}).")
    int videoWidth;

    @Option(names = "--video-height", defaultValue = "320", description = "Video height, a multiple of 32 (default ${DEFAULT-VALUE}).")
    int videoHeight;

    @Option(names = "--video-steps", description = "Video denoising steps (default: the model's recommended steps, else " + VideoOptions.FALLBACK_STEPS + ").")
    Integer videoSteps;

    @Option(names = "--video-guidance", description = "Video classifier-free guidance scale; 1 turns it off (default: the model's, else "
            + VideoOptions.FALLBACK_GUIDANCE + ").")
    Float videoGuidance;

    @Option(names = "--fps", defaultValue = "24", description = "Frame rate of the clip, also a model condition (default ${DEFAULT-VALUE}).")
    float fps;

    @Option(names = "--decode-timestep", description = "VAE decode timestep, 0..1 (default: the model's).")
    Float decodeTimestep;

    @Option(names = "--decode-noise-scale", description = "VAE decode noise mix, 0..1 (default: the decode timestep).")
    Float decodeNoiseScale;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    NumericsOption numerics = new NumericsOption();

    @Mixin
    QuietOption quiet = new QuietOption();

    /** The pipeline's field names (as the engine and the service name them) and the options that set them. */
    private static final Map<String, String> OPTION_OF = Map.ofEntries(
            Map.entry("video", "VIDEO"),
            Map.entry("caption_prompt", "--caption-prompt"),
            Map.entry("caption.max_new_tokens", "--max-tokens"),
            Map.entry("image.steps", "--image-steps"),
            Map.entry("image.guidance_scale", "--image-guidance"),
            Map.entry("image.width", "--image-width"),
            Map.entry("image.height", "--image-height"),
            Map.entry("video.frames", "--video-frames"),
            Map.entry("video.width", "--video-width"),
            Map.entry("video.height", "--video-height"),
            Map.entry("video.steps", "--video-steps"),
            Map.entry("video.guidance_scale", "--video-guidance"),
            Map.entry("video.frame_rate", "--fps"),
            Map.entry("video.decode_timestep", "--decode-timestep"),
            Map.entry("video.decode_noise_scale", "--decode-noise-scale"));

    @Override
    public Integer call() throws Exception {
        PipelineOptions options = named(this::options);
        if (!Files.isRegularFile(video)) throw new IllegalArgumentException("no video file at " + video);
        Path videoTextEncoder = models.videoTextEncoder();
        if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " is a file, not a folder");
        Path understand = model(Task.UNDERSTAND), image = model(Task.IMAGE), film = model(Task.VIDEO);
        NativeLibraries.get();
        mmgp.models.smolvlm.NativeLogs.warningsOnly();
        if (!quiet.quiet()) {
            System.out.printf("%-10s %s%n%-10s %s%n%-10s %s%s%n", Task.UNDERSTAND.label(), understand, Task.IMAGE.label(), image,
                    Task.VIDEO.label(), film, videoTextEncoder != null ? " (text encoder " + videoTextEncoder + ")" : "");
        }
        PipelineRunner runner = new PipelineRunner().compute(threads.threads(), numerics.numerics()).quiet(quiet.quiet()).summary(true)
                .model(Task.UNDERSTAND, understand, null).model(Task.IMAGE, image, null).model(Task.VIDEO, film, videoTextEncoder);
        return named(() -> runner.run(video, options, out));
    }

    /** The model given for {@code task}, else the installed one; none is an error saying how to get one. */
    private Path model(Task task) throws java.io.IOException {
        return ModelLocator.require(task, models.given(task), registry.folder(), ModelPathOptions.option(task));
    }

    private PipelineOptions options() {
        UnderstandOptions caption = stage("caption", run::caption);
        ImageOptions image = stage("image", () -> ImageOptions.defaults().withSteps(imageSteps).withGuidance(imageGuidance)
                .withSize(imageWidth, imageHeight).withSeed(run.seed()));
        VideoOptions film = stage("video", () -> {
            if (videoFrames % 8 != 1) throw new InvalidRequestException("frames", "must be 8·n + 1 (9, 17, 25, …, 49, …), got " + videoFrames);
            VideoOptions v = VideoOptions.defaults().withSize(videoFrames, videoWidth, videoHeight).withFrameRate(fps).withSeed(run.seed())
                    .withDecode(decodeTimestep != null ? decodeTimestep : VideoOptions.MODEL_DECODE,
                            decodeNoiseScale != null ? decodeNoiseScale : VideoOptions.MODEL_DECODE);
            if (videoSteps != null) {
                if (videoSteps < 1) throw new InvalidRequestException("steps", "must be at least 1, got " + videoSteps);
                v = v.withSteps(videoSteps);
            }
            return videoGuidance != null ? v.withGuidance(videoGuidance) : v;
        });
        return new PipelineOptions(captionPrompt, caption, image, film, run.videoFromImage());
    }

    /** Builds a stage's options, a refusal named as the pipeline names it ("video.width"). */
    private static <T> T stage(String stage, java.util.function.Supplier<T> build) {
        Object[] made = new Object[1];
        Engine.inStage(stage, () -> made[0] = build.get());
        @SuppressWarnings("unchecked") T t = (T) made[0];
        return t;
    }

    private static <T> T named(Callable<T> work) throws Exception {
        return OptionNames.named(OPTION_OF, work);
    }
}
