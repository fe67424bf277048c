package mmgp.models.ltx;

import com.fasterxml.jackson.databind.JsonNode;
import mmgp.models.ConfigReader;
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
        ConfigReader cfg = new ConfigReader("T5 config", json);
        T5Config config = new T5Config(
                cfg.requiredInt("vocab_size"),
                cfg.requiredInt("d_model"),
                cfg.requiredInt("d_kv"),
                cfg.requiredInt("d_ff"),
                cfg.requiredInt("num_layers"),
                cfg.requiredInt("num_heads"),
                cfg.requiredInt("relative_attention_num_buckets"),
                // transformers' default; configs written before the field existed omit it.
                cfg.optionalInt("relative_attention_max_distance", 128),
                cfg.requiredNumber("layer_norm_epsilon"),
                cfg.requiredText("feed_forward_proj"));
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
}
