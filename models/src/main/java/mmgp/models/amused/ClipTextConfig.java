package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
import mmgp.models.ConfigReader;
import java.util.List;

/**
 * The hyper-parameters of a transformers {@code CLIPTextModelWithProjection}, read from its
 * {@code config.json} (the {@code text_encoder/} folder of a diffusers pipeline).
 *
 * @param hiddenAct            "gelu" (exact, erf) or "quick_gelu" (x·sigmoid(1.702x)); CLIP
 *                             checkpoints use both, so each is kept distinct
 * @param eosTokenId           drives pooling: 2 is the legacy value meaning "pool at argmax(input_ids)"
 * @param bosTokenId           not used by the forward pass; transformers' default when absent
 * @param padTokenId           not used by the forward pass; transformers' default when absent
 */
public record ClipTextConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int maxPositionEmbeddings,
        double layerNormEps,
        String hiddenAct,
        int projectionDim,
        int vocabSize,
        int eosTokenId,
        int bosTokenId,
        int padTokenId) {

    /** The activations {@link ClipTextEncoder} computes exactly (transformers' ACT2FN names). */
    public static final List<String> SUPPORTED_ACTIVATIONS = List.of("gelu", "quick_gelu");

    /** transformers' eos_token_id before PR #24773; such configs pool at the highest token id. */
    public static final int LEGACY_EOS_TOKEN_ID = 2;

    public ClipTextConfig {
        if (hiddenSize <= 0 || intermediateSize <= 0 || numHiddenLayers <= 0 || numAttentionHeads <= 0
                || maxPositionEmbeddings <= 0 || projectionDim <= 0 || vocabSize <= 0) {
            throw new IllegalArgumentException("CLIP text config sizes must be positive: hidden_size=" + hiddenSize
                    + " intermediate_size=" + intermediateSize + " num_hidden_layers=" + numHiddenLayers
                    + " num_attention_heads=" + numAttentionHeads + " max_position_embeddings=" + maxPositionEmbeddings
                    + " projection_dim=" + projectionDim + " vocab_size=" + vocabSize);
        }
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numAttentionHeads);
        }
        if (!SUPPORTED_ACTIVATIONS.contains(hiddenAct)) {
            throw new IllegalArgumentException("unsupported hidden_act '" + hiddenAct + "' (supported: " + SUPPORTED_ACTIVATIONS + ")");
        }
    }

    /** Parses a CLIP text config; every field the forward pass needs must be present. */
    public static ClipTextConfig from(JsonNode json) {
        if (json == null || !json.isObject()) throw new IllegalArgumentException("CLIP text config must be a JSON object");
        ConfigReader cfg = new ConfigReader("CLIP text config", json);
        return new ClipTextConfig(
                cfg.requiredInt("hidden_size"),
                cfg.requiredInt("intermediate_size"),
                cfg.requiredInt("num_hidden_layers"),
                cfg.requiredInt("num_attention_heads"),
                cfg.requiredInt("max_position_embeddings"),
                cfg.requiredNumber("layer_norm_eps"),
                cfg.requiredText("hidden_act"),
                cfg.requiredInt("projection_dim"),
                cfg.requiredInt("vocab_size"),
                cfg.requiredInt("eos_token_id"),
                cfg.optionalInt("bos_token_id", 49406),
                cfg.optionalInt("pad_token_id", 1));
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** True when pooling takes the first highest token id rather than the first eos_token_id. */
    public boolean legacyPooling() {
        return eosTokenId == LEGACY_EOS_TOKEN_ID;
    }
}
