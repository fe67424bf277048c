package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mmgp.convert.HfCheckpoint;
import mmgp.gguf.GgufFile;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsCheckpoint;
import mmgp.safetensors.SafetensorsTensorInfo;
import mmgp.schedule.FlowMatchEulerScheduler;
import mmgp.tensor.GgmlType;

/**
 * A loaded LTX-Video pipeline: T5 tokenizer and encoder, the video transformer, the video VAE
 * decoder and the flow-matching scheduler's config, over one set of weights used in place.
 * Opens the Hugging Face folder (Lightricks/LTX-Video diffusers layout), a GGUF written by
 * {@code mmgp convert --model ltx}, or a Lightricks single-file checkpoint
 * ({@code ltx-video-2b-v0.9.x.safetensors}, see {@link LtxSingleFile}). A single file holds only
 * the transformer and the VAE: the T5 text encoder, tokenizer and scheduler config come from a
 * diffusers LTX-Video folder ({@code text_encoder/}, {@code tokenizer/}, {@code scheduler/}),
 * given explicitly with {@link #open(Path, Path, ComputeBackend)} or, with
 * {@link #open(Path, ComputeBackend)}, the folder the file lies in (the Lightricks/LTX-Video
 * repository keeps both side by side). The folder's own transformer and VAE are not loaded.
 */
public final class LtxModel implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
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

    private LtxModel(AutoCloseable source, WeightSet weights, T5Tokenizer tokenizer, Map<String, JsonNode> configs, String description) {
        this.source = source;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.textEncoder = new T5Encoder(T5Config.from(configs.get("text_encoder")), weights, "text_encoder.");
        this.transformer = new LtxTransformer(LtxTransformerConfig.from(configs.get("transformer")), weights, "transformer.");
        this.vae = new LtxVaeDecoder(LtxVaeConfig.fromJson(configs.get("vae")), weights, "vae.");
        this.vaeConfig = configs.get("vae");
        this.scheduler = FlowMatchEulerScheduler.Config.from(configs.get("scheduler"));
        this.description = description;
    }

    /** Opens a Hugging Face LTX-Video folder, or a .gguf written by the converter. */
    public static LtxModel open(Path path, ComputeBackend backend) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no LTX-Video model here (a .gguf file or a Hugging Face folder)");
        if (Files.isDirectory(path)) return openFolder(path, backend);
        if (path.getFileName().toString().endsWith(".safetensors")) {
            Path sibling = path.toAbsolutePath().getParent();
            if (sibling == null || !Files.isDirectory(sibling.resolve("text_encoder")) || !Files.isDirectory(sibling.resolve("tokenizer"))) {
                LtxSingleFile.open(path).close(); // a file that is no LTX-Video single file is refused by what it is
                throw new IllegalArgumentException(path + " is a single-file checkpoint; it needs a T5 text encoder, tokenizer and scheduler "
                        + "from a diffusers LTX-Video folder (text_encoder/, tokenizer/, scheduler/), beside it or given explicitly");
            }
            return open(path, sibling, backend);
        }
        return openGguf(path, backend);
    }

    /**
     * Opens a Lightricks single-file checkpoint ({@link LtxSingleFile}) with the text encoder,
     * tokenizer and scheduler config of the diffusers LTX-Video folder {@code textEncoderFolder}.
     */
    public static LtxModel open(Path singleFile, Path textEncoderFolder, ComputeBackend backend) throws IOException {
        LtxSingleFile single = LtxSingleFile.open(singleFile);
        SafetensorsCheckpoint te = null;
        WeightSet weights = null;
        try {
            Map<String, JsonNode> configs = new HashMap<>();
            configs.put("transformer", single.transformerConfig());
            configs.put("vae", single.vaeConfig());
            Path teDir = textEncoderFolder.resolve("text_encoder");
            Path teConfig = teDir.resolve("config.json");
            Path scheduler = textEncoderFolder.resolve("scheduler").resolve("scheduler_config.json");
            for (Path p : List.of(teConfig, scheduler)) {
                if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "the text encoder folder of a single-file LTX-Video checkpoint needs it");
            }
            configs.put("text_encoder", JSON.readTree(teConfig.toFile()));
            configs.put("scheduler", JSON.readTree(scheduler.toFile()));
            T5Tokenizer tokenizer = T5Tokenizer.load(textEncoderFolder.resolve("tokenizer"));
            te = SafetensorsCheckpoint.open(teDir);
            List<WeightSet.Region> regions = new ArrayList<>();
            regions.add(single.region());
            Map<mmgp.safetensors.SafetensorsFile, List<WeightSet.Entry>> byFile = new LinkedHashMap<>();
            for (String name : te.names()) {
                SafetensorsTensorInfo info = te.tensor(name);
                GgmlType type = switch (info.dtype()) {
                    case F32 -> GgmlType.F32;
                    case F16 -> GgmlType.F16;
                    case BF16 -> GgmlType.BF16;
                    default -> null;
                };
                if (type == null) continue;
                long[] ne = mmgp.convert.ConversionPlan.ggmlShape(info.shape());
                byFile.computeIfAbsent(te.fileOf(name), k -> new ArrayList<>())
                        .add(new WeightSet.Entry("text_encoder." + name, type, ne, info.fileOffset(), ne.length == 2 && ne[1] > 1));
            }
            byFile.forEach((file, entries) -> regions.add(new WeightSet.Region(file.mapping(), entries)));
            weights = WeightSet.mapRegions(backend, regions, true);
            SafetensorsCheckpoint teFinal = te;
            AutoCloseable source = () -> {
                teFinal.close();
                single.close();
            };
            return new LtxModel(source, weights, tokenizer, configs, singleFile + " (text encoder from " + textEncoderFolder + ")");
        } catch (IOException | RuntimeException e) {
            if (weights != null) weights.close();
            if (te != null) te.close();
            single.close();
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
            weights = WeightSet.fromCheckpoint(backend, ckpt, true);
            return new LtxModel(ckpt, weights, tokenizer, configs, folder.toString());
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
            weights = WeightSet.fromGguf(backend, gguf, true);
            return new LtxModel(gguf, weights, tokenizer, configs, file.toString());
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
