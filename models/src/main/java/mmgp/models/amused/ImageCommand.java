package mmgp.models.amused;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.OutputFiles;
import mmgp.cli.ProgressBar;
import mmgp.cli.VerbProvider;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Numerics;
import mmgp.cli.NumericsConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mmgp image --prompt "..."}: text → PNG with aMUSEd. */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Generate an image from a prompt with aMUSEd and write a PNG.")
public final class ImageCommand implements Callable<Integer> {
    /** Registers the verb with the CLI. */
    public static final class Provider implements VerbProvider {
        @Override
        public Object command() {
            return new ImageCommand();
        }
    }

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt; repeat for several images in one batch.")
    List<String> prompts;

    @Option(names = "--negative-prompt", defaultValue = "", description = "What the image should not show (guidance only).")
    String negativePrompt;

    @Option(names = "--steps", defaultValue = "12", description = "Denoising steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "10", description = "Classifier-free guidance scale; 1 turns it off (default ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed: the same seed, prompt and options give the same image.")
    long seed;

    @Option(names = "--width", defaultValue = "0", description = "Image width in pixels (default: the model's, 256 for amused-256).")
    int width;

    @Option(names = "--height", defaultValue = "0", description = "Image height in pixels (default: the model's).")
    int height;

    @Option(names = "--model", description = "An aMUSEd .gguf (mmgp pull amused-256, or mmgp convert --model amused) or Hugging Face folder "
            + "(default: $MMGP_AMUSED_MODEL when set, else the installed image model).", defaultValue = "${env:MMGP_AMUSED_MODEL}")
    Path model;

    @Option(names = "--models", description = "Model registry folder (default: $MMGP_MODELS or ~/.cache/mmgp/models).")
    Path models;

    /** Formats written by the extension of --out (ImageIO's own writers). */
    static final List<String> FORMATS = List.of("png", "jpg", "jpeg", "bmp");

    @Option(names = {"-o", "--out"}, defaultValue = "image.png",
            description = "Output image; the extension picks the format: png, jpg/jpeg or bmp. With several prompts, -1, -2… are added (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0 = one per core).")
    int threads;

    @Option(names = "--numerics", defaultValue = "fast", converter = NumericsConverter.class,
            description = "Kernel routes: fast (the fastest measured route per op, within the error bounds the README states) "
                    + "or exact (fp32 wherever the reference computes in fp32, as the golden tests check). Default ${DEFAULT-VALUE}.")
    Numerics numerics;

    @Option(names = {"-q", "--quiet"}, description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        String format = OutputFiles.checkWritable(out, FORMATS, "image");
        Path model = mmgp.models.ModelLocator.require(mmgp.api.Task.IMAGE, this.model, models);
        NativeLibraries.get();
        AmusedPipeline.Options o = AmusedPipeline.Options.defaults().withSteps(steps).withGuidance(guidance).withSeed(seed).withSize(width, height);
        o = new AmusedPipeline.Options(o.steps(), o.guidanceScale(), negativePrompt, o.width(), o.height(), o.temperatureStart(), o.temperatureEnd(),
                o.singleTemperature(), o.aestheticScore(), o.cropX(), o.cropY(), o.seed());
        ProgressBar bar = new ProgressBar(System.err, quiet);
        bar.stageStarted("load");
        long t0 = System.nanoTime();
        try (bar; ComputeBackend backend = ComputeBackend.cpu(threads, numerics); AmusedModel m = AmusedModel.open(model, backend)) {
            double load = (System.nanoTime() - t0) / 1e9;
            bar.stage("load", load);
            int w = o.width() > 0 ? o.width() : m.defaultImageSize(), h = o.height() > 0 ? o.height() : m.defaultImageSize();
            bar.note(String.format(java.util.Locale.ROOT, "%d image%s %d×%d, %d steps, guidance %s, seed %d, numerics %s",
                    prompts.size(), prompts.size() == 1 ? "" : "s", w, h, o.steps(), o.guidanceScale(), o.seed(), numerics.name().toLowerCase(java.util.Locale.ROOT)));
            int room = m.tokenizer().modelMaxLength() - 2; // BOS and EOS
            for (int i = 0; i < prompts.size(); i++) {
                int n = m.tokenizer().encode(prompts.get(i)).length;
                if (n > room) {
                    bar.note(String.format(java.util.Locale.ROOT, "warning: prompt %d is %d tokens; the text encoder reads only the first %d, the rest has no effect",
                            i + 1, n, room));
                }
            }
            AmusedPipeline.Images images = AmusedPipeline.generate(m, backend, prompts, o, bar);
            for (int i = 0; i < images.batch(); i++) {
                Path file = OutputFiles.numbered(out, i, images.batch());
                write(images, i, file, format);
                System.out.println("wrote " + file);
            }
            System.out.printf("timings: load %.3f s, %s (total %.3f s)%n", load, images.timings(), load + images.timings().total());
        }
        return 0;
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
