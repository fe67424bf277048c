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

    @Option(names = {"-o", "--out"}, defaultValue = "image.png", description = "Output PNG; with several prompts, -1, -2… are added (default ${DEFAULT-VALUE}).")
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
        Path model = mmgp.models.ModelLocator.require(mmgp.api.Task.IMAGE, this.model, models);
        NativeLibraries.get();
        AmusedPipeline.Options o = AmusedPipeline.Options.defaults().withSteps(steps).withGuidance(guidance).withSeed(seed).withSize(width, height);
        o = new AmusedPipeline.Options(o.steps(), o.guidanceScale(), negativePrompt, o.width(), o.height(), o.temperatureStart(), o.temperatureEnd(),
                o.singleTemperature(), o.aestheticScore(), o.cropX(), o.cropY(), o.seed());
        ProgressBar bar = new ProgressBar(System.err, quiet);
        long t0 = System.nanoTime();
        try (ComputeBackend backend = ComputeBackend.cpu(threads, numerics); AmusedModel m = AmusedModel.open(model, backend)) {
            double load = (System.nanoTime() - t0) / 1e9;
            bar.stage("load", load);
            AmusedPipeline.Images images = AmusedPipeline.generate(m, backend, prompts, o, bar);
            for (int i = 0; i < images.batch(); i++) {
                Path file = OutputFiles.numbered(out, i, images.batch());
                writePng(images, i, file);
                System.out.println("wrote " + file);
            }
            System.out.printf("timings: load %.3f s, %s (total %.3f s)%n", load, images.timings(), load + images.timings().total());
        }
        return 0;
    }

    static void writePng(AmusedPipeline.Images images, int index, Path file) throws java.io.IOException {
        BufferedImage img = new BufferedImage(images.width(), images.height(), BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, images.width(), images.height(), AmusedPipeline.rgb(images, index), 0, images.width());
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(img, "png", file.toFile())) throw new java.io.IOException("no PNG writer available");
    }
}
