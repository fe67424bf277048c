package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Activation;
import mmgp.graph.nn.Attention;
import mmgp.graph.nn.FeedForward;
import mmgp.graph.nn.Linear;
import mmgp.graph.nn.RmsNorm;
import mmgp.tensor.GgmlType;

/**
 * transformers' {@code T5EncoderModel} forward pass as a ggml graph: the shared embedding, then
 * per T5Block a T5LayerNorm (RMS, no mean, no bias) before self-attention and before the
 * feed-forward, each with a residual, and a final_layer_norm. Attention is unscaled (T5 folds
 * 1/√d_kv into its initialisation) and adds a relative position bias that block 0 owns and all
 * blocks share. Shapes are ggml order: B sequences of T tokens of width D are [D, T, B].
 *
 * <p>LTX-Video calls the encoder without an attention mask, so padding tokens attend and are
 * attended to; {@link #attentionMask} builds the optional key mask for the masked variant.
 */
public final class T5Encoder {
    /** torch.finfo(float32).min: what transformers adds for a masked key (not −∞, so rows stay finite). */
    private static final float MASKED = -Float.MAX_VALUE;

    private final T5Config config;
    private final Tensor shared;                  // [D, vocab]
    private final Tensor relativeAttentionBias;   // [heads, num_buckets], block 0's
    private final List<Block> blocks = new ArrayList<>();
    private final RmsNorm finalLayerNorm;         // [D]

    /**
     * One T5Block: T5LayerSelfAttention (layer.0: T5LayerNorm, then T5Attention without scaling)
     * and T5LayerFF (layer.1: T5LayerNorm, then DenseReluDense). T5LayerNorm is an RMS norm with
     * weight and no bias.
     */
    private record Block(RmsNorm attentionNorm, Attention selfAttention, RmsNorm ffNorm, FeedForward feedForward) {}

    /** Graph tensors of one {@link #build(Graph, Tensor, Tensor)}. */
    public record Outputs(
            Tensor embeddings,        // [D, T, B], hidden_states[0]
            List<Tensor> blockOutputs, // [D, T, B] per T5Block, before final_layer_norm
            Tensor lastHidden         // [D, T, B], final_layer_norm applied
    ) {
        /**
         * transformers' {@code hidden_states} tuple: the embeddings, each block's output except the
         * last, then final_layer_norm(last block) in place of the last block's output.
         */
        public List<Tensor> hiddenStates() {
            List<Tensor> states = new ArrayList<>();
            states.add(embeddings);
            states.addAll(blockOutputs.subList(0, blockOutputs.size() - 1));
            states.add(lastHidden);
            return List.copyOf(states);
        }
    }

    /** Computed values as PyTorch's row-major [B, T, D] (the same memory as ggml's [D, T, B]). */
    public record Result(int batch, int seqLen, float[] lastHidden, List<float[]> hiddenStates) {}

    /** Resolves every weight under {@code prefix} (e.g. "text_encoder.") now, so a missing one fails here. */
    public T5Encoder(T5Config config, WeightSet weights, String prefix) {
        this.config = config;
        int d = config.dModel(), inner = config.innerDim(), ff = config.dFf();
        // save_pretrained drops the tied encoder.embed_tokens.weight and keeps shared.weight; some
        // exports keep only the encoder's copy.
        String embedding = weights.has(prefix + "shared.weight") || !weights.has(prefix + "encoder.embed_tokens.weight")
                ? "shared.weight" : "encoder.embed_tokens.weight";
        shared = weights.get(prefix + embedding, d, config.vocabSize());
        relativeAttentionBias = weights.get(prefix + "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                config.numHeads(), config.relativeAttentionNumBuckets());
        double eps = config.layerNormEpsilon();
        for (int i = 0; i < config.numLayers(); i++) {
            String b = prefix + "encoder.block." + i + ".";
            String attn = b + "layer.0.SelfAttention.";
            String dense = b + "layer.1.DenseReluDense.";
            RmsNorm attentionNorm = RmsNorm.load(weights, b + "layer.0.layer_norm", d, eps, true, false);
            // T5 folds 1/√d_kv into its initialisation: the scores are not scaled.
            Attention selfAttention = Attention.of(
                    Linear.load(weights, attn + "q", d, inner, false),
                    Linear.load(weights, attn + "k", d, inner, false),
                    Linear.load(weights, attn + "v", d, inner, false),
                    Linear.load(weights, attn + "o", inner, d, false),
                    config.numHeads()).withScale(1f);
            RmsNorm ffNorm = RmsNorm.load(weights, b + "layer.1.layer_norm", d, eps, true, false);
            // T5DenseGatedActDense: gelu_new(wi_0·x) ⊙ wi_1·x, then wo; T5DenseActDense: relu(wi·x), then wo.
            FeedForward feedForward = config.isGatedAct()
                    ? FeedForward.gated(Linear.load(weights, dense + "wi_0", d, ff, false), Linear.load(weights, dense + "wi_1", d, ff, false),
                            Activation.GELU_TANH, Linear.load(weights, dense + "wo", ff, d, false))
                    : FeedForward.plain(Linear.load(weights, dense + "wi", d, ff, false), Activation.RELU, Linear.load(weights, dense + "wo", ff, d, false));
            blocks.add(new Block(attentionNorm, selfAttention, ffNorm, feedForward));
        }
        finalLayerNorm = RmsNorm.load(weights, prefix + "encoder.final_layer_norm", d, eps, true, false);
    }

    public T5Config config() {
        return config;
    }

    // ---------------------------------------------------------------- graph

    /**
     * Adds the encoder for {@code inputIds} (I32 [T, B]) to {@code g} and returns
     * last_hidden_state [D, T, B]. {@code maskOrNull} is an additive key mask from
     * {@link #attentionMask}, or null for none (what LTX-Video does). The relative position
     * buckets depend only on T and are set here.
     */
    public Tensor build(Graph g, Tensor inputIds, Tensor maskOrNull) {
        return buildAll(g, inputIds, maskOrNull).lastHidden();
    }

    /** {@link #build(Graph, Tensor, Tensor)}, also returning every block output for inspection. */
    public Outputs buildAll(Graph g, Tensor inputIds, Tensor maskOrNull) {
        int seqLen = Math.toIntExact(inputIds.ne(0));
        long batch = inputIds.ne(1);
        if (inputIds.type() != GgmlType.I32) throw new IllegalArgumentException("input ids must be I32 [T, B], got " + inputIds);
        if (maskOrNull != null && (maskOrNull.ne(0) != seqLen || maskOrNull.ne(1) != seqLen || maskOrNull.ne(2) != 1 || maskOrNull.ne(3) != batch)) {
            throw new IllegalArgumentException("attention mask must be F32 [" + seqLen + ", " + seqLen + ", 1, " + batch + "], got " + maskOrNull);
        }
        // cont: the reshape is a view, and a view marked as output does not keep its source alive.
        Tensor embeddings = g.cont(g.reshape(g.getRows(shared, g.reshape(inputIds, seqLen * batch)), config.dModel(), seqLen, batch));
        Tensor x = embeddings;
        Tensor positionBias = positionBias(g, seqLen);
        List<Tensor> outputs = new ArrayList<>();
        for (Block block : blocks) {
            x = block(g, block, x, positionBias, maskOrNull);
            outputs.add(x);
        }
        Tensor lastHidden = finalLayerNorm.forward(g, x);
        return new Outputs(embeddings, List.copyOf(outputs), lastHidden);
    }

    /** An I32 [T, B] input holding {@code ids} (B rows of T ids), range-checked against the vocabulary. */
    public Tensor inputIds(Graph g, int[][] ids) {
        int batch = ids.length;
        if (batch == 0) throw new IllegalArgumentException("no sequences to encode");
        int seqLen = ids[0].length;
        if (seqLen == 0) throw new IllegalArgumentException("sequences must hold at least one token");
        int[] flat = new int[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            if (ids[b].length != seqLen) throw new IllegalArgumentException("sequence " + b + " has " + ids[b].length + " tokens, sequence 0 has " + seqLen);
            for (int t = 0; t < seqLen; t++) {
                int id = ids[b][t];
                // get_rows does not bounds-check: an out-of-vocabulary id would read past the table.
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " at [" + b + ", " + t + "] is outside the vocabulary of " + config.vocabSize());
                }
                flat[b * seqLen + t] = id;
            }
        }
        Tensor input = g.input("t5_input_ids", GgmlType.I32, seqLen, batch);
        g.set(input, flat);
        return input;
    }

    /**
     * The additive key mask for tokenizer attention masks (B rows of T 0/1 values): F32 [T, T, 1, B],
     * 0 where the key is a real token and float32's lowest value where it is padding, as
     * transformers' {@code (1 − mask)·finfo.min}. Broadcast over heads by the softmax.
     */
    public static Tensor attentionMask(Graph g, int[][] mask) {
        int batch = mask.length;
        if (batch == 0) throw new IllegalArgumentException("empty attention mask");
        int seqLen = mask[0].length;
        float[] values = new float[batch * seqLen * seqLen];
        for (int b = 0; b < batch; b++) {
            if (mask[b].length != seqLen) throw new IllegalArgumentException("mask row " + b + " has " + mask[b].length + " entries, row 0 has " + seqLen);
            for (int k = 0; k < seqLen; k++) {
                int m = mask[b][k];
                if (m != 0 && m != 1) throw new IllegalArgumentException("attention mask values must be 0 or 1, got " + m + " at [" + b + ", " + k + "]");
                if (m == 0) for (int q = 0; q < seqLen; q++) values[(b * seqLen + q) * seqLen + k] = MASKED;
            }
        }
        Tensor input = g.input("t5_attention_mask", GgmlType.F32, seqLen, seqLen, 1, batch);
        g.set(input, values);
        return input;
    }

    /**
     * T5Attention.compute_bias for T queries and T keys: F32 [Tk, Tq, heads], bias[k, q, h] =
     * relative_attention_bias[bucket(k − q), h]. The buckets are an input set from Java; the
     * lookup is a get_rows on the weight, so any weight type works.
     */
    private Tensor positionBias(Graph g, int seqLen) {
        int[] buckets = new int[seqLen * seqLen];
        for (int q = 0; q < seqLen; q++) {
            for (int k = 0; k < seqLen; k++) {
                buckets[q * seqLen + k] = relativePositionBucket(k - q, config.relativeAttentionNumBuckets(), config.relativeAttentionMaxDistance());
            }
        }
        Tensor bucketInput = g.input("t5_relative_position_buckets", GgmlType.I32, (long) seqLen * seqLen);
        g.set(bucketInput, buckets);
        Tensor rows = g.reshape(g.getRows(relativeAttentionBias, bucketInput), config.numHeads(), seqLen, seqLen); // [H, Tk, Tq]
        return g.cont(g.permute(rows, 2, 0, 1, 3));                                                             // [Tk, Tq, H]
    }

    /**
     * T5Attention._relative_position_bucket with bidirectional=True: half the buckets per
     * direction; distances below a quarter of the buckets get one bucket each, larger ones share
     * logarithmically wider buckets up to max_distance. The logarithmic part is computed in float32
     * in the same order as PyTorch, since the truncation sits exactly on integers at distances
     * such as 16, 32, 64 (for 32 buckets, max distance 128).
     */
    public static int relativePositionBucket(int relativePosition, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int bucket = relativePosition > 0 ? half : 0;
        int distance = Math.abs(relativePosition);
        int maxExact = half / 2;
        if (distance < maxExact) return bucket + distance;
        float ratio = (float) distance / maxExact;
        float scaled = (float) Math.log(ratio) / (float) Math.log((double) maxDistance / maxExact) * (half - maxExact);
        return bucket + Math.min(maxExact + (int) scaled, half - 1);
    }

    /**
     * T5Block: self-attention then feed-forward, each pre-normed with a residual. The attention is
     * softmax(q·kᵀ + position_bias (+ mask))·v: the bias [Tk, Tq, H] broadcasts over B; with a
     * key mask [Tk, Tq, 1, B] it is added first and the key mask broadcasts over heads instead.
     */
    private static Tensor block(Graph g, Block b, Tensor x, Tensor positionBias, Tensor mask) {
        Tensor h = b.attentionNorm().forward(g, x);
        x = g.add(x, b.selfAttention().forward(g, h, h, null, null, positionBias, mask));
        return g.add(x, b.feedForward().forward(g, b.ffNorm().forward(g, x)));
    }

    // ---------------------------------------------------------------- running

    /** last_hidden_state for {@code ids} (B × T) without a mask, as LTX-Video calls T5: [B, T, D] row-major. */
    public float[] encode(ComputeBackend backend, int[][] ids) {
        return encode(backend, ids, null, false).lastHidden();
    }

    /**
     * Builds, computes and copies out last_hidden_state and, when {@code keepHiddenStates},
     * transformers' hidden_states (embeddings, blocks, final norm). {@code attentionMaskOrNull}
     * holds the tokenizer's 0/1 mask (B × T) or is null for the unmasked call.
     */
    public Result encode(ComputeBackend backend, int[][] ids, int[][] attentionMaskOrNull, boolean keepHiddenStates) {
        if (attentionMaskOrNull != null && attentionMaskOrNull.length != ids.length) {
            throw new IllegalArgumentException(ids.length + " sequences but " + attentionMaskOrNull.length + " mask rows");
        }
        if (attentionMaskOrNull != null && ids.length > 0 && attentionMaskOrNull[0].length != ids[0].length) {
            throw new IllegalArgumentException("mask rows have " + attentionMaskOrNull[0].length + " entries, sequences " + ids[0].length);
        }
        try (Graph g = new Graph(backend)) {
            Tensor input = inputIds(g, ids);
            Tensor mask = attentionMaskOrNull == null ? null : attentionMask(g, attentionMaskOrNull);
            Outputs out = buildAll(g, input, mask);
            g.output(g.name(out.lastHidden(), "t5_last_hidden_state"));
            List<Tensor> states = keepHiddenStates ? out.hiddenStates() : List.of();
            states.forEach(g::output);
            g.compute();
            List<float[]> hidden = new ArrayList<>();
            for (Tensor h : states) hidden.add(g.floats(h));
            return new Result(ids.length, ids[0].length, g.floats(out.lastHidden()), List.copyOf(hidden));
        }
    }
}
