package mmgp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.gguf.GgufFile;
import mmgp.registry.ModelDefaults;
import mmgp.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mmgp convert --model M <hf-folder> <out.gguf> --type q8_0}; a one-file checkpoint (an
 * LTX-Video single file or ComfyUI GGUF) takes the components it lacks from {@code --text-encoder}.
 */
@Command(mixinStandardHelpOptions = true, name = "convert", description = "Convert a Hugging Face safetensors checkpoint (or an LTX-Video single file / ComfyUI GGUF) to GGUF (F32, F16, BF16, Q8_0, Q4_0...).")
final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Converter to use: ${COMPLETION-CANDIDATES}", completionCandidates = ConverterIds.class)
    String model;

    @Option(names = "--type", defaultValue = "f16", description = "Type of the weight matrices: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k..q6_k (K-quants need rows of 256; others fall back to f16) (default ${DEFAULT-VALUE}).")
    String type;

    @Parameters(index = "0", paramLabel = "INPUT", description = "Checkpoint folder (config.json + *.safetensors, or a diffusers folder); "
            + "for --model ltx also a Lightricks single-file .safetensors or a ComfyUI-GGUF LTX-Video transformer .gguf.")
    Path input;

    @Option(names = "--text-encoder", paramLabel = "SOURCE", description = "For a one-file LTX-Video input: a diffusers LTX-Video folder or an mmgp "
            + "LTX-Video GGUF holding the T5 encoder, tokenizer and scheduler (and the VAE a ComfyUI GGUF lacks); "
            + "default for a single file: the folder it lies in.")
    Path companion;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output .gguf file (a folder for models that become several files, e.g. smolvlm).")
    Path output;

    @Option(names = "--defaults", paramLabel = "distilled|STEPS,GUIDANCE[,DECODE_TIMESTEP]", description = "Recommended settings recorded in the "
            + "GGUF (video models): 'distilled' (the distilled releases' 7 timesteps, guidance 1, decode timestep 0.05, noise scale 0.025) or e.g. 40,3,0.05; "
            + "default: what the checkpoint says (a distilled single file's header), else none.")
    String defaults;

    @Option(names = {"-q", "--quiet"}, description = "No per-tensor progress.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        GgmlType target;
        try {
            target = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --type '" + type + "'; use f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1 or q2_k to q6_k");
        }
        ModelConverter converter = ModelConverter.byId(model);
        ModelDefaults given = defaults == null ? ModelDefaults.NONE : ModelDefaults.parse(defaults);
        if (defaults != null && !converter.takesDefaults()) {
            throw new IllegalArgumentException("--defaults is for video models; " + converter.id() + " models carry none");
        }
        TypePolicy policy = new TypePolicy(target);
        converter.adjust(policy);
        long start = System.nanoTime();
        if (converter.writesDirectory()) {
            if (companion != null) {
                throw new IllegalArgumentException("--text-encoder is for one-file LTX-Video inputs; converter '" + converter.id()
                        + "' takes only a checkpoint folder, so drop the option");
            }
            Files.createDirectories(output);
            try (HfCheckpoint ckpt = HfCheckpoint.open(input)) {
                for (Path f : converter.convertInto(ckpt, policy, output)) {
                    System.out.printf("wrote %s: %.1f MiB%n", f, Files.size(f) / 1048576.0);
                }
            }
            System.out.printf("done in %.1f s%n", (System.nanoTime() - start) / 1e9);
            return 0;
        }
        if (output.getParent() != null) Files.createDirectories(output.getParent());
        if (companion != null && !Files.isRegularFile(input)) throw new IllegalArgumentException("--text-encoder is for one-file inputs; " + input + " is a folder");
        try (AutoCloseable sources = Files.isRegularFile(input) ? null : HfCheckpoint.open(input)) {
            ConversionPlan plan = new ConversionPlan(policy);
            plan.metadata().putString("mmgp.converter", converter.id());
            plan.metadata().putString("mmgp.weight_type", target.name());
            given.writeTo(plan.metadata()); // before the converter, which then keeps them rather than the checkpoint's
            try (AutoCloseable fileSources = sources == null ? converter.planFile(input, companion, plan) : null) {
                if (sources != null) converter.plan((HfCheckpoint) sources, plan);
                write(plan, start);
            }
        }
        if (converter.takesDefaults()) reportDefaults(given);
        return 0;
    }

    /** One line on the defaults the file now carries, and where they came from. */
    private void reportDefaults(ModelDefaults given) throws java.io.IOException {
        ModelDefaults recorded;
        try (GgufFile gguf = GgufFile.open(output)) {
            recorded = ModelDefaults.read(gguf.metadata());
        }
        if (recorded.isEmpty()) {
            System.out.println("defaults: none recorded (the checkpoint names none; video falls back to 40 steps / guidance 3, the engine to 8 steps); "
                    + "record some with --defaults distilled|STEPS,GUIDANCE[,DECODE_TIMESTEP]");
        } else {
            System.out.println("defaults: " + recorded.describe() + (given.isEmpty() ? " (from the checkpoint's header config)" : " (from --defaults)"));
        }
    }

    private void write(ConversionPlan plan, long start) throws java.io.IOException {
        int total = plan.items().size();
        int[] done = {0};
        long bytes = plan.write(output, item -> {
            done[0]++;
            if (!quiet) System.err.printf("\r[%d/%d] %-60s %s", done[0], total, item.ggufName(), item.type());
        });
        if (!quiet) System.err.println();
        System.out.printf("wrote %s: %d tensors, %.1f MiB, %.1f s%n", output, total, bytes / 1048576.0, (System.nanoTime() - start) / 1e9);
    }

    static final class ConverterIds implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ModelConverter.available().stream().map(ModelConverter::id).iterator();
        }
    }
}
