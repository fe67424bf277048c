package mmgp.models.amused;

import com.fasterxml.jackson.databind.JsonNode;
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
        return new ClipTextConfig(
                requiredInt(json, "hidden_size"),
                requiredInt(json, "intermediate_size"),
                requiredInt(json, "num_hidden_layers"),
                requiredInt(json, "num_attention_heads"),
                requiredInt(json, "max_position_embeddings"),
                requiredNumber(json, "layer_norm_eps"),
                requiredText(json, "hidden_act"),
                requiredInt(json, "projection_dim"),
                requiredInt(json, "vocab_size"),
                requiredInt(json, "eos_token_id"),
                optionalInt(json, "bos_token_id", 49406),
                optionalInt(json, "pad_token_id", 1));
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** True when pooling takes the first highest token id rather than the first eos_token_id. */
    public boolean legacyPooling() {
        return eosTokenId == LEGACY_EOS_TOKEN_ID;
    }

    private static int requiredInt(JsonNode json, String field) {
        return asInt(field, required(json, field));
    }

    private static int optionalInt(JsonNode json, String field, int absent) {
        JsonNode v = json.get(field);
        return v == null || v.isNull() ? absent : asInt(field, v);
    }

    private static double requiredNumber(JsonNode json, String field) {
        JsonNode v = required(json, field);
        if (!v.isNumber()) throw new IllegalArgumentException("CLIP text config field '" + field + "' must be a number, got " + v);
        return v.asDouble();
    }

    private static String requiredText(JsonNode json, String field) {
        JsonNode v = required(json, field);
        if (!v.isTextual()) throw new IllegalArgumentException("CLIP text config field '" + field + "' must be a string, got " + v);
        return v.asText();
    }

    private static JsonNode required(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("CLIP text config is missing '" + field + "'");
        return v;
    }

    private static int asInt(String field, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("CLIP text config field '" + field + "' must be an integer, got " + v);
        }
        return v.asInt();
    }
}
