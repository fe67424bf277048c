package mmgp.models.amused;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Activation;
import mmgp.graph.nn.Attention;
import mmgp.graph.nn.FeedForward;
import mmgp.graph.nn.LayerNorm;
import mmgp.graph.nn.Linear;
import mmgp.graph.nn.Vectors;
import mmgp.tensor.GgmlType;

/**
 * transformers' {@code CLIPTextModelWithProjection} forward pass as a ggml graph: token +
 * position embeddings, pre-LayerNorm encoder layers under a causal mask, final_layer_norm,
 * pooling at the end-of-text token and text_projection. No padding mask, as the aMUSEd
 * pipeline passes none. Shapes are ggml order: B sequences of T tokens of width D are
 * [D, T, B].
 */
public final class ClipTextEncoder {
    private final ClipTextConfig config;
    private final Tensor tokenEmbedding;    // [D, vocab]
    private final Tensor positionEmbedding; // [D, max_position_embeddings]
    private final List<EncoderLayer> layers = new ArrayList<>();
    private final LayerNorm finalLayerNorm;
    private final Linear textProjection;    // [D, projection_dim], no bias

    /** CLIPEncoderLayer: pre-LayerNorm self-attention (q_proj, k_proj, v_proj, out_proj) and MLP (fc1, fc2). */
    private record EncoderLayer(LayerNorm layerNorm1, Attention selfAttn, LayerNorm layerNorm2, FeedForward mlp) {}

    /** Graph tensors of one build: the two inputs, then the results. */
    public record Outputs(
            Tensor inputIds,          // I32 [T, B]
            Tensor pooledRows,        // I32 [B]: row b·T + pooled position, into [D, T·B]
            Tensor textEmbeds,        // [projection_dim, B]
            Tensor lastHidden,        // [D, T, B], final_layer_norm applied
            Tensor penultimateHidden, // [D, T, B], hidden_states[-2]: no final_layer_norm
            List<Tensor> hiddenStates // hidden_states[0..L] ([D, T, B]: embeddings, then each layer), empty unless requested
    ) {
        public int batch() {
            return (int) inputIds.ne(1);
        }

        public int seqLen() {
            return (int) inputIds.ne(0);
        }
    }

    /**
     * Computed values, laid out as PyTorch's row-major tensors: textEmbeds [B, proj],
     * lastHidden / penultimateHidden / each hidden state [B, T, D].
     */
    public record Result(int batch, int seqLen, float[] textEmbeds, float[] lastHidden, float[] penultimateHidden, List<float[]> hiddenStates) {}

    /** Resolves every weight under {@code prefix} (e.g. "text_encoder.") now, so a missing one fails here. */
    public ClipTextEncoder(ClipTextConfig config, WeightSet weights, String prefix) {
        this.config = config;
        int d = config.hiddenSize();
        String m = prefix + "text_model.";
        tokenEmbedding = weights.get(m + "embeddings.token_embedding.weight", d, config.vocabSize());
        positionEmbedding = weights.get(m + "embeddings.position_embedding.weight", d, config.maxPositionEmbeddings());
        double eps = config.layerNormEps();
        Activation act = switch (config.hiddenAct()) { // ACT2FN[hidden_act], each computed in fp32
            case "gelu" -> Activation.GELU;             // erf form, as torch.nn.functional.gelu
            case "quick_gelu" -> Activation.QUICK_GELU; // x·sigmoid(1.702x)
            default -> throw new IllegalStateException("unsupported hidden_act " + config.hiddenAct());
        };
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String l = m + "encoder.layers." + i + ".";
            layers.add(new EncoderLayer(
                    LayerNorm.load(weights, l + "layer_norm1", d, eps, true, true),
                    Attention.of(
                            Linear.load(weights, l + "self_attn.q_proj", d, d, true),
                            Linear.load(weights, l + "self_attn.k_proj", d, d, true),
                            Linear.load(weights, l + "self_attn.v_proj", d, d, true),
                            Linear.load(weights, l + "self_attn.out_proj", d, d, true),
                            config.numAttentionHeads()),
                    LayerNorm.load(weights, l + "layer_norm2", d, eps, true, true),
                    FeedForward.plain(
                            Linear.load(weights, l + "mlp.fc1", d, config.intermediateSize(), true),
                            act,
                            Linear.load(weights, l + "mlp.fc2", config.intermediateSize(), d, true))));
        }
        finalLayerNorm = LayerNorm.load(weights, m + "final_layer_norm", d, eps, true, true);
        textProjection = Linear.load(weights, prefix + "text_projection", d, config.projectionDim(), false);
    }

    public ClipTextConfig config() {
        return config;
    }

    /**
     * Adds the forward pass for {@code batch} sequences of {@code seqLen} tokens to {@code g}
     * and marks textEmbeds, lastHidden and penultimateHidden as outputs (and every hidden state
     * when {@code keepHiddenStates}). Fill the inputs with {@link #setInputs} before computing.
     */
    public Outputs build(Graph g, int batch, int seqLen, boolean keepHiddenStates) {
        if (batch <= 0 || seqLen <= 0) throw new IllegalArgumentException("need at least one sequence of one token, got " + batch + " × " + seqLen);
        if (seqLen > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
        Tensor inputIds = g.input("clip_input_ids", GgmlType.I32, seqLen, batch);
        Tensor pooledRows = g.input("clip_pooled_rows", GgmlType.I32, batch);
        Tensor causalMask = Attention.causalMask(g, "clip_causal_mask", seqLen);

        List<Tensor> hiddenStates = new ArrayList<>();
        Tensor x = embeddings(g, inputIds);
        hiddenStates.add(x);
        for (EncoderLayer layer : layers) {
            x = encoderLayer(g, layer, x, causalMask);
            hiddenStates.add(x);
        }
        Tensor lastHidden = finalLayerNorm.forward(g, x);
        // pooled_output = last_hidden_state[arange(B), position]: one row per sequence of [D, T·B].
        Tensor pooled = g.getRows(g.reshape(lastHidden, config.hiddenSize(), (long) seqLen * batch), pooledRows); // [D, B]
        Tensor textEmbeds = textProjection.forward(g, pooled);                                                     // [proj, B]

        Tensor penultimate = hiddenStates.get(hiddenStates.size() - 2);
        g.output(g.name(textEmbeds, "clip_text_embeds"));
        g.output(g.name(lastHidden, "clip_last_hidden_state"));
        if (keepHiddenStates) hiddenStates.forEach(g::output); // penultimate among them
        else g.output(penultimate);
        return new Outputs(inputIds, pooledRows, textEmbeds, lastHidden, penultimate, keepHiddenStates ? List.copyOf(hiddenStates) : List.of());
    }

    /** Sets the token ids (B rows of T ids each) and the pooling rows derived from them. */
    public void setInputs(Graph g, Outputs out, int[][] ids) {
        int batch = out.batch(), seqLen = out.seqLen();
        if (ids.length != batch) throw new IllegalArgumentException("graph was built for " + batch + " sequences, got " + ids.length);
        int[] flat = new int[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            if (ids[b].length != seqLen) throw new IllegalArgumentException("sequence " + b + " has " + ids[b].length + " tokens, graph expects " + seqLen);
            for (int t = 0; t < seqLen; t++) {
                int id = ids[b][t];
                // get_rows does not bounds-check: an out-of-vocabulary id would read past the table.
                if (id < 0 || id >= config.vocabSize()) throw new IllegalArgumentException("token id " + id + " at [" + b + ", " + t + "] is outside the vocabulary of " + config.vocabSize());
                flat[b * seqLen + t] = id;
            }
        }
        int[] positions = pooledPositions(config, ids);
        int[] rows = new int[batch];
        for (int b = 0; b < batch; b++) rows[b] = b * seqLen + positions[b];
        g.set(out.inputIds(), flat);
        g.set(out.pooledRows(), rows);
    }

    /** Builds for {@code ids} (B × T) and sets the inputs. */
    public Outputs build(Graph g, int[][] ids, boolean keepHiddenStates) {
        if (ids.length == 0) throw new IllegalArgumentException("no sequences to encode");
        Outputs out = build(g, ids.length, ids[0].length, keepHiddenStates);
        setInputs(g, out, ids);
        return out;
    }

    /**
     * Where CLIPTextTransformer pools each sequence. With the legacy eos_token_id 2 it is
     * argmax(input_ids), the first highest id (the first end-of-text token in CLIP's vocabulary);
     * otherwise the first position holding eos_token_id, or 0 when there is none (argmax of an
     * all-zero row).
     */
    public static int[] pooledPositions(ClipTextConfig config, int[][] ids) {
        int[] positions = new int[ids.length];
        for (int b = 0; b < ids.length; b++) {
            int[] row = ids[b];
            int at = 0;
            if (config.legacyPooling()) {
                for (int t = 1; t < row.length; t++) if (row[t] > row[at]) at = t;
            } else {
                for (int t = 0; t < row.length; t++) {
                    if (row[t] == config.eosTokenId()) {
                        at = t;
                        break;
                    }
                }
            }
            positions[b] = at;
        }
        return positions;
    }

    /** Builds, computes on {@code backend} and copies out every output, hidden states included. */
    public Result encode(ComputeBackend backend, int[][] ids) {
        try (Graph g = new Graph(backend)) {
            Outputs out = build(g, ids, true);
            g.compute();
            List<float[]> hidden = new ArrayList<>();
            for (Tensor h : out.hiddenStates()) hidden.add(g.floats(h));
            return new Result(out.batch(), out.seqLen(), g.floats(out.textEmbeds()), g.floats(out.lastHidden()),
                    g.floats(out.penultimateHidden()), List.copyOf(hidden));
        }
    }

    // ---------------------------------------------------------------- modules

    /** CLIPTextEmbeddings: token_embedding(ids) + position_embedding(0..T−1). */
    private Tensor embeddings(Graph g, Tensor inputIds) {
        long seqLen = inputIds.ne(0), batch = inputIds.ne(1);
        Tensor tokens = g.getRows(tokenEmbedding, g.reshape(inputIds, seqLen * batch)); // [D, T·B], F32 for any table type
        tokens = g.reshape(tokens, config.hiddenSize(), seqLen, batch);
        // Positions are 0..T−1 for every sequence: the table's first T rows, broadcast over B.
        Tensor positions = g.view(positionEmbedding, new long[] {config.hiddenSize(), seqLen}, new long[] {positionEmbedding.nb(1)}, 0);
        return g.add(tokens, Vectors.f32(g, positions));
    }

    /** CLIPEncoderLayer: pre-LayerNorm self-attention and MLP, each with a residual. */
    private static Tensor encoderLayer(Graph g, EncoderLayer layer, Tensor x, Tensor causalMask) {
        Tensor h = layer.layerNorm1().forward(g, x);
        x = g.add(x, layer.selfAttn().forward(g, h, h, causalMask));
        return g.add(x, layer.mlp().forward(g, layer.layerNorm2().forward(g, x)));
    }
}
