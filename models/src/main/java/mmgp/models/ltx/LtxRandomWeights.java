package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import mmgp.convert.TypePolicy;
import mmgp.models.RandomWeights;
import mmgp.tensor.GgmlType;

/**
 * An LTX-Video GGUF with random weights of the exact 2B 0.9.0 shapes (T5-v1.1-XXL, the 28-layer
 * transformer, the 0.9.0 VAE; see {@link RandomWeights}), with a stand-in sentencepiece
 * tokenizer (letters and the word boundary only) since the real spiece.model is not here.
 */
public final class LtxRandomWeights {
    static final String TEXT_ENCODER = """
            {"d_model":4096,"d_kv":64,"d_ff":10240,"num_layers":24,"num_heads":64,"relative_attention_num_buckets":32,
             "relative_attention_max_distance":128,"layer_norm_epsilon":1e-6,"feed_forward_proj":"gated-gelu",
             "dense_act_fn":"gelu_new","is_gated_act":true,"vocab_size":32128}""";
    static final String TRANSFORMER = """
            {"_class_name":"LTXVideoTransformer3DModel","in_channels":128,"out_channels":128,"patch_size":1,"patch_size_t":1,
             "num_attention_heads":32,"attention_head_dim":64,"cross_attention_dim":2048,"num_layers":28,
             "activation_fn":"gelu-approximate","qk_norm":"rms_norm_across_heads","norm_elementwise_affine":false,
             "norm_eps":1e-6,"caption_channels":4096,"attention_bias":true,"attention_out_bias":true}""";
    static final String VAE = """
            {"_class_name":"AutoencoderKLLTXVideo","in_channels":3,"out_channels":3,"latent_channels":128,
             "block_out_channels":[128,256,512,512],"decoder_block_out_channels":[128,256,512,512],
             "layers_per_block":[4,3,3,3,4],"decoder_layers_per_block":[4,3,3,3,4],
             "spatio_temporal_scaling":[true,true,true,false],"decoder_spatio_temporal_scaling":[true,true,true,false],
             "decoder_inject_noise":[false,false,false,false,false],"upsample_residual":[false,false,false,false],
             "upsample_factor":[1,1,1,1],"patch_size":4,"patch_size_t":1,"resnet_norm_eps":1e-6,"scaling_factor":1.0,
             "encoder_causal":true,"decoder_causal":false,"timestep_conditioning":false,
             "spatial_compression_ratio":null,"temporal_compression_ratio":null}""";
    /** 0.9.5's VAE as diffusers' conversion configures it: timestep-conditioned decoder with residual upsamplers. */
    static final String VAE_095 = """
            {"_class_name":"AutoencoderKLLTXVideo","in_channels":3,"out_channels":3,"latent_channels":128,
             "block_out_channels":[128,256,512,1024,2048],"decoder_block_out_channels":[256,512,1024],
             "layers_per_block":[4,6,6,2,2],"decoder_layers_per_block":[5,5,5,5],
             "spatio_temporal_scaling":[true,true,true,true],"decoder_spatio_temporal_scaling":[true,true,true],
             "decoder_inject_noise":[false,false,false,false],"upsample_residual":[true,true,true],"upsample_factor":[2,2,2],
             "down_block_types":["LTXVideo095DownBlock3D","LTXVideo095DownBlock3D","LTXVideo095DownBlock3D","LTXVideo095DownBlock3D"],
             "downsample_type":["spatial","temporal","spatiotemporal","spatiotemporal"],
             "patch_size":4,"patch_size_t":1,"resnet_norm_eps":1e-6,"scaling_factor":1.0,"encoder_causal":true,"decoder_causal":false,
             "timestep_conditioning":true,"spatial_compression_ratio":32,"temporal_compression_ratio":8}""";
    static final String SCHEDULER_095 = """
            {"_class_name":"FlowMatchEulerDiscreteScheduler","base_image_seq_len":256,"base_shift":0.5,"max_image_seq_len":4096,
             "max_shift":1.15,"num_train_timesteps":1000,"shift":1.0,"shift_terminal":null,"time_shift_type":"exponential",
             "use_dynamic_shifting":false}""";
    static final String SCHEDULER = """
            {"_class_name":"FlowMatchEulerDiscreteScheduler","base_image_seq_len":1024,"base_shift":0.95,"max_image_seq_len":4096,
             "max_shift":2.05,"num_train_timesteps":1000,"shift":1.0,"shift_terminal":0.1,"time_shift_type":"exponential",
             "use_dynamic_shifting":true}""";

    private LtxRandomWeights() {}

    /** The 2B 0.9.0 shapes. */
    public static long write(Path out, GgmlType type, long seed) throws IOException {
        return write(out, type, seed, false);
    }

    /** The 2B shapes; {@code v095} takes 0.9.5's timestep-conditioned VAE and static-shift scheduler. */
    public static long write(Path out, GgmlType type, long seed, boolean v095) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, JsonNode> configs = Map.of("text_encoder", json.readTree(TEXT_ENCODER), "transformer", json.readTree(TRANSFORMER),
                "vae", json.readTree(v095 ? VAE_095 : VAE), "scheduler", json.readTree(v095 ? SCHEDULER_095 : SCHEDULER));
        TypePolicy policy = new TypePolicy(type);
        new LtxConverter().adjust(policy);
        return RandomWeights.write(out, policy, seed, recorder -> {
            new T5Encoder(T5Config.from(configs.get("text_encoder")), recorder, "text_encoder.");
            new LtxTransformer(LtxTransformerConfig.from(configs.get("transformer")), recorder, "transformer.");
            new LtxVaeDecoder(LtxVaeConfig.fromJson(configs.get("vae")), recorder, "vae.");
            new LtxVaeEncoder(LtxVaeConfig.fromJson(configs.get("vae")), recorder, "vae.");
        }, writer -> {
            writer.putString("general.architecture", LtxConverter.ARCH);
            writer.putString("general.name", "LTX-Video 2B " + (v095 ? "0.9.5" : "0.9.0") + " shapes, random weights");
            configs.forEach((k, v) -> writer.putString("mmgp.config." + k, v.toString()));
            writer.putString(LtxConverter.TOKENIZER_KEY + "spiece.model", Base64.getEncoder().encodeToString(standInSentencePiece()));
        });
    }

    /** A valid unigram ModelProto: <pad>, </s>, <unk>, the word boundary and a–z. */
    static byte[] standInSentencePiece() {
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        String[] control = {"<pad>", "</s>"};
        for (String c : control) field(model, 1, piece(c, 0f, 3));
        field(model, 1, piece("<unk>", 0f, 2));
        field(model, 1, piece("\u2581", -2f, 1));
        for (char c = 'a'; c <= 'z'; c++) field(model, 1, piece(String.valueOf(c), -3f - (c - 'a') * 0.01f, 1));
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        varintField(trainer, 3, 1); // model_type UNIGRAM
        field(model, 2, trainer.toByteArray());
        ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
        field(normalizer, 1, "identity".getBytes(StandardCharsets.UTF_8));
        varintField(normalizer, 3, 1); // add_dummy_prefix
        varintField(normalizer, 4, 1); // remove_extra_whitespaces
        varintField(normalizer, 5, 1); // escape_whitespaces
        field(model, 3, normalizer.toByteArray());
        return model.toByteArray();
    }

    private static byte[] piece(String text, float score, int type) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        field(p, 1, text.getBytes(StandardCharsets.UTF_8));
        p.write((2 << 3) | 5);
        int bits = Float.floatToIntBits(score);
        for (int i = 0; i < 4; i++) p.write(bits >>> (8 * i));
        varintField(p, 3, type);
        return p.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, int number, byte[] bytes) {
        varint(out, (number << 3) | 2);
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void varintField(ByteArrayOutputStream out, int number, long value) {
        varint(out, number << 3);
        varint(out, value);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
