package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.tensor.GgmlType;

/**
 * amused/amused-256 (diffusers layout) → one GGUF holding the whole pipeline: text encoder,
 * transformer and VQ decoder weights under their Hugging Face names, every component's config,
 * and the CLIP tokenizer (tokens by id, merges, special tokens) in llama.cpp's key style.
 */
public final class AmusedConverter implements ModelConverter {
    public static final String ARCH = "amused";

    @Override
    public String id() {
        return ARCH;
    }

    @Override
    public String description() {
        return "aMUSEd (amused/amused-256 layout): CLIP text encoder + UVit2D + VQ-GAN, one GGUF";
    }

    @Override
    public void adjust(TypePolicy policy) {
        // Embedding tables are gathered, not multiplied: keep them at F16 at most so a
        // quantized file does not pay lookup error on every token.
        if (policy.requested().isQuantized()) {
            policy.rule(".*(token_embedding|position_embedding|embeddings?\\.weight|quantize\\.embedding).*", GgmlType.F16);
        }
    }

    @Override
    public void plan(HfCheckpoint checkpoint, ConversionPlan plan) throws IOException {
        if (!checkpoint.isPipeline() || !checkpoint.modelIndex().path("_class_name").asText().equals("AmusedPipeline")) {
            throw new IllegalArgumentException(checkpoint.root() + " is not an aMUSEd pipeline folder (model_index.json _class_name AmusedPipeline)");
        }
        for (String c : List.of("text_encoder", "transformer", "vqvae")) checkpoint.component(c);
        plan.metadata().putString("general.architecture", ARCH);
        plan.metadata().putString("general.name", checkpoint.root().getFileName().toString());
        plan.addCheckpoint(checkpoint);
        Path scheduler = checkpoint.root().resolve("scheduler").resolve("scheduler_config.json");
        if (Files.isRegularFile(scheduler)) plan.metadata().putString("mmgp.config.scheduler", Files.readString(scheduler));
        writeTokenizer(checkpoint.root().resolve("tokenizer"), plan);
    }

    private static void writeTokenizer(Path dir, ConversionPlan plan) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path vocabFile = dir.resolve("vocab.json"), mergesFile = dir.resolve("merges.txt");
        if (!Files.isRegularFile(vocabFile) || !Files.isRegularFile(mergesFile)) {
            throw new IOException(dir + " must hold the CLIP tokenizer's vocab.json and merges.txt");
        }
        Map<Integer, String> byId = new TreeMap<>();
        json.readTree(vocabFile.toFile()).properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        JsonNode config = Files.isRegularFile(dir.resolve("tokenizer_config.json")) ? json.readTree(dir.resolve("tokenizer_config.json").toFile()) : json.createObjectNode();
        config.path("added_tokens_decoder").properties().forEach(e -> byId.put(Integer.parseInt(e.getKey()), e.getValue().path("content").asText()));
        List<String> tokens = new ArrayList<>();
        for (var e : byId.entrySet()) {
            if (e.getKey() != tokens.size()) throw new IOException(vocabFile + ": token ids are not contiguous at " + tokens.size());
            tokens.add(e.getValue());
        }
        // transformers drops merges.txt's first line (the #version header) whatever it says.
        List<String> lines = Files.readAllLines(mergesFile);
        List<String> merges = lines.subList(Math.min(1, lines.size()), lines.size()).stream().filter(l -> !l.isBlank()).toList();
        // Special tokens as the tokenizer itself resolves them (special_tokens_map.json over tokenizer_config.json).
        ClipTokenizer resolved = ClipTokenizer.load(dir);
        plan.metadata().putString("tokenizer.ggml.model", "clip-bpe");
        plan.metadata().putStringArray("tokenizer.ggml.tokens", tokens);
        plan.metadata().putStringArray("tokenizer.ggml.merges", merges);
        plan.metadata().putString("mmgp.tokenizer.bos_token", resolved.token(resolved.bosId()));
        plan.metadata().putString("mmgp.tokenizer.eos_token", resolved.token(resolved.eosId()));
        plan.metadata().putString("mmgp.tokenizer.pad_token", resolved.token(resolved.padId()));
        plan.metadata().putString("mmgp.tokenizer.unk_token", resolved.token(resolved.unkId()));
        plan.metadata().putInt32("mmgp.tokenizer.max_length", resolved.modelMaxLength());
    }
}
