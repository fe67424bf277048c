package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import mmgp.convert.HfCheckpoint;
import mmgp.gguf.GgufFile;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import mmgp.schedule.MaskingSchedule;

/**
 * A loaded aMUSEd pipeline: tokenizer, text encoder, UVit2D transformer and VQ decoder over one
 * set of weights used in place. Opens either a GGUF written by {@code mmgp convert --model amused}
 * or the Hugging Face folder itself (amused/amused-256 layout).
 */
public final class AmusedModel implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AutoCloseable source;
    private final WeightSet weights;
    private final ClipTokenizer tokenizer;
    private final ClipTextEncoder textEncoder;
    private final UVit2D transformer;
    private final VqDecoder vqDecoder;
    private final int maskTokenId;
    private final MaskingSchedule masking;
    private final String description;

    private AmusedModel(AutoCloseable source, WeightSet weights, ClipTokenizer tokenizer, Map<String, JsonNode> configs, String description) {
        this.source = source;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.textEncoder = new ClipTextEncoder(ClipTextConfig.from(configs.get("text_encoder")), weights, "text_encoder.");
        this.transformer = new UVit2D(UVit2DConfig.from(configs.get("transformer")), weights, "transformer.");
        this.vqDecoder = new VqDecoder(VqConfig.fromJson(configs.get("vqvae")), weights, "vqvae.");
        JsonNode scheduler = configs.get("scheduler");
        // diffusers' AmusedScheduler has no default mask id: it must come from the config.
        if (scheduler == null || !scheduler.has("mask_token_id")) throw new IllegalArgumentException(description + ": scheduler config has no mask_token_id");
        this.maskTokenId = scheduler.get("mask_token_id").asInt();
        if (maskTokenId < 0 || maskTokenId >= transformer.config().vocabSize()) {
            throw new IllegalArgumentException(description + ": mask_token_id " + maskTokenId + " is outside the transformer vocabulary " + transformer.config().vocabSize());
        }
        this.masking = AmusedScheduler.masking(scheduler);
        this.description = description;
    }

    /** Opens a .gguf file or a Hugging Face aMUSEd folder. */
    public static AmusedModel open(Path path, ComputeBackend backend) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no aMUSEd model here (a .gguf file or a Hugging Face folder)");
        return Files.isDirectory(path) ? openFolder(path, backend) : openGguf(path, backend);
    }

    private static AmusedModel openFolder(Path folder, ComputeBackend backend) throws IOException {
        HfCheckpoint ckpt = HfCheckpoint.open(folder);
        WeightSet weights = null;
        try {
            if (!ckpt.isPipeline() || !"AmusedPipeline".equals(ckpt.modelIndex().path("_class_name").asText())) {
                throw new IllegalArgumentException(folder + " is not an aMUSEd pipeline folder (model_index.json _class_name AmusedPipeline)");
            }
            Map<String, JsonNode> configs = new HashMap<>();
            for (String c : List.of("text_encoder", "transformer", "vqvae")) configs.put(c, ckpt.component(c).config());
            Path scheduler = folder.resolve("scheduler").resolve("scheduler_config.json");
            if (!Files.isRegularFile(scheduler)) throw new NoSuchFileException(scheduler.toString());
            configs.put("scheduler", JSON.readTree(scheduler.toFile()));
            ClipTokenizer tokenizer = ClipTokenizer.load(folder.resolve("tokenizer"));
            weights = WeightSet.fromCheckpoint(backend, ckpt, WeightSet.modelsUseExtraBufferTypes());
            return new AmusedModel(ckpt, weights, tokenizer, configs, folder.toString());
        } catch (IOException | RuntimeException e) {
            if (weights != null) weights.close();
            ckpt.close();
            throw e;
        }
    }

    private static AmusedModel openGguf(Path file, ComputeBackend backend) throws IOException {
        GgufFile gguf = GgufFile.open(file);
        WeightSet weights = null;
        try {
            String arch = gguf.metadata().getString("general.architecture", "");
            if (!AmusedConverter.ARCH.equals(arch)) {
                throw new IllegalArgumentException(file + " holds a '" + arch + "' model, not aMUSEd (convert one with: mmgp convert --model amused <hf-folder> out.gguf)");
            }
            Map<String, JsonNode> configs = new HashMap<>();
            for (String c : List.of("text_encoder", "transformer", "vqvae", "scheduler")) {
                configs.put(c, JSON.readTree(gguf.getString("mmgp.config." + c)));
            }
            List<String> tokens = gguf.getStringArray("tokenizer.ggml.tokens");
            Map<String, Integer> vocab = new HashMap<>();
            for (int i = 0; i < tokens.size(); i++) vocab.put(tokens.get(i), i);
            ClipTokenizer tokenizer = ClipTokenizer.of(vocab, gguf.getStringArray("tokenizer.ggml.merges"),
                    gguf.getString("mmgp.tokenizer.bos_token"), gguf.getString("mmgp.tokenizer.eos_token"),
                    gguf.getString("mmgp.tokenizer.pad_token"), gguf.getString("mmgp.tokenizer.unk_token"),
                    gguf.getInt("mmgp.tokenizer.max_length"));
            weights = WeightSet.fromGguf(backend, gguf, WeightSet.modelsUseExtraBufferTypes());
            return new AmusedModel(gguf, weights, tokenizer, configs, file.toString());
        } catch (IOException | RuntimeException e) {
            if (weights != null) weights.close();
            gguf.close();
            throw e;
        }
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    public ClipTextEncoder textEncoder() {
        return textEncoder;
    }

    public UVit2D transformer() {
        return transformer;
    }

    public VqDecoder vqDecoder() {
        return vqDecoder;
    }

    public int maskTokenId() {
        return maskTokenId;
    }

    public MaskingSchedule masking() {
        return masking;
    }

    /** Image pixels per token along each axis: 2^(number of VQ blocks − 1). */
    public int vaeScaleFactor() {
        return vqDecoder.config().upscaleFactor();
    }

    /** The pipeline's default image side: transformer sample_size × vae scale factor. */
    public int defaultImageSize() {
        return transformer.config().sampleSize() * vaeScaleFactor();
    }

    public WeightSet weights() {
        return weights;
    }

    @Override
    public String toString() {
        return "aMUSEd " + description;
    }

    @Override
    public void close() throws Exception {
        weights.close();
        source.close();
    }
}
