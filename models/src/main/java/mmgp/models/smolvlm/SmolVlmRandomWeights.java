package mmgp.models.smolvlm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.BufferedOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.tensor.GgmlType;

/**
 * SmolVLM2-256M with random weights, to measure speed without the checkpoint: a Hugging Face
 * folder (config.json, preprocessor/processor configs, one BF16 model.safetensors) of the exact
 * SmolVLM2-256M-Video-Instruct shapes, converted by {@link SmolVlmConverter} into the text GGUF
 * and the mmproj llama.cpp runs. There is no tokenizer: the converter writes its placeholder
 * vocabulary of 49280 tokens (special tokens, {@code <image>} and the idefics3 wrapper tokens at
 * their SmolVLM2 ids, byte symbols elsewhere), so prompts tokenize byte by byte.
 *
 * <p>Shapes: text llama (hidden 576, 30 layers, 9 heads, 3 KV heads, intermediate 1536, vocab
 * 49280, rope theta 100000); vision SigLIP (hidden 768, 12 layers, 12 heads, intermediate 3072,
 * patch 16, image 512) with the pixel-shuffle connector (scale factor 4: 576 × 12288).
 */
public final class SmolVlmRandomWeights {
    static final int TEXT_HIDDEN = 576, TEXT_LAYERS = 30, TEXT_HEADS = 9, TEXT_KV_HEADS = 3, TEXT_INTERMEDIATE = 1536,
            VOCAB = 49280, HEAD_DIM = 64;
    static final int VISION_HIDDEN = 768, VISION_LAYERS = 12, VISION_HEADS = 12, VISION_INTERMEDIATE = 3072, PATCH = 16,
            IMAGE = 512, SCALE_FACTOR = 4;
    /** SmolVLM2's ids: <image>, <end_of_utterance> (eos), <|im_start|> (bos), <|im_end|> (pad). */
    static final int IMAGE_TOKEN_ID = 49190, EOS_ID = 49279, BOS_ID = 1, PAD_ID = 2;

    private SmolVlmRandomWeights() {}

    /** Writes the Hugging Face folder {@code hfDir}, then converts it into {@code outDir} at {@code type}. */
    public static SmolVlmConverter.Output write(Path hfDir, Path outDir, GgmlType type, long seed) throws IOException {
        writeHfFolder(hfDir, seed);
        return SmolVlmConverter.convert(hfDir, outDir, type, "smolvlm2-256m-random");
    }

    static void writeHfFolder(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode text = json.createObjectNode()
                .put("model_type", "llama").put("hidden_size", TEXT_HIDDEN).put("intermediate_size", TEXT_INTERMEDIATE)
                .put("num_hidden_layers", TEXT_LAYERS).put("num_attention_heads", TEXT_HEADS).put("num_key_value_heads", TEXT_KV_HEADS)
                .put("head_dim", HEAD_DIM).put("vocab_size", VOCAB).put("rope_theta", 100000.0).put("rms_norm_eps", 1e-5)
                .put("max_position_embeddings", 8192).put("hidden_act", "silu").put("eos_token_id", EOS_ID)
                .put("bos_token_id", BOS_ID).put("pad_token_id", PAD_ID).put("tie_word_embeddings", false);
        ObjectNode vision = json.createObjectNode()
                .put("model_type", "smolvlm_vision").put("hidden_size", VISION_HIDDEN).put("intermediate_size", VISION_INTERMEDIATE)
                .put("num_hidden_layers", VISION_LAYERS).put("num_attention_heads", VISION_HEADS).put("patch_size", PATCH)
                .put("image_size", IMAGE).put("num_channels", 3).put("layer_norm_eps", 1e-6).put("hidden_act", "gelu_pytorch_tanh");
        ObjectNode config = json.createObjectNode();
        config.putArray("architectures").add("SmolVLMForConditionalGeneration");
        config.put("model_type", "smolvlm").put("image_token_id", IMAGE_TOKEN_ID).put("scale_factor", SCALE_FACTOR)
                .put("pad_token_id", PAD_ID).put("tie_word_embeddings", false).put("torch_dtype", "bfloat16");
        config.set("text_config", text);
        config.set("vision_config", vision);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"bos_token_id\": " + BOS_ID + ", \"eos_token_id\": " + EOS_ID + ", \"pad_token_id\": " + PAD_ID + "}\n");
        // SmolVLM2-256M-Video-Instruct's preprocessing: images up to 2048 split into 512 tiles, videos at 512.
        Files.writeString(dir.resolve("preprocessor_config.json"), """
                {"do_convert_rgb": true, "do_image_splitting": true, "do_normalize": true, "do_pad": true, "do_rescale": true,
                 "do_resize": true, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
                 "image_processor_type": "SmolVLMImageProcessor", "max_image_size": {"longest_edge": 512},
                 "processor_class": "SmolVLMProcessor", "resample": 1, "rescale_factor": 0.00392156862745098,
                 "size": {"longest_edge": 2048},
                 "video_sampling": {"fps": 1, "max_frames": 64, "video_size": {"longest_edge": 512}}}
                """);
        Files.writeString(dir.resolve("processor_config.json"), "{\"image_seq_len\": 64, \"processor_class\": \"SmolVLMProcessor\"}\n");
        writeSafetensors(dir.resolve("model.safetensors"), shapes(), seed);
    }

    /** Hugging Face tensor names and shapes of SmolVLMForConditionalGeneration at the 256M size. */
    static Map<String, long[]> shapes() {
        Map<String, long[]> t = new LinkedHashMap<>();
        int kv = TEXT_KV_HEADS * HEAD_DIM;
        t.put("model.text_model.embed_tokens.weight", new long[] {VOCAB, TEXT_HIDDEN});
        for (int i = 0; i < TEXT_LAYERS; i++) {
            String p = "model.text_model.layers." + i + ".";
            t.put(p + "input_layernorm.weight", new long[] {TEXT_HIDDEN});
            t.put(p + "post_attention_layernorm.weight", new long[] {TEXT_HIDDEN});
            t.put(p + "self_attn.q_proj.weight", new long[] {TEXT_HEADS * HEAD_DIM, TEXT_HIDDEN});
            t.put(p + "self_attn.k_proj.weight", new long[] {kv, TEXT_HIDDEN});
            t.put(p + "self_attn.v_proj.weight", new long[] {kv, TEXT_HIDDEN});
            t.put(p + "self_attn.o_proj.weight", new long[] {TEXT_HIDDEN, TEXT_HEADS * HEAD_DIM});
            t.put(p + "mlp.gate_proj.weight", new long[] {TEXT_INTERMEDIATE, TEXT_HIDDEN});
            t.put(p + "mlp.up_proj.weight", new long[] {TEXT_INTERMEDIATE, TEXT_HIDDEN});
            t.put(p + "mlp.down_proj.weight", new long[] {TEXT_HIDDEN, TEXT_INTERMEDIATE});
        }
        t.put("model.text_model.norm.weight", new long[] {TEXT_HIDDEN});
        t.put("lm_head.weight", new long[] {VOCAB, TEXT_HIDDEN});
        String v = "model.vision_model.";
        t.put(v + "embeddings.patch_embedding.weight", new long[] {VISION_HIDDEN, 3, PATCH, PATCH});
        t.put(v + "embeddings.patch_embedding.bias", new long[] {VISION_HIDDEN});
        t.put(v + "embeddings.position_embedding.weight", new long[] {(long) (IMAGE / PATCH) * (IMAGE / PATCH), VISION_HIDDEN});
        for (int i = 0; i < VISION_LAYERS; i++) {
            String p = v + "encoder.layers." + i + ".";
            for (String norm : List.of("layer_norm1", "layer_norm2")) {
                t.put(p + norm + ".weight", new long[] {VISION_HIDDEN});
                t.put(p + norm + ".bias", new long[] {VISION_HIDDEN});
            }
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                t.put(p + "self_attn." + proj + ".weight", new long[] {VISION_HIDDEN, VISION_HIDDEN});
                t.put(p + "self_attn." + proj + ".bias", new long[] {VISION_HIDDEN});
            }
            t.put(p + "mlp.fc1.weight", new long[] {VISION_INTERMEDIATE, VISION_HIDDEN});
            t.put(p + "mlp.fc1.bias", new long[] {VISION_INTERMEDIATE});
            t.put(p + "mlp.fc2.weight", new long[] {VISION_HIDDEN, VISION_INTERMEDIATE});
            t.put(p + "mlp.fc2.bias", new long[] {VISION_HIDDEN});
        }
        t.put(v + "post_layernorm.weight", new long[] {VISION_HIDDEN});
        t.put(v + "post_layernorm.bias", new long[] {VISION_HIDDEN});
        t.put("model.connector.modality_projection.proj.weight",
                new long[] {TEXT_HIDDEN, (long) VISION_HIDDEN * SCALE_FACTOR * SCALE_FACTOR});
        return t;
    }

    /**
     * A BF16 safetensors file: norm scales near 1, everything else N(0, 0.02), so activations stay
     * finite through 30 layers.
     */
    static void writeSafetensors(Path file, Map<String, long[]> tensors, long seed) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        List<Long> sizes = new ArrayList<>();
        for (Map.Entry<String, long[]> e : tensors.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            sizes.add(n);
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":[");
            for (int i = 0; i < e.getValue().length; i++) header.append(i == 0 ? "" : ",").append(e.getValue()[i]);
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + 2 * n).append("]}");
            offset += 2 * n;
        }
        header.append('}');
        while ((header.length() + 8) % 8 != 0) header.append(' ');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).array());
            out.write(headerBytes);
            int k = 0;
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, long[]> e : tensors.entrySet()) {
                String name = e.getKey();
                boolean scale = name.contains("norm") && name.endsWith(".weight");
                SplittableRandom random = new SplittableRandom(seed * 31 + name.hashCode());
                for (long i = 0, n = sizes.get(k++); i < n; i++) {
                    float value = (float) (random.nextGaussian() * 0.02) + (scale ? 1f : 0f);
                    chunk.putShort((short) (Float.floatToRawIntBits(value) >>> 16)); // truncation to bfloat16 is fine for noise
                    if (!chunk.hasRemaining()) {
                        out.write(chunk.array(), 0, chunk.position());
                        chunk.clear();
                    }
                }
            }
            out.write(chunk.array(), 0, chunk.position());
        }
    }

    /** {@code SmolVlmRandomWeights <hf-dir> <out-dir> [type=q8_0] [seed=1]}. */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: SmolVlmRandomWeights <hf-dir> <gguf-out-dir> [f32|f16|bf16|q8_0] [seed]");
            System.exit(2);
        }
        GgmlType type = args.length > 2 ? GgmlType.valueOf(args[2].toUpperCase(Locale.ROOT)) : GgmlType.Q8_0;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
        long start = System.nanoTime();
        SmolVlmConverter.Output out = write(Path.of(args[0]), Path.of(args[1]), type, seed);
        System.out.printf(Locale.ROOT, "wrote %s (%.1f MiB) and %s (%.1f MiB) in %.1f s%n", out.textModel(), Files.size(out.textModel()) / 1048576.0,
                out.mmproj(), Files.size(out.mmproj()) / 1048576.0, (System.nanoTime() - start) / 1e9);
    }
}
