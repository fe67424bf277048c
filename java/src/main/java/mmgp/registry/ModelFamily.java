package mmgp.registry;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import mmgp.api.Task;
import mmgp.convert.TensorEncoder;
import mmgp.tensor.GgmlType;

/**
 * A kind of checkpoint mmgp can pull: the converter that turns it into GGUF (an
 * {@link mmgp.convert.ModelConverter} id), the task it serves, the repository files the converter
 * reads, and small source files copied beside the converted model (e.g. SmolVLM's processor
 * files, which make its exact Hugging Face processor usable).
 *
 * @param shared      files another repository provides (e.g. the T5 encoder and tokenizer a single-file
 *                    LTX-Video checkpoint lacks, taken from a diffusers repository); null when the
 *                    repository holds everything
 * @param weightTypes the weight types the family's converter writes (the default first); a pull
 *                    with another {@code --type} is refused before any network access
 * @param singleFile  the repository file that is the checkpoint when it is one file (converted by
 *                    {@link mmgp.convert.ModelConverter#planFile} with the shared files as its
 *                    companion); null when the checkpoint is the repository folder
 */
public record ModelFamily(String converter, Task task, FilePatterns files, List<String> companionFiles, SharedFiles shared,
                          List<GgmlType> weightTypes, String singleFile) {
    /** Files of another repository a family needs beside its own (downloaded once per commit, shared by every model using them). */
    public record SharedFiles(String repo, String revision, FilePatterns files) {}

    public ModelFamily(String converter, Task task, FilePatterns files, List<String> companionFiles) {
        this(converter, task, files, companionFiles, null);
    }

    public ModelFamily(String converter, Task task, FilePatterns files, List<String> companionFiles, SharedFiles shared) {
        this(converter, task, files, companionFiles, shared, WRITABLE, null);
    }

    /** Every type mmgp's GGUF writer encodes ({@link TensorEncoder#supports}), the usual choices first. */
    public static final List<GgmlType> WRITABLE = Stream.of(GgmlType.Q8_0, GgmlType.F16, GgmlType.BF16, GgmlType.F32,
            GgmlType.Q5_1, GgmlType.Q5_0, GgmlType.Q4_1, GgmlType.Q4_0).filter(TensorEncoder::supports).toList();

    /** What llama.cpp's convert_hf_to_gguf.py writes (further types come from llama-quantize), as SmolVlmConverter does. */
    static final List<GgmlType> LLAMA_CPP_CONVERTER = List.of(GgmlType.Q8_0, GgmlType.F16, GgmlType.BF16, GgmlType.F32);

    /** Weight variants (model.fp16.safetensors …) duplicate the full-precision tensors; the converter reads one copy. */
    private static final List<String> VARIANTS = List.of("**/*.fp16.*", "**/*.bf16.*", "**/*.fp32.*");

    public ModelFamily {
        companionFiles = List.copyOf(companionFiles);
        weightTypes = List.copyOf(weightTypes);
        if (weightTypes.isEmpty()) throw new IllegalArgumentException("a model family needs at least one weight type");
    }

    /**
     * Refuses a weight type this family's converter cannot write, with a sentence naming the ones
     * it can; checked before a pull resolves anything on the hub.
     */
    public void requireType(GgmlType type) {
        if (!weightTypes.contains(type)) {
            throw new IllegalArgumentException(converter + " models cannot be converted to " + label(type) + "; use --type " + typeList()
                    + (this.converter.equals("smolvlm") ? " (quantize further with llama-quantize)" : ""));
        }
    }

    /** The accepted types as "q8_0, f16, bf16 or f32". */
    public String typeList() {
        List<String> names = weightTypes.stream().map(ModelFamily::label).toList();
        return names.size() == 1 ? names.getFirst() : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.getLast();
    }

    private static String label(GgmlType t) {
        return t.name().toLowerCase(Locale.ROOT);
    }

    public static final ModelFamily AMUSED = new ModelFamily("amused", Task.IMAGE,
            diffusers("text_encoder", "transformer", "vqvae"), List.of());

    /** Only the diffusers folders LtxModel/LtxConverter read; the repo root also holds multi-GB single-file checkpoints. */
    public static final ModelFamily LTX = new ModelFamily("ltx", Task.VIDEO,
            diffusers("text_encoder", "transformer", "vae"), List.of());

    /** The T5 encoder, tokenizer and scheduler config of the 0.9.5 diffusers repository: what LTX-Video single files lack. */
    public static final SharedFiles LTX_TEXT_ENCODER = new SharedFiles("Lightricks/LTX-Video-0.9.5", "main",
            new FilePatterns(List.of("text_encoder/*.json", "text_encoder/*.safetensors", "tokenizer/*", "scheduler/*.json"), VARIANTS));

    /**
     * A Lightricks single-file LTX-Video checkpoint (transformer + VAE in one .safetensors, original
     * key names) converted by the {@code ltx} converter with {@link #LTX_TEXT_ENCODER} as its
     * companion (downloaded once, kept for every model that shares it).
     */
    public static ModelFamily ltxSingleFile(String checkpointFile) {
        return new ModelFamily("ltx", Task.VIDEO, new FilePatterns(List.of(checkpointFile), List.of()), List.of(),
                LTX_TEXT_ENCODER, WRITABLE, checkpointFile);
    }

    public static final ModelFamily SMOLVLM = new ModelFamily("smolvlm", Task.UNDERSTAND,
            // Top-level files only: the repo's onnx/ folder holds other exports of the same model.
            new FilePatterns(List.of("*.json", "*.safetensors", "merges.txt", "*.jinja"), VARIANTS),
            List.of("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                    "chat_template.json", "chat_template.jinja", "preprocessor_config.json", "processor_config.json", "generation_config.json"),
            null, LLAMA_CPP_CONVERTER, null);

    private static final Map<String, ModelFamily> KNOWN = Map.of(AMUSED.converter(), AMUSED, LTX.converter(), LTX, SMOLVLM.converter(), SMOLVLM);

    /** model_index.json, the scheduler and tokenizer folders, and the configs and safetensors of the weight folders. */
    private static FilePatterns diffusers(String... weightFolders) {
        List<String> includes = new java.util.ArrayList<>(List.of("model_index.json", "scheduler/*.json", "tokenizer/*"));
        for (String f : weightFolders) {
            includes.add(f + "/*.json");
            includes.add(f + "/*.safetensors");
        }
        return new FilePatterns(includes, VARIANTS);
    }

    public static Optional<ModelFamily> known(String name) {
        return Optional.ofNullable(KNOWN.get(name.toLowerCase(Locale.ROOT)));
    }

    /** The family called {@code name}, or a clear error listing the known ones. */
    public static ModelFamily byName(String name) {
        return known(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown model family '" + name + "'; known: " + KNOWN.keySet().stream().sorted().toList()));
    }
}
