package mmgp.registry;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import mmgp.api.Task;

/**
 * A kind of checkpoint mmgp can pull: the converter that turns it into GGUF (an
 * {@link mmgp.convert.ModelConverter} id), the task it serves, the repository files the converter
 * reads, and small source files copied beside the converted model (e.g. SmolVLM's processor
 * files, which make its exact Hugging Face processor usable).
 */
public record ModelFamily(String converter, Task task, FilePatterns files, List<String> companionFiles) {
    /** Weight variants (model.fp16.safetensors …) duplicate the full-precision tensors; the converter reads one copy. */
    private static final List<String> VARIANTS = List.of("**/*.fp16.*", "**/*.bf16.*", "**/*.fp32.*");

    public ModelFamily {
        companionFiles = List.copyOf(companionFiles);
    }

    public static final ModelFamily AMUSED = new ModelFamily("amused", Task.IMAGE,
            diffusers("text_encoder", "transformer", "vqvae"), List.of());

    /** Only the diffusers folders LtxModel/LtxConverter read; the repo root also holds multi-GB single-file checkpoints. */
    public static final ModelFamily LTX = new ModelFamily("ltx", Task.VIDEO,
            diffusers("text_encoder", "transformer", "vae"), List.of());

    public static final ModelFamily SMOLVLM = new ModelFamily("smolvlm", Task.UNDERSTAND,
            // Top-level files only: the repo's onnx/ folder holds other exports of the same model.
            new FilePatterns(List.of("*.json", "*.safetensors", "merges.txt", "*.jinja"), VARIANTS),
            List.of("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                    "chat_template.json", "chat_template.jinja", "preprocessor_config.json", "processor_config.json", "generation_config.json"));

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
