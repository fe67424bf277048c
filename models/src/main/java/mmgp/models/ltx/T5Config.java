package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The hyper-parameters of a transformers {@code T5EncoderModel}, read from its {@code config.json}
 * (the {@code text_encoder/} folder of an LTX-Video pipeline). Names follow transformers'
 * {@code T5Config}.
 *
 * @param dKv                   width of one attention head; {@code numHeads·dKv} (inner_dim) need
 *                              not equal {@code dModel}
 * @param feedForwardProj       "gated-gelu" (T5 v1.1, FLAN-T5: wi_0 → gelu_new, times wi_1) or
 *                              "relu" (original T5: wi → relu)
 * @param relativeAttentionNumBuckets buckets of the bidirectional relative position bias (half per
 *                              direction)
 */
public record T5Config(
        int vocabSize,
        int dModel,
        int dKv,
        int dFf,
        int numLayers,
        int numHeads,
        int relativeAttentionNumBuckets,
        int relativeAttentionMaxDistance,
        double layerNormEpsilon,
        String feedForwardProj) {

    /** The feed-forward variants {@link T5Encoder} builds, as config.json spells them. */
    public static final List<String> SUPPORTED_FEED_FORWARD = List.of("gated-gelu", "relu");

    public T5Config {
        if (vocabSize <= 0 || dModel <= 0 || dKv <= 0 || dFf <= 0 || numLayers <= 0 || numHeads <= 0) {
            throw new IllegalArgumentException("T5 config sizes must be positive: vocab_size=" + vocabSize + " d_model=" + dModel
                    + " d_kv=" + dKv + " d_ff=" + dFf + " num_layers=" + numLayers + " num_heads=" + numHeads);
        }
        // The bidirectional bucketing halves the buckets and then halves again for the exact range:
        // fewer than 4 leaves no logarithmic range, and an odd count is not what T5 trains with.
        if (relativeAttentionNumBuckets < 4 || relativeAttentionNumBuckets % 2 != 0) {
            throw new IllegalArgumentException("relative_attention_num_buckets must be even and at least 4, got " + relativeAttentionNumBuckets);
        }
        if (relativeAttentionMaxDistance <= relativeAttentionNumBuckets / 4) {
            throw new IllegalArgumentException("relative_attention_max_distance " + relativeAttentionMaxDistance
                    + " must exceed the exact range " + relativeAttentionNumBuckets / 4);
        }
        if (!(layerNormEpsilon > 0)) throw new IllegalArgumentException("layer_norm_epsilon must be positive, got " + layerNormEpsilon);
        if (!SUPPORTED_FEED_FORWARD.contains(feedForwardProj)) {
            throw new IllegalArgumentException("unsupported feed_forward_proj '" + feedForwardProj + "' (supported: " + SUPPORTED_FEED_FORWARD + ")");
        }
    }

    /**
     * Parses a T5 config; every field the encoder needs must be present. transformers lets stored
     * {@code dense_act_fn} / {@code is_gated_act} override what feed_forward_proj implies, so a
     * config where they disagree is rejected rather than built the wrong way.
     */
    public static T5Config from(JsonNode json) {
        if (json == null || !json.isObject()) throw new IllegalArgumentException("T5 config must be a JSON object");
        T5Config config = new T5Config(
                requiredInt(json, "vocab_size"),
                requiredInt(json, "d_model"),
                requiredInt(json, "d_kv"),
                requiredInt(json, "d_ff"),
                requiredInt(json, "num_layers"),
                requiredInt(json, "num_heads"),
                requiredInt(json, "relative_attention_num_buckets"),
                // transformers' default; configs written before the field existed omit it.
                optionalInt(json, "relative_attention_max_distance", 128),
                requiredNumber(json, "layer_norm_epsilon"),
                requiredText(json, "feed_forward_proj"));
        JsonNode act = json.get("dense_act_fn");
        if (act != null && !act.isNull() && !act.asText().equals(config.denseActFn())) {
            throw new IllegalArgumentException("T5 config has dense_act_fn '" + act.asText() + "' but feed_forward_proj '"
                    + config.feedForwardProj() + "' implies '" + config.denseActFn() + "'");
        }
        JsonNode gated = json.get("is_gated_act");
        if (gated != null && !gated.isNull() && gated.asBoolean() != config.isGatedAct()) {
            throw new IllegalArgumentException("T5 config has is_gated_act " + gated + " but feed_forward_proj is '" + config.feedForwardProj() + "'");
        }
        return config;
    }

    /** transformers' name of the FFN activation: "gated-gelu" means gelu_new (the tanh form). */
    public String denseActFn() {
        return feedForwardProj.equals("gated-gelu") ? "gelu_new" : "relu";
    }

    /** numHeads·dKv: the width of q, k, v and the input of o. */
    public int innerDim() {
        return numHeads * dKv;
    }

    /** T5 v1.1's gated FFN (wi_0, wi_1, wo) rather than the original (wi, wo). */
    public boolean isGatedAct() {
        return feedForwardProj.startsWith("gated-");
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
        if (!v.isNumber()) throw new IllegalArgumentException("T5 config field '" + field + "' must be a number, got " + v);
        return v.asDouble();
    }

    private static String requiredText(JsonNode json, String field) {
        JsonNode v = required(json, field);
        if (!v.isTextual()) throw new IllegalArgumentException("T5 config field '" + field + "' must be a string, got " + v);
        return v.asText();
    }

    private static JsonNode required(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("T5 config is missing '" + field + "'");
        return v;
    }

    private static int asInt(String field, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("T5 config field '" + field + "' must be an integer, got " + v);
        }
        return v.asInt();
    }
}
