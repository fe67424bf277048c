package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import mmgp.convert.HfCheckpoint;
import mmgp.gguf.GgufFile;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import mmgp.registry.ModelDefaults;
import mmgp.schedule.FlowMatchEulerScheduler;

/**
 * A loaded LTX-Video pipeline: T5 tokenizer and encoder, the video transformer, the video VAE
 * decoder and the flow-matching scheduler's config, over one set of weights used in place.
 * Opens the Hugging Face folder (Lightricks/LTX-Video diffusers layout), a GGUF written by
 * {@code mmgp convert --model ltx}, a Lightricks single-file checkpoint
 * ({@code ltx-video-2b-v0.9.x.safetensors}, {@code ltxv-13b-0.9.x.safetensors}, see
 * {@link LtxSingleFile}) or a ComfyUI-GGUF transformer ({@link LtxComfyGguf}), of any size (the
 * widths come from the configs or tensor shapes). A single file holds only the transformer and
 * the VAE, a ComfyUI GGUF only the transformer: the rest comes from a T5 source
 * ({@link LtxCompanion}: a diffusers LTX-Video folder or an mmgp LTX-Video GGUF) given with
 * {@link #open(Path, Path, ComputeBackend)}, or for a single file with
 * {@link #open(Path, ComputeBackend)} the folder it lies in (the Lightricks/LTX-Video repository
 * keeps both side by side). The source's own transformer is not loaded.
 */
public final class LtxModel implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger(LtxModel.class.getName());
    static final List<String> COMPONENTS = List.of("text_encoder", "transformer", "vae");

    private final AutoCloseable source;
    private final WeightSet weights;
    private final T5Tokenizer tokenizer;
    private final T5Encoder textEncoder;
    private final LtxTransformer transformer;
    private final LtxVaeDecoder vae;
    private final JsonNode vaeConfig;
    private LtxVaeEncoder vaeEncoder; // built on first use: text-to-video never needs it
    private final FlowMatchEulerScheduler.Config scheduler;
    private final String description;
    private final ModelDefaults defaults;

    private LtxModel(AutoCloseable source, WeightSet weights, T5Tokenizer tokenizer, Map<String, JsonNode> configs, String description,
                     ModelDefaults defaults) {
        this.source = source;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.textEncoder = new T5Encoder(T5Config.from(configs.get("text_encoder")), weights, "text_encoder.");
        this.transformer = new LtxTransformer(LtxTransformerConfig.from(configs.get("transformer")), weights, "transformer.");
        this.vae = new LtxVaeDecoder(LtxVaeConfig.fromJson(configs.get("vae")), weights, "vae.");
        this.vaeConfig = configs.get("vae");
        this.scheduler = FlowMatchEulerScheduler.Config.from(configs.get("scheduler"));
        this.description = description;
        this.defaults = defaults;
    }

    /**
     * Opens a Hugging Face LTX-Video folder, a .gguf written by the converter, or a single-file
     * checkpoint lying in a diffusers LTX-Video folder (which gives its T5 and scheduler). A
     * ComfyUI GGUF transformer needs a T5/VAE source: {@link #open(Path, Path, ComputeBackend)}.
     */
    public static LtxModel open(Path path, ComputeBackend backend) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no LTX-Video model here (a .gguf file or a Hugging Face folder)");
        if (Files.isDirectory(path)) return openFolder(path, backend);
        if (!LtxComfyGguf.isGguf(path)) {
            Path sibling = path.toAbsolutePath().getParent();
            if (sibling == null || !Files.isDirectory(sibling.resolve("text_encoder")) || !Files.isDirectory(sibling.resolve("tokenizer"))) {
                LtxSingleFile.open(path).close(); // a file that is no LTX-Video single file is refused by what it is
                throw new IllegalArgumentException(path + " is a single-file checkpoint; it needs a T5 text encoder, tokenizer and scheduler "
                        + "from a diffusers LTX-Video folder (text_encoder/, tokenizer/, scheduler/) or an mmgp LTX-Video GGUF, "
                        + "beside it or given explicitly (video --text-encoder, serve --video-text-encoder)");
            }
            return open(path, sibling, backend);
        }
        try (GgufFile probe = GgufFile.open(path)) {
            if (!LtxConverter.ARCH.equals(probe.metadata().getString("general.architecture", ""))) {
                String why = LtxComfyGguf.refusal(probe);
                if (why != null) throw new IllegalArgumentException(path + " is " + why);
                throw new IllegalArgumentException(path + " is a ComfyUI-GGUF LTX-Video transformer; it needs the T5 text encoder, tokenizer, "
                        + "scheduler and VAE from a diffusers LTX-Video folder or an mmgp LTX-Video GGUF (video --text-encoder, serve --video-text-encoder)");
            }
        }
        return openGguf(path, backend);
    }

    /**
     * Opens a checkpoint that lacks the text encoder: a Lightricks single file
     * ({@link LtxSingleFile}: transformer + VAE) or a ComfyUI GGUF transformer
     * ({@link LtxComfyGguf}), with the T5 encoder, tokenizer and scheduler config (and, for the
     * GGUF, the VAE) of {@code textEncoderSource}: a diffusers LTX-Video folder or an mmgp
     * LTX-Video GGUF ({@link LtxCompanion}).
     */
    public static LtxModel open(Path checkpoint, Path textEncoderSource, ComputeBackend backend) throws IOException {
        if (Files.isDirectory(checkpoint)) throw new IllegalArgumentException(checkpoint + " is a folder; a text encoder source goes with a single file or a GGUF transformer");
        LtxCompanion companion = LtxCompanion.open(textEncoderSource);
        List<AutoCloseable> sources = new ArrayList<>();
        sources.add(companion);
        WeightSet weights = null;
        try {
            Map<String, JsonNode> configs = new HashMap<>();
            List<WeightSet.Region> regions = new ArrayList<>();
            if (!LtxComfyGguf.isGguf(checkpoint)) {
                LtxSingleFile single = LtxSingleFile.open(checkpoint);
                sources.add(single);
                configs.put("transformer", single.transformerConfig(companion.config("transformer")));
                configs.put("vae", single.vaeConfig());
                regions.add(single.region());
            } else {
                LtxComfyGguf gguf = LtxComfyGguf.open(checkpoint);
                sources.add(gguf);
                if (!companion.has("vae")) {
                    throw new IllegalArgumentException(textEncoderSource + " has no VAE; a ComfyUI GGUF transformer takes its VAE from the text encoder source");
                }
                configs.put("transformer", gguf.transformerConfig(companion.config("transformer")));
                configs.put("vae", companion.requiredConfig("vae"));
                String mismatch = gguf.vaeMismatch(configs.get("vae"), textEncoderSource);
                if (mismatch != null) LOG.log(System.Logger.Level.WARNING, mismatch);
                regions.add(gguf.region());
                regions.addAll(companion.regions("vae"));
            }
            configs.put("text_encoder", companion.requiredConfig("text_encoder"));
            configs.put("scheduler", companion.requiredConfig("scheduler"));
            T5Tokenizer tokenizer = companion.tokenizer();
            regions.addAll(companion.regions("text_encoder"));
            weights = WeightSet.mapFiles(backend, regions, WeightSet.modelsUseExtraBufferTypes());
            AutoCloseable source = () -> {
                for (AutoCloseable c : sources.reversed()) c.close();
            };
            return new LtxModel(source, weights, tokenizer, configs, checkpoint + " (text encoder from " + textEncoderSource + ")",
                    LtxDefaults.forModel(checkpoint));
        } catch (IOException | RuntimeException e) {
            if (weights != null) weights.close();
            for (AutoCloseable c : sources.reversed()) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // the first failure is the one to report
                }
            }
            throw e;
        }
    }

    private static LtxModel openFolder(Path folder, ComputeBackend backend) throws IOException {
        HfCheckpoint ckpt = HfCheckpoint.open(folder);
        WeightSet weights = null;
        try {
            if (!ckpt.isPipeline() || !"LTXPipeline".equals(ckpt.modelIndex().path("_class_name").asText())) {
                throw new IllegalArgumentException(folder + " is not an LTX-Video pipeline folder (model_index.json _class_name LTXPipeline)");
            }
            Map<String, JsonNode> configs = new HashMap<>();
            for (String c : COMPONENTS) configs.put(c, ckpt.component(c).config());
            Path scheduler = folder.resolve("scheduler").resolve("scheduler_config.json");
            if (!Files.isRegularFile(scheduler)) throw new NoSuchFileException(scheduler.toString());
            configs.put("scheduler", JSON.readTree(scheduler.toFile()));
            T5Tokenizer tokenizer = T5Tokenizer.load(folder.resolve("tokenizer"));
            weights = WeightSet.fromCheckpoint(backend, ckpt, WeightSet.modelsUseExtraBufferTypes());
            return new LtxModel(ckpt, weights, tokenizer, configs, folder.toString(), LtxDefaults.forModel(folder));
        } catch (IOException | RuntimeException e) {
            if (weights != null) weights.close();
            ckpt.close();
            throw e;
        }
    }

    private static LtxModel openGguf(Path file, ComputeBackend backend) throws IOException {
        GgufFile gguf = GgufFile.open(file);
        WeightSet weights = null;
        Path tokenizerDir = null;
        try {
            String arch = gguf.metadata().getString("general.architecture", "");
            if (!LtxConverter.ARCH.equals(arch)) {
                throw new IllegalArgumentException(file + " holds a '" + arch + "' model, not LTX-Video (convert one with: mmgp convert --model ltx <hf-folder> out.gguf)");
            }
            Map<String, JsonNode> configs = new HashMap<>();
            for (String c : List.of("text_encoder", "transformer", "vae", "scheduler")) configs.put(c, JSON.readTree(gguf.getString("mmgp.config." + c)));
            tokenizerDir = LtxConverter.unpackTokenizer(gguf);
            T5Tokenizer tokenizer = T5Tokenizer.load(tokenizerDir);
            weights = WeightSet.fromGguf(backend, gguf, WeightSet.modelsUseExtraBufferTypes());
            return new LtxModel(gguf, weights, tokenizer, configs, file.toString(), LtxDefaults.forModel(file));
        } catch (IOException | RuntimeException e) {
            if (weights != null) weights.close();
            gguf.close();
            throw e;
        } finally {
            if (tokenizerDir != null) LtxConverter.deleteQuietly(tokenizerDir);
        }
    }

    public T5Tokenizer tokenizer() {
        return tokenizer;
    }

    public T5Encoder textEncoder() {
        return textEncoder;
    }

    public LtxTransformer transformer() {
        return transformer;
    }

    public LtxVaeDecoder vae() {
        return vae;
    }

    /**
     * The VAE encoder (video/image → latents), for image- and video-to-video conditioning; a
     * model without its weights (a decoder-only export) is refused with a message that says so.
     */
    public synchronized LtxVaeEncoder vaeEncoder() {
        if (vaeEncoder == null) {
            if (!hasVaeEncoder()) {
                throw new IllegalArgumentException(description + " has no VAE encoder weights (vae.encoder.*), which image to video needs; "
                        + "use the full LTX-Video checkpoint or a GGUF converted from it");
            }
            vaeEncoder = new LtxVaeEncoder(LtxVaeConfig.fromJson(vaeConfig), weights, "vae.");
        }
        return vaeEncoder;
    }

    /** Whether the checkpoint holds the VAE encoder, i.e. can start a video from an image. */
    public boolean hasVaeEncoder() {
        return weights.has("vae.encoder.conv_in.conv.weight");
    }

    /**
     * The settings this checkpoint recommends ({@link LtxDefaults#forModel}: a single file's header,
     * its registry manifest, else its GGUF metadata; {@link ModelDefaults#NONE} when it has none):
     * what the pipeline and the engine fill open options with, so both run a model alike.
     */
    public ModelDefaults defaults() {
        return defaults;
    }

    public FlowMatchEulerScheduler.Config schedulerConfig() {
        return scheduler;
    }

    public WeightSet weights() {
        return weights;
    }

    @Override
    public String toString() {
        return "LTX-Video " + description;
    }

    @Override
    public void close() throws Exception {
        weights.close();
        source.close();
    }
}
