package mmgp.models.amused;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import mmgp.api.ImageOptions;
import mmgp.api.Task;
import mmgp.cli.OutputFiles;
import mmgp.cli.ProgressBar;
import mmgp.graph.ComputeBackend;
import mmgp.models.PromptCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp image --prompt "..."}: text → PNG with aMUSEd. */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Generate an image from a prompt with aMUSEd and write a PNG.")
public final class ImageCommand extends PromptCommand<AmusedModel> {
    /** The API's defaults are the command's: one place for them. */
    private static final ImageOptions DEFAULTS = ImageOptions.defaults();

    @Option(names = "--steps", description = "Denoising steps (default ${DEFAULT-VALUE}).")
    int steps = DEFAULTS.steps();

    @Option(names = "--guidance", description = "Classifier-free guidance scale; 1 turns it off (default ${DEFAULT-VALUE}).")
    float guidance = DEFAULTS.guidanceScale();

    @Option(names = "--seed", description = "Random seed: the same seed, prompt and options give the same image.")
    long seed = DEFAULTS.seed();

    @Option(names = "--width", description = "Image width in pixels (default: the model's, 256 for amused-256).")
    int width = DEFAULTS.width();

    @Option(names = "--height", description = "Image height in pixels (default: the model's).")
    int height = DEFAULTS.height();

    @Option(names = "--model", description = "An aMUSEd .gguf (mmgp pull amused-256, or mmgp convert --model amused) or Hugging Face folder "
            + "(default: $MMGP_AMUSED_MODEL when set, else the installed image model).", defaultValue = "${env:MMGP_AMUSED_MODEL}")
    Path model;

    /** Formats written by the extension of --out (ImageIO's own writers). */
    static final List<String> FORMATS = List.of("png", "jpg", "jpeg", "bmp");

    @Option(names = {"-o", "--out"}, defaultValue = "image.png",
            description = "Output image; the extension picks the format: png, jpg/jpeg or bmp. With several prompts, -1, -2… are added (default ${DEFAULT-VALUE}).")
    Path out;

    /** The format --out names and the pipeline options, checked before the model loads. */
    private String format;
    private ImageOptions options;

    public ImageCommand() {
        super(Task.IMAGE, AmusedModel::open);
    }

    @Override
    protected Map<String, String> optionNames() {
        return Map.of("steps", "--steps", "guidance_scale", "--guidance", "seed", "--seed", "width", "--width", "height", "--height");
    }

    @Override
    protected Path explicitModel() {
        return model;
    }

    @Override
    protected void checkArguments() {
        format = OutputFiles.checkWritable(out, FORMATS, "image");
        options = ImageOptions.defaults().toBuilder().steps(steps).guidanceScale(guidance).seed(seed).size(width, height).negativePrompt(negativePrompt).build();
    }

    @Override
    protected void generate(AmusedModel m, ComputeBackend backend, ProgressBar bar, double load) throws Exception {
        ImageOptions o = AmusedPipeline.resolve(m, options);
        noteBatch(bar, String.format(java.util.Locale.ROOT, "%d×%d, %d steps, guidance %s, seed %d", o.width(), o.height(), o.steps(), o.guidanceScale(), o.seed()));
        warnLongPrompts(bar, p -> m.tokenizer().encode(p).length, m.tokenizer().modelMaxLength() - 2, // BOS and EOS
                "the text encoder reads only the first %d");
        AmusedPipeline.Images images = AmusedPipeline.generate(m, backend, prompts, o, bar);
        writeEach(out, images.batch(), (i, file) -> {
            write(images, i, file, format);
            return "";
        });
        printTimings(load, images.timings());
    }

    /** Writes image {@code index} of the batch as {@code format} (one of {@link #FORMATS}). */
    static void write(AmusedPipeline.Images images, int index, Path file, String format) throws java.io.IOException {
        BufferedImage img = new BufferedImage(images.width(), images.height(), BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, images.width(), images.height(), AmusedPipeline.rgb(images, index), 0, images.width());
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        String informal = format.equals("jpg") ? "jpeg" : format;
        if (!ImageIO.write(img, informal, file.toFile())) throw new java.io.IOException("no " + informal.toUpperCase(java.util.Locale.ROOT) + " writer available");
    }
}
