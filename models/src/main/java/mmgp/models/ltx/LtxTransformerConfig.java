package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import mmgp.models.ConfigReader;
import java.util.Set;

/**
 * The hyper-parameters of a diffusers {@code LTXVideoTransformer3DModel}, read from the
 * {@code transformer/config.json} of an LTX-Video pipeline. Field names follow the config keys.
 * As diffusers' {@code from_config} does, a key left out takes the constructor's default
 * (those of LTX-Video 2B 0.9.0); a key that is present but malformed is refused by name.
 *
 * @param outChannels           proj_out width; the reference's {@code out_channels or in_channels}
 * @param patchSize             only scales the RoPE coordinates: packing latents into tokens is the pipeline's job
 * @param patchSizeT            as patchSize, along time
 * @param crossAttentionDim     attn2's key/value input width; must equal inner_dim, which caption_projection outputs
 * @param activationFn          the feed-forward activation: "gelu-approximate" (tanh) or "gelu" (erf)
 * @param qkNorm                must be "rms_norm_across_heads" (one RMSNorm over all heads of q and of k)
 * @param normElementwiseAffine whether norm1/norm2 of each block carry a weight
 * @param normEps               eps of norm1/norm2 (norm_out uses 1e-6, the q/k norms 1e-5, as the reference hard-codes)
 * @param captionChannels       width of the text-encoder states caption_projection takes
 */
public record LtxTransformerConfig(
        int inChannels,
        int outChannels,
        int patchSize,
        int patchSizeT,
        int numAttentionHeads,
        int attentionHeadDim,
        int crossAttentionDim,
        int numLayers,
        String activationFn,
        String qkNorm,
        boolean normElementwiseAffine,
        double normEps,
        int captionChannels,
        boolean attentionBias,
        boolean attentionOutBias) {

    static final String CLASS_NAME = "LTXVideoTransformer3DModel";
    private static final Set<String> ACTIVATIONS = Set.of("gelu-approximate", "gelu");

    public LtxTransformerConfig {
        check("in_channels", inChannels);
        check("out_channels", outChannels);
        check("patch_size", patchSize);
        check("patch_size_t", patchSizeT);
        check("num_attention_heads", numAttentionHeads);
        check("attention_head_dim", attentionHeadDim);
        check("cross_attention_dim", crossAttentionDim);
        check("num_layers", numLayers);
        check("caption_channels", captionChannels);
        if (!ACTIVATIONS.contains(activationFn)) {
            throw new IllegalArgumentException(CLASS_NAME + " config 'activation_fn' " + activationFn + " is not supported (expected one of " + ACTIVATIONS + ")");
        }
        if (!"rms_norm_across_heads".equals(qkNorm)) {
            throw new IllegalArgumentException(CLASS_NAME + " config 'qk_norm' " + qkNorm + " is not supported (expected rms_norm_across_heads)");
        }
        if (!(normEps > 0)) throw new IllegalArgumentException(CLASS_NAME + " config 'norm_eps' must be positive, got " + normEps);
        long inner = (long) numAttentionHeads * attentionHeadDim;
        if (inner > Integer.MAX_VALUE) throw new IllegalArgumentException("num_attention_heads × attention_head_dim = " + inner + " is too large");
        // apply_rotary_emb rotates adjacent pairs of the whole inner_dim.
        if (inner % 2 != 0) throw new IllegalArgumentException("inner_dim " + inner + " (num_attention_heads × attention_head_dim) must be even for the rotary embedding");
        // caption_projection outputs inner_dim, and attn2's to_k / to_v read that as cross_attention_dim.
        if (crossAttentionDim != inner) {
            throw new IllegalArgumentException("cross_attention_dim " + crossAttentionDim + " must equal inner_dim " + inner
                    + " (num_attention_heads × attention_head_dim): caption_projection feeds attn2 inner_dim-wide states");
        }
    }

    /** Parses an LTXVideoTransformer3DModel config (missing keys take the reference's defaults). */
    public static LtxTransformerConfig from(JsonNode json) {
        ConfigReader cfg = ConfigReader.forClass(CLASS_NAME, json);
        int in = cfg.optionalInt("in_channels", 128);
        JsonNode out = json.get("out_channels");
        // out_channels = out_channels or in_channels
        int outChannels = out == null || out.isNull() || (out.isIntegralNumber() && out.asLong() == 0) ? in : cfg.optionalInt("out_channels", in);
        return new LtxTransformerConfig(
                in,
                outChannels,
                cfg.optionalInt("patch_size", 1),
                cfg.optionalInt("patch_size_t", 1),
                cfg.optionalInt("num_attention_heads", 32),
                cfg.optionalInt("attention_head_dim", 64),
                cfg.optionalInt("cross_attention_dim", 2048),
                cfg.optionalInt("num_layers", 28),
                cfg.optionalText("activation_fn", "gelu-approximate"),
                cfg.optionalText("qk_norm", "rms_norm_across_heads"),
                cfg.optionalBoolean("norm_elementwise_affine", false),
                cfg.optionalNumber("norm_eps", 1e-6),
                cfg.optionalInt("caption_channels", 4096),
                cfg.optionalBoolean("attention_bias", true),
                cfg.optionalBoolean("attention_out_bias", true));
    }

    /** num_attention_heads × attention_head_dim: the width of tokens inside the model. */
    public int innerDim() {
        return numAttentionHeads * attentionHeadDim;
    }

    /** The feed-forward hidden width (FeedForward's default mult 4). */
    public int ffInnerDim() {
        return 4 * innerDim();
    }

    private static void check(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(CLASS_NAME + " config '" + field + "' must be positive, got " + v);
    }
}
