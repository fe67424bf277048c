package mmgp.models.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TensorEncoder;
import mmgp.convert.TypePolicy;
import mmgp.gguf.GgufWriter;
import mmgp.safetensors.SafetensorsCheckpoint;
import mmgp.safetensors.SafetensorsTensorInfo;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;

/**
 * SmolVLM / SmolVLM2 / Idefics3 ({@code SmolVLMForConditionalGeneration}, e.g.
 * HuggingFaceTB/SmolVLM2-256M-Video-Instruct) → the two GGUF files llama.cpp runs it from,
 * with the tensor names, metadata keys and tensor types llama.cpp's {@code convert_hf_to_gguf.py}
 * writes:
 * <ul>
 *   <li>{@code <name>-<TYPE>.gguf}: the text model as a {@code llama} architecture model
 *       (Q/K rows permuted to llama.cpp's rope layout) with its GPT-2 BPE tokenizer;</li>
 *   <li>{@code mmproj-<name>-<TYPE>.gguf}: the vision tower + connector as a {@code clip}
 *       projector of type {@code idefics3} (v.* and mm.model.fc tensors, clip.vision.* keys).</li>
 * </ul>
 * Only 2-D weight matrices take the requested type (Q8_0 falls back to F16 for rows that are not
 * a multiple of 32, as gguf-py does); norms, biases, the patch embedding and the position
 * embedding stay F32.
 *
 * <p>A checkpoint without tokenizer files (test fixtures driven by token ids) gets a synthetic
 * placeholder vocabulary of vocab_size tokens (see {@link SmolVlmVocab}), said so in
 * {@code general.description}.
 *
 * <p>{@code mmgp convert} writes one plan to one file, so {@link #plan} refuses and points to
 * {@link #convert(Path, Path, GgmlType)} (also runnable as this class's {@code main}).
 */
public final class SmolVlmConverter implements ModelConverter {
    public static final String ID = "smolvlm";

    /** What {@link #convert} wrote. */
    public record Output(Path textModel, Path mmproj) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int GGML_QUANT_VERSION = 2;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "SmolVLM2 / Idefics3 (HuggingFaceTB/SmolVLM2-*): text model (llama) + mmproj (clip, idefics3), two GGUF files for llama.cpp";
    }

    @Override
    public void plan(HfCheckpoint checkpoint, ConversionPlan plan) {
        throw new UnsupportedOperationException("smolvlm converts into two GGUF files (the llama text model and the mmproj-*.gguf "
                + "vision projector), which one ConversionPlan cannot hold; use convertInto (mmgp convert --model smolvlm <hf-folder> <out-dir>)");
    }

    /** Converts {@code hfFolder} into {@code outDir}, files named after the folder. */
    public static Output convert(Path hfFolder, Path outDir, GgmlType type) throws IOException {
        return convert(hfFolder, outDir, type, folderName(hfFolder));
    }

    /** Converts {@code hfFolder} into {@code outDir} as {@code <fileName>-<TYPE>.gguf} and {@code mmproj-<fileName>-<TYPE>.gguf}. */
    public static Output convert(Path hfFolder, Path outDir, GgmlType type, String fileName) throws IOException {
        checkType(type);
        try (HfCheckpoint ckpt = HfCheckpoint.open(hfFolder)) {
            return convert(ckpt, outDir, type, fileName);
        }
    }

    /** Converts an opened checkpoint into {@code outDir}. */
    public static Output convert(HfCheckpoint ckpt, Path outDir, GgmlType type, String fileName) throws IOException {
        checkType(type);
        Files.createDirectories(outDir);
        String suffix = "-" + type.name() + ".gguf";
        Path text = outDir.resolve(fileName + suffix);
        Path mmproj = outDir.resolve("mmproj-" + fileName + suffix);
        ConversionPlan textPlan = new ConversionPlan(new TypePolicy(type));
        planText(ckpt, textPlan);
        ConversionPlan mmPlan = new ConversionPlan(new TypePolicy(type));
        planMmproj(ckpt, mmPlan);
        textPlan.write(text, item -> { });
        mmPlan.write(mmproj, item -> { });
        return new Output(text, mmproj);
    }

    /** {@code mmgp convert --model smolvlm} writes a folder: the text model and the mmproj. */
    @Override
    public boolean writesDirectory() {
        return true;
    }

    /** Writes the text model and the mmproj into {@code outDir} at {@code policy.requested()}; returns both files. */
    @Override
    public List<Path> convertInto(HfCheckpoint checkpoint, TypePolicy policy, Path outDir) throws IOException {
        Output out = convert(checkpoint, outDir, policy.requested(), folderName(checkpoint.root()));
        return List.of(out.textModel(), out.mmproj());
    }

    private static String folderName(Path folder) {
        Path abs = folder.toAbsolutePath().normalize();
        return abs.getFileName() == null ? "model" : abs.getFileName().toString();
    }

    private static void checkType(GgmlType type) {
        switch (type) {
            case F32, F16, BF16, Q8_0 -> { }
            default -> throw new IllegalArgumentException("llama.cpp's converter writes f32, f16, bf16 or q8_0 files, not " + type
                    + " (quantize further with llama-quantize)");
        }
    }

    // ---- config

    private static HfCheckpoint.Component model(HfCheckpoint ckpt) {
        HfCheckpoint.Component c = ckpt.component("");
        JsonNode cfg = c.config();
        String arch = cfg.path("architectures").path(0).asText("");
        String modelType = cfg.path("model_type").asText("");
        if (!(arch.equals("SmolVLMForConditionalGeneration") || arch.equals("Idefics3ForConditionalGeneration")
                || modelType.equals("smolvlm") || modelType.equals("idefics3"))) {
            throw new IllegalArgumentException(ckpt.root() + " is not a SmolVLM / Idefics3 checkpoint (config.json architectures "
                    + cfg.path("architectures") + ", model_type '" + modelType + "')");
        }
        if (!cfg.has("text_config") || !cfg.has("vision_config")) {
            throw new IllegalArgumentException(ckpt.root() + "/config.json needs text_config and vision_config");
        }
        return c;
    }

    /** The text hparams as gguf-py sees them: config.json's root keys overlaid with text_config. */
    static ObjectNode textHparams(JsonNode cfg) {
        ObjectNode h = JSON.createObjectNode();
        cfg.properties().forEach(e -> h.set(e.getKey(), e.getValue()));
        cfg.path("text_config").properties().forEach(e -> h.set(e.getKey(), e.getValue()));
        // SmolVLM2 saves no num_attention_heads for its VLlama3 text config; transformers' default is 32.
        if (!h.has("num_attention_heads")) h.put("num_attention_heads", 32);
        return h;
    }

    /** The vision hparams, with SmolVLM2's missing keys defaulted as convert_hf_to_gguf.py does. */
    static ObjectNode visionHparams(JsonNode cfg) {
        ObjectNode v = ((ObjectNode) cfg.path("vision_config")).deepCopy();
        if (v.path("model_type").asText().equals("smolvlm_vision")) {
            if (!v.has("hidden_size")) v.put("hidden_size", 1152);
            if (!v.has("num_attention_heads")) v.put("num_attention_heads", 16);
            if (!v.has("intermediate_size")) v.put("intermediate_size", 3072);
        }
        return v;
    }

    private static int requireInt(JsonNode h, String... keys) {
        for (String k : keys) if (h.hasNonNull(k)) return h.get(k).asInt();
        throw new IllegalArgumentException("config has none of " + Arrays.toString(keys));
    }

    private static Double optDouble(JsonNode h, String... keys) {
        for (String k : keys) if (h.hasNonNull(k)) return h.get(k).asDouble();
        return null;
    }

    /** LlamaFileType of gguf-py: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7, MOSTLY_BF16 32. */
    static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    // ---- text model

    private static final Pattern TEXT_LAYER = Pattern.compile("model\\.text_model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");

    /** llama.cpp name of a text-model tensor, or null for one the text model does not take. */
    static String textTensorName(String hf) {
        if (hf.equals("lm_head.weight")) return "output.weight";
        if (hf.equals("model.text_model.embed_tokens.weight")) return "token_embd.weight";
        if (hf.equals("model.text_model.norm.weight")) return "output_norm.weight";
        Matcher m = TEXT_LAYER.matcher(hf);
        if (!m.matches()) return null;
        String t = switch (m.group(2)) {
            case "input_layernorm" -> "attn_norm";
            case "post_attention_layernorm" -> "ffn_norm";
            case "self_attn.q_proj" -> "attn_q";
            case "self_attn.k_proj" -> "attn_k";
            case "self_attn.v_proj" -> "attn_v";
            case "self_attn.o_proj" -> "attn_output";
            case "mlp.gate_proj" -> "ffn_gate";
            case "mlp.up_proj" -> "ffn_up";
            case "mlp.down_proj" -> "ffn_down";
            default -> null;
        };
        return t == null ? null : "blk." + m.group(1) + "." + t + "." + m.group(3);
    }

    private static boolean isVisionTensor(String hf) {
        return hf.contains("vision_tower") || hf.contains("vision_model") || hf.contains("model.connector");
    }

    /** The llama text model: hparams, tokenizer and tensors of {@code ckpt} into {@code plan}. */
    public static void planText(HfCheckpoint ckpt, ConversionPlan plan) throws IOException {
        HfCheckpoint.Component c = model(ckpt);
        JsonNode cfg = c.config();
        ObjectNode h = textHparams(cfg);
        GgmlType requested = plan.policy().requested();
        checkType(requested);
        SafetensorsCheckpoint w = c.weights();
        int nHead = requireInt(h, "num_attention_heads");
        int nHeadKv = h.hasNonNull("num_key_value_heads") ? h.get("num_key_value_heads").asInt() : nHead;
        int vocabSize = requireInt(h, "vocab_size");
        JsonNode rope = h.hasNonNull("rope_parameters") ? h.get("rope_parameters") : h.path("rope_scaling");
        String ropeType = rope.path("rope_type").asText(rope.path("type").asText(""));
        if (!ropeType.isEmpty() && !ropeType.equals("default") && !ropeType.equals("linear")) {
            throw new IllegalArgumentException("rope scaling '" + ropeType + "' is not supported by this converter");
        }

        List<Planned> tensors = new ArrayList<>();
        for (String hf : w.names().stream().sorted().toList()) {
            if (isVisionTensor(hf) || hf.endsWith(".rotary_emb.inv_freq")) continue;
            switch (w.tensor(hf).dtype()) {
                case F32, F16, BF16, F64 -> { }
                default -> { continue; }
            }
            String name = textTensorName(hf);
            if (name == null) throw new IllegalArgumentException("cannot map text tensor " + hf + " to a llama.cpp name");
            long[] torch = w.tensor(hf).shape();
            int permuteHeads = 0;
            if (hf.endsWith("q_proj.weight") || hf.endsWith("q_proj.bias")) permuteHeads = nHead;
            if (hf.endsWith("k_proj.weight") || hf.endsWith("k_proj.bias")) permuteHeads = nHeadKv;
            tensors.add(new Planned(name, hf, ConversionPlan.ggmlShape(torch),
                    llamaCppType(name, torch.length, requested, ConversionPlan.ggmlShape(torch)[0], false), permuteHeads));
        }

        GgufWriter m = plan.metadata();
        m.putString("general.architecture", "llama");
        m.putString("general.type", "model");
        m.putString("general.name", displayName(ckpt.root()));
        SmolVlmVocab vocab = SmolVlmVocab.load(c.folder(), vocabSize, cfg);
        if (vocab.synthetic) {
            m.putString("general.description", "SmolVLM text model converted by mmgp from a checkpoint without tokenizer files: "
                    + "tokenizer.ggml.tokens is a synthetic placeholder vocabulary of vocab_size tokens (special tokens and <image> at "
                    + "their configured ids, GPT-2 byte symbols elsewhere); feed token ids, not text");
        }
        m.putString("general.size_label", sizeLabel(tensors));
        m.putUInt32("llama.block_count", requireInt(h, "num_hidden_layers", "n_layers", "n_layer", "num_layers"));
        if (h.hasNonNull("max_position_embeddings")) m.putUInt32("llama.context_length", h.get("max_position_embeddings").asLong());
        m.putUInt32("llama.embedding_length", requireInt(h, "hidden_size", "n_embd", "dim"));
        m.putUInt32("llama.feed_forward_length", requireInt(h, "intermediate_size", "n_inner", "hidden_dim"));
        m.putUInt32("llama.attention.head_count", nHead);
        m.putUInt32("llama.attention.head_count_kv", nHeadKv);
        if (ropeType.equals("linear") && rope.hasNonNull("factor")) {
            m.putString("llama.rope.scaling.type", "linear");
            m.putFloat32("llama.rope.scaling.factor", (float) rope.get("factor").asDouble());
        }
        Double theta = rope.hasNonNull("rope_theta") ? Double.valueOf(rope.get("rope_theta").asDouble()) : optDouble(h, "rope_theta", "rotary_emb_base");
        if (theta != null) m.putFloat32("llama.rope.freq_base", theta.floatValue());
        Double rmsEps = optDouble(h, "rms_norm_eps", "norm_eps");
        if (rmsEps != null) m.putFloat32("llama.attention.layer_norm_rms_epsilon", rmsEps.floatValue());
        if (h.hasNonNull("head_dim")) {
            m.putUInt32("llama.attention.key_length", h.get("head_dim").asInt());
            m.putUInt32("llama.attention.value_length", h.get("head_dim").asInt());
        }
        m.putUInt32("general.file_type", fileType(requested));
        m.putUInt32("llama.vocab_size", vocabSize);
        int ropeDim = h.hasNonNull("head_dim") ? h.get("head_dim").asInt() : requireInt(h, "hidden_size") / nHead;
        m.putUInt32("llama.rope.dimension_count", ropeDim);
        m.putUInt32("general.quantization_version", GGML_QUANT_VERSION);
        vocab.writeTo(m);

        for (Planned p : tensors) add(plan, w, p);
    }

    // ---- projector

    private static final Pattern VISION_LAYER = Pattern.compile("model\\.vision_model\\.encoder\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");

    /** llama.cpp (clip) name of a vision / connector tensor, or null. */
    static String visionTensorName(String hf) {
        String s = hf.replace("model.vision_tower.", "model.vision_model.");
        switch (s) {
            case "model.vision_model.embeddings.patch_embedding.weight": return "v.patch_embd.weight";
            case "model.vision_model.embeddings.patch_embedding.bias": return "v.patch_embd.bias";
            case "model.vision_model.embeddings.position_embedding.weight": return "v.position_embd.weight";
            case "model.vision_model.post_layernorm.weight": return "v.post_ln.weight";
            case "model.vision_model.post_layernorm.bias": return "v.post_ln.bias";
            case "model.connector.modality_projection.proj.weight": return "mm.model.fc.weight";
            default: break;
        }
        Matcher m = VISION_LAYER.matcher(s);
        if (!m.matches()) return null;
        String t = switch (m.group(2)) {
            case "layer_norm1" -> "ln1";
            case "layer_norm2" -> "ln2";
            case "self_attn.q_proj" -> "attn_q";
            case "self_attn.k_proj" -> "attn_k";
            case "self_attn.v_proj" -> "attn_v";
            case "self_attn.out_proj" -> "attn_out";
            case "mlp.fc1" -> "ffn_up";
            case "mlp.fc2" -> "ffn_down";
            default -> null;
        };
        return t == null ? null : "v.blk." + m.group(1) + "." + t + "." + m.group(3);
    }

    /** The clip / idefics3 projector: vision hparams, preprocessing constants and tensors into {@code plan}. */
    public static void planMmproj(HfCheckpoint ckpt, ConversionPlan plan) throws IOException {
        HfCheckpoint.Component c = model(ckpt);
        JsonNode cfg = c.config();
        ObjectNode v = visionHparams(cfg);
        int nEmbdText = requireInt(textHparams(cfg), "hidden_size", "n_embd");
        GgmlType requested = plan.policy().requested();
        checkType(requested);
        SafetensorsCheckpoint w = c.weights();

        List<Planned> tensors = new ArrayList<>();
        for (String hf : w.names().stream().sorted().toList()) {
            if (!isVisionTensor(hf)) continue;
            switch (w.tensor(hf).dtype()) {
                case F32, F16, BF16, F64 -> { }
                default -> { continue; }
            }
            String name = visionTensorName(hf);
            if (name == null) throw new IllegalArgumentException("cannot map vision tensor " + hf + " to a clip name");
            long[] torch = w.tensor(hf).shape();
            long[] ne = ConversionPlan.ggmlShape(torch);
            tensors.add(new Planned(name, hf, ne, llamaCppType(name, torch.length, requested, ne[0], hf.contains(".embeddings.")), 0));
        }

        // preprocessor_config.json, then processor_config.json over it (MmprojModel.__init__)
        ObjectNode pre = JSON.createObjectNode();
        for (String f : List.of("preprocessor_config.json", "processor_config.json")) {
            Path p = c.folder().resolve(f);
            if (Files.isRegularFile(p)) {
                JsonNode n = JSON.readTree(p.toFile());
                n.properties().forEach(e -> pre.set(e.getKey(), e.getValue()));
                n.path("image_processor").properties().forEach(e -> pre.set(e.getKey(), e.getValue()));
            }
        }
        int imageSize = requireInt(v, "image_size");
        // No preprocessor_config.json (test fixtures): SmolVLM's processor defaults, mean = std = 0.5.
        float[] mean = floats(pre.get("image_mean"), new float[] {0.5f, 0.5f, 0.5f});
        float[] std = floats(pre.get("image_std"), new float[] {0.5f, 0.5f, 0.5f});

        GgufWriter m = plan.metadata();
        m.putString("general.architecture", "clip");
        m.putString("general.type", "mmproj");
        m.putString("general.name", displayName(ckpt.root()));
        m.putString("general.size_label", sizeLabel(tensors));
        m.putUInt32("general.file_type", fileType(requested));
        m.putBool("clip.has_vision_encoder", true);
        m.putUInt32("clip.vision.projection_dim", nEmbdText);
        m.putUInt32("clip.vision.image_size", imageSize);
        m.putUInt32("clip.vision.patch_size", requireInt(v, "patch_size"));
        m.putUInt32("clip.vision.embedding_length", requireInt(v, "hidden_size", "width", "vt_hidden_size"));
        m.putUInt32("clip.vision.feed_forward_length", requireInt(v, "intermediate_size", "vt_intermediate_size"));
        m.putUInt32("clip.vision.block_count", requireInt(v, "n_layers", "num_hidden_layers", "n_layer", "num_layers", "depth", "layers", "encoder_layers", "vt_num_hidden_layers"));
        m.putUInt32("clip.vision.attention.head_count", requireInt(v, "num_attention_heads", "num_heads", "heads", "vt_num_attention_heads"));
        m.putFloat32Array("clip.vision.image_mean", mean);
        m.putFloat32Array("clip.vision.image_std", std);
        m.putString("clip.projector_type", "idefics3");
        m.putFloat32("clip.vision.attention.layer_norm_epsilon", (float) (v.hasNonNull("layer_norm_eps") ? v.get("layer_norm_eps").asDouble() : 1e-5));
        m.putUInt32("clip.vision.projector.scale_factor", cfg.path("scale_factor").asInt(2));
        m.putBool("clip.use_gelu", true);
        m.putUInt32("clip.vision.preproc_image_size", pre.path("size").path("longest_edge").asInt(imageSize));
        m.putUInt32("general.quantization_version", GGML_QUANT_VERSION);

        for (Planned p : tensors) add(plan, w, p);
    }

    private static float[] floats(JsonNode arr, float[] fallback) {
        if (arr == null || !arr.isArray()) return fallback;
        float[] f = new float[arr.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) arr.get(i).asDouble();
        return f;
    }

    // ---- tensor types, as convert_hf_to_gguf.py's prepare_tensors decides them

    /**
     * F32 for vectors, *_norm.weight, anything not a ".weight", and (SmolVLM) the vision
     * embeddings; else the requested type, Q8_0 falling back to F16 when a row is not a whole
     * number of blocks (gguf-py raises QuantError there and writes F16).
     */
    static GgmlType llamaCppType(String ggufName, int torchDims, GgmlType requested, long ne0, boolean forceF32) {
        if (forceF32 || torchDims <= 1 || ggufName.endsWith("_norm.weight") || !ggufName.endsWith(".weight")) return GgmlType.F32;
        if (ggufName.equals("v.position_embd.weight")) return GgmlType.F32;
        if (requested == GgmlType.Q8_0 && ne0 % requested.blockSize() != 0) return GgmlType.F16;
        return requested;
    }

    /** One output tensor; {@code permuteHeads > 0} applies llama.cpp's Q/K rope row permutation with that many heads. */
    private record Planned(String name, String source, long[] ne, GgmlType type, int permuteHeads) {}

    private static void add(ConversionPlan plan, SafetensorsCheckpoint w, Planned p) throws IOException {
        if (p.permuteHeads() == 0) {
            plan.add(p.name(), w, p.source(), p.ne(), p.type());
            return;
        }
        // ConversionPlan copies tensors as they are; the permuted ones are produced here.
        SafetensorsTensorInfo info = w.tensor(p.source());
        long rows = info.shape()[0];
        long cols = info.elementCount() / rows;
        int heads = p.permuteHeads();
        if (rows % (2L * heads) != 0) throw new IllegalArgumentException(p.source() + ": " + rows + " rows do not split into " + heads + " rope heads");
        plan.metadata().addTensor(p.name(), p.type(), p.ne(), target -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = readF32(w, p.source(), arena);
                MemorySegment dst = arena.allocate(rows * cols * 4, 64);
                long half = rows / heads / 2;
                for (long hIdx = 0; hIdx < heads; hIdx++) {
                    for (long j = 0; j < half; j++) {
                        for (long t = 0; t < 2; t++) {
                            long from = hIdx * 2 * half + t * half + j; // (head, t, j) in the Hugging Face layout
                            long to = hIdx * 2 * half + j * 2 + t;      // (head, j, t) in llama.cpp's
                            MemorySegment.copy(src, from * cols * 4, dst, to * cols * 4, cols * 4);
                        }
                    }
                }
                long rowLength = p.ne()[0];
                TensorEncoder.encode(p.type(), dst, rows * cols / rowLength, rowLength, target);
            }
        });
    }

    private static MemorySegment readF32(SafetensorsCheckpoint w, String name, Arena arena) throws IOException {
        SafetensorsTensorInfo info = w.tensor(name);
        MemorySegment src = w.data(name);
        long n = info.elementCount();
        MemorySegment dst = arena.allocate(n * 4, 64);
        switch (info.dtype()) {
            case F32 -> MemorySegment.copy(src, 0, dst, 0, n * 4);
            case F16 -> { for (long i = 0; i < n; i++) dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, HalfPrecision.f16ToFloat(src.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i))); }
            case BF16 -> { for (long i = 0; i < n; i++) dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, HalfPrecision.bf16ToFloat(src.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i))); }
            case F64 -> { for (long i = 0; i < n; i++) dst.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) src.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i)); }
            default -> throw new IllegalArgumentException(name + " has dtype " + info.dtype());
        }
        return dst;
    }

    // ---- general.* helpers

    /** general.name from the folder, like gguf-py's heuristic for a bare folder: hyphens to spaces, lower-case words capitalized. */
    static String displayName(Path folder) {
        Path abs = folder.toAbsolutePath().normalize();
        String base = abs.getFileName() == null ? "model" : abs.getFileName().toString();
        List<String> parts = new ArrayList<>();
        for (String part : base.split("-")) {
            if (part.isEmpty()) continue;
            parts.add(part.equals(part.toLowerCase(Locale.ROOT)) ? Character.toUpperCase(part.charAt(0)) + part.substring(1) : part);
        }
        return String.join(" ", parts);
    }

    /** gguf-py's size_label / model_weight_count_rounded_notation over the written tensors. */
    static String sizeLabel(List<Planned> tensors) {
        long total = 0;
        for (Planned p : tensors) {
            long n = 1;
            for (long d : p.ne()) n *= d;
            total += n;
        }
        return roundedNotation(total);
    }

    static String roundedNotation(long count) {
        double scaled;
        String suffix;
        if (count > 1e12) { scaled = count * 1e-12; suffix = "T"; }
        else if (count > 1e9) { scaled = count * 1e-9; suffix = "B"; }
        else if (count > 1e6) { scaled = count * 1e-6; suffix = "M"; }
        else { scaled = count * 1e-3; suffix = "K"; }
        String intDigits = Long.toString(Math.round(scaled)).replaceFirst("^0+", "");
        int fix = Math.max(2 - intDigits.length(), 0);
        return String.format(Locale.ROOT, "%." + fix + "f", scaled) + suffix;
    }
}
