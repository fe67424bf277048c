package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import mmgp.models.ConfigReader;

/**
 * The config.json of a diffusers {@code VQModel} (diffusers 0.33.1, models/autoencoders/vq_model.py),
 * restricted to what the decoder path runs: codebook lookup, post_quant_conv and the
 * {@code Decoder} with GroupNorm, a mid block without attention and {@code UpDecoderBlock2D}s.
 *
 * <p>The architecture fields are required: a config without them is not a VQModel config.
 * The flags diffusers added later ({@code act_fn}, {@code norm_type}, {@code vq_embed_dim},
 * {@code mid_block_add_attention}, {@code lookup_from_codebook}, {@code force_upcast},
 * {@code scaling_factor}) take VQModel's own defaults when absent, as diffusers loads them.
 *
 * @param vqEmbedDim the codebook vector size: {@code vq_embed_dim}, or {@code latent_channels} when null
 */
public record VqConfig(
        int inChannels,
        int outChannels,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        int latentChannels,
        int numVqEmbeddings,
        int normNumGroups,
        String normType,
        String actFn,
        boolean midBlockAddAttention,
        int vqEmbedDim,
        List<String> upBlockTypes,
        boolean lookupFromCodebook,
        boolean forceUpcast,
        double scalingFactor) {

    /** Activations diffusers' get_activation knows and the decoder can run. */
    private static final Set<String> ACTIVATIONS = Set.of("silu", "swish", "gelu", "relu");

    public VqConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        upBlockTypes = List.copyOf(upBlockTypes);
        positive("in_channels", inChannels);
        positive("out_channels", outChannels);
        positive("layers_per_block", layersPerBlock);
        positive("latent_channels", latentChannels);
        positive("num_vq_embeddings", numVqEmbeddings);
        positive("norm_num_groups", normNumGroups);
        positive("vq_embed_dim", vqEmbedDim);
        if (blockOutChannels.isEmpty()) throw new IllegalArgumentException("VQModel config: block_out_channels is empty");
        for (int c : blockOutChannels) {
            positive("block_out_channels entry", c);
            // nn.GroupNorm refuses channel counts that the groups do not divide.
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException("VQModel config: block_out_channels " + blockOutChannels
                        + " has " + c + ", not divisible by norm_num_groups " + normNumGroups);
            }
        }
        switch (normType) {
            case "group" -> { }
            case "spatial" -> throw new IllegalArgumentException("VQModel config: norm_type \"spatial\" (SpatialNorm conditioned on the "
                    + "quantized latents, as in MoVQ) is not supported; only \"group\" is");
            default -> throw new IllegalArgumentException("VQModel config: unknown norm_type \"" + normType + "\" (diffusers knows \"group\" and \"spatial\")");
        }
        actFn = actFn.toLowerCase(java.util.Locale.ROOT); // get_activation lower-cases too
        if (!ACTIVATIONS.contains(actFn)) {
            throw new IllegalArgumentException("VQModel config: act_fn \"" + actFn + "\" is not supported (supported: " + ACTIVATIONS + ")");
        }
        if (midBlockAddAttention) {
            throw new IllegalArgumentException("VQModel config: mid_block_add_attention=true (self-attention in the decoder's mid block) "
                    + "is not supported; aMUSEd's VQ-GAN sets it to false");
        }
        if (upBlockTypes.size() != blockOutChannels.size()) {
            throw new IllegalArgumentException("VQModel config: " + upBlockTypes.size() + " up_block_types for "
                    + blockOutChannels.size() + " block_out_channels; the decoder needs one per entry");
        }
        for (String t : upBlockTypes) {
            if (!t.equals("UpDecoderBlock2D")) {
                throw new IllegalArgumentException("VQModel config: up block type \"" + t + "\" is not supported; only UpDecoderBlock2D is");
            }
        }
    }

    /** Reads a VQModel config.json; errors name the missing or unsupported field. */
    public static VqConfig fromJson(JsonNode json) {
        ConfigReader cfg = ConfigReader.forClass("VQModel", json);
        int latent = cfg.requiredInt("latent_channels");
        return new VqConfig(
                cfg.requiredInt("in_channels"),
                cfg.requiredInt("out_channels"),
                cfg.requiredIntList("block_out_channels"),
                cfg.requiredInt("layers_per_block"),
                latent,
                cfg.requiredInt("num_vq_embeddings"),
                cfg.requiredInt("norm_num_groups"),
                cfg.optionalText("norm_type", "group"),
                cfg.optionalText("act_fn", "silu"),
                cfg.optionalBoolean("mid_block_add_attention", true),
                cfg.optionalInt("vq_embed_dim", latent),
                cfg.requiredTextList("up_block_types"),
                cfg.optionalBoolean("lookup_from_codebook", false),
                cfg.optionalBoolean("force_upcast", false),
                cfg.optionalNumber("scaling_factor", 0.18215));
    }

    /** The number of up blocks, each but the last doubling the resolution. */
    public int numUpBlocks() {
        return blockOutChannels.size();
    }

    /** Output pixels per latent token along each axis: 2^(blocks − 1). */
    public int upscaleFactor() {
        return 1 << (blockOutChannels.size() - 1);
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw new IllegalArgumentException("VQModel config: " + name + " must be positive, got " + v);
    }
}
