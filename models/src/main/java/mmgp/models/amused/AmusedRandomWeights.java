package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mmgp.convert.TypePolicy;
import mmgp.gguf.GgufWriter;
import mmgp.models.RandomWeights;
import mmgp.tensor.GgmlType;

/**
 * An aMUSEd GGUF with random weights of the exact amused/amused-256 shapes (see
 * {@link RandomWeights}), with a stand-in tokenizer of the real vocabulary size.
 */
public final class AmusedRandomWeights {
    /** amused-256's configs (diffusers' UVit2DModel defaults with sample_size 16; CLIP ViT-L/14 text; the VQ-GAN of scripts/convert_amused.py). */
    static final String TEXT_ENCODER = """
            {"hidden_size":768,"intermediate_size":3072,"num_hidden_layers":12,"num_attention_heads":12,
             "max_position_embeddings":77,"layer_norm_eps":1e-5,"hidden_act":"quick_gelu","projection_dim":768,
             "vocab_size":49408,"eos_token_id":2,"bos_token_id":0,"pad_token_id":1}""";
    static final String TRANSFORMER = """
            {"hidden_size":1024,"use_bias":false,"hidden_dropout":0.0,"cond_embed_dim":768,"micro_cond_encode_dim":256,
             "micro_cond_embed_dim":1280,"encoder_hidden_size":768,"vocab_size":8256,"codebook_size":8192,"in_channels":768,
             "block_out_channels":768,"num_res_blocks":3,"downsample":false,"upsample":false,"block_num_heads":12,
             "num_hidden_layers":22,"num_attention_heads":16,"attention_dropout":0.0,"intermediate_size":2816,
             "layer_norm_eps":1e-6,"ln_elementwise_affine":true,"sample_size":16}""";
    static final String VQVAE = """
            {"act_fn":"silu","block_out_channels":[128,256,256,512,768],"in_channels":3,"out_channels":3,"latent_channels":64,
             "layers_per_block":2,"norm_num_groups":32,"num_vq_embeddings":8192,"sample_size":32,"norm_type":"group",
             "mid_block_add_attention":false,"lookup_from_codebook":true,"force_upcast":false,"vq_embed_dim":null,
             "up_block_types":["UpDecoderBlock2D","UpDecoderBlock2D","UpDecoderBlock2D","UpDecoderBlock2D","UpDecoderBlock2D"],
             "down_block_types":["DownEncoderBlock2D","DownEncoderBlock2D","DownEncoderBlock2D","DownEncoderBlock2D","DownEncoderBlock2D"],
             "scaling_factor":0.18215}""";
    static final String SCHEDULER = "{\"mask_token_id\":8255,\"masking_schedule\":\"cosine\"}";

    private AmusedRandomWeights() {}

    /** Writes the file; returns its size in bytes. */
    public static long write(Path out, GgmlType type, long seed) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, JsonNode> configs = Map.of("text_encoder", json.readTree(TEXT_ENCODER), "transformer", json.readTree(TRANSFORMER),
                "vqvae", json.readTree(VQVAE), "scheduler", json.readTree(SCHEDULER));
        TypePolicy policy = new TypePolicy(type);
        new AmusedConverter().adjust(policy);
        return RandomWeights.write(out, policy, seed, recorder -> {
            new ClipTextEncoder(ClipTextConfig.from(configs.get("text_encoder")), recorder, "text_encoder.");
            new UVit2D(UVit2DConfig.from(configs.get("transformer")), recorder, "transformer.");
            new VqDecoder(VqConfig.fromJson(configs.get("vqvae")), recorder, "vqvae.");
        }, writer -> {
            writer.putString("general.architecture", AmusedConverter.ARCH);
            writer.putString("general.name", "amused-256 shapes, random weights");
            configs.forEach((k, v) -> writer.putString("mmgp.config." + k, v.toString()));
            writeSyntheticTokenizer(writer, configs.get("text_encoder").get("vocab_size").asInt());
        });
    }

    /** GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest map from U+0100 on. */
    private static String byteSymbols() {
        StringBuilder sb = new StringBuilder();
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            sb.append((char) (printable ? b : 256 + next++));
        }
        return sb.toString();
    }

    /** A stand-in CLIP vocabulary of the real size: byte symbols, their word-final forms, fillers, then BOS/EOS. */
    private static void writeSyntheticTokenizer(GgufWriter writer, int vocabSize) {
        List<String> tokens = new ArrayList<>(vocabSize);
        String alphabet = byteSymbols();
        for (int i = 0; i < alphabet.length(); i++) tokens.add(String.valueOf(alphabet.charAt(i)));
        for (int i = 0; i < alphabet.length(); i++) tokens.add(alphabet.charAt(i) + "</w>");
        while (tokens.size() < vocabSize - 2) tokens.add("<filler_" + tokens.size() + ">");
        tokens.add("<|startoftext|>");
        tokens.add("<|endoftext|>");
        writer.putString("tokenizer.ggml.model", "clip-bpe");
        writer.putStringArray("tokenizer.ggml.tokens", tokens);
        writer.putStringArray("tokenizer.ggml.merges", List.of());
        writer.putString("mmgp.tokenizer.bos_token", "<|startoftext|>");
        writer.putString("mmgp.tokenizer.eos_token", "<|endoftext|>");
        writer.putString("mmgp.tokenizer.pad_token", "<|endoftext|>");
        writer.putString("mmgp.tokenizer.unk_token", "<|endoftext|>");
        writer.putInt32("mmgp.tokenizer.max_length", 77);
    }
}
