package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
import mmgp.models.ConfigReader;

/**
 * The hyper-parameters of a diffusers {@code UVit2DModel} (aMUSEd's token predictor), read from
 * the {@code transformer/config.json} of a pipeline. Field names follow the config keys.
 *
 * @param useBias             one flag for every Linear / Conv2d bias and the adaptive norms' bias
 * @param hiddenDropout       training only; kept so the config round-trips
 * @param condEmbedDim        width of the pooled text embedding
 * @param microCondEncodeDim  sinusoidal width per micro-condition value
 * @param microCondEmbedDim   micro-conditions × microCondEncodeDim (5 values in aMUSEd)
 * @param vocabSize           codebook_size + the mask token, rounded up
 * @param inChannels          token embedding width (before the 1×1 conv to blockOutChannels)
 * @param downsample          a 2×2 stride-2 conv (after an RMSNorm) opens the down block
 * @param upsample            a 2×2 stride-2 transposed conv (after an RMSNorm) closes the up block
 * @param attentionDropout    training only
 * @param sampleSize          the token grid side the model was trained on; any grid runs
 */
public record UVit2DConfig(
        int hiddenSize,
        boolean useBias,
        double hiddenDropout,
        int condEmbedDim,
        int microCondEncodeDim,
        int microCondEmbedDim,
        int encoderHiddenSize,
        int vocabSize,
        int codebookSize,
        int inChannels,
        int blockOutChannels,
        int numResBlocks,
        boolean downsample,
        boolean upsample,
        int blockNumHeads,
        int numHiddenLayers,
        int numAttentionHeads,
        double attentionDropout,
        int intermediateSize,
        double layerNormEps,
        boolean lnElementwiseAffine,
        int sampleSize) {

    public UVit2DConfig {
        check("hidden_size", hiddenSize);
        check("cond_embed_dim", condEmbedDim);
        check("micro_cond_encode_dim", microCondEncodeDim);
        check("micro_cond_embed_dim", microCondEmbedDim);
        check("encoder_hidden_size", encoderHiddenSize);
        check("vocab_size", vocabSize);
        check("codebook_size", codebookSize);
        check("in_channels", inChannels);
        check("block_out_channels", blockOutChannels);
        check("num_res_blocks", numResBlocks);
        check("block_num_heads", blockNumHeads);
        check("num_hidden_layers", numHiddenLayers);
        check("num_attention_heads", numAttentionHeads);
        check("intermediate_size", intermediateSize);
        check("sample_size", sampleSize);
        // The reference sizes heads as dim // heads; a zero head width would be an empty model.
        if (hiddenSize < numAttentionHeads) throw new IllegalArgumentException("hidden_size " + hiddenSize + " < num_attention_heads " + numAttentionHeads);
        if (blockOutChannels < blockNumHeads) throw new IllegalArgumentException("block_out_channels " + blockOutChannels + " < block_num_heads " + blockNumHeads);
        if (!(layerNormEps > 0)) throw new IllegalArgumentException("layer_norm_eps must be positive, got " + layerNormEps);
    }

    /** Parses a UVit2DModel config; every key the forward pass depends on must be present. */
    public static UVit2DConfig from(JsonNode json) {
        ConfigReader cfg = ConfigReader.forClass("UVit2DModel", json);
        return new UVit2DConfig(
                cfg.requiredInt("hidden_size"),
                cfg.requiredBoolean("use_bias"),
                cfg.requiredNumber("hidden_dropout"),
                cfg.requiredInt("cond_embed_dim"),
                cfg.requiredInt("micro_cond_encode_dim"),
                cfg.requiredInt("micro_cond_embed_dim"),
                cfg.requiredInt("encoder_hidden_size"),
                cfg.requiredInt("vocab_size"),
                cfg.requiredInt("codebook_size"),
                cfg.requiredInt("in_channels"),
                cfg.requiredInt("block_out_channels"),
                cfg.requiredInt("num_res_blocks"),
                cfg.requiredBoolean("downsample"),
                cfg.requiredBoolean("upsample"),
                cfg.requiredInt("block_num_heads"),
                cfg.requiredInt("num_hidden_layers"),
                cfg.requiredInt("num_attention_heads"),
                cfg.requiredNumber("attention_dropout"),
                cfg.requiredInt("intermediate_size"),
                cfg.requiredNumber("layer_norm_eps"),
                cfg.requiredBoolean("ln_elementwise_affine"),
                cfg.requiredInt("sample_size"));
    }

    /** BasicTransformerBlock's attention_head_dim = hidden_size // num_attention_heads. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** SkipFFTransformerBlock's attention_head_dim = block_out_channels // block_num_heads. */
    public int blockHeadDim() {
        return blockOutChannels / blockNumHeads;
    }

    /** How many micro-conditioning values the cond embedding expects per sample (5 in aMUSEd). */
    public int microCondCount() {
        if (microCondEmbedDim % microCondEncodeDim != 0) {
            throw new IllegalArgumentException("micro_cond_embed_dim " + microCondEmbedDim + " is not a multiple of micro_cond_encode_dim " + microCondEncodeDim);
        }
        return microCondEmbedDim / microCondEncodeDim;
    }

    private static void check(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException("UVit2DModel config '" + field + "' must be positive, got " + v);
    }
}
