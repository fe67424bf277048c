package mmgp.models.amused;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Activation;
import mmgp.graph.nn.FeedForward;
import mmgp.graph.nn.Linear;
import mmgp.graph.nn.RmsNorm;
import mmgp.tensor.GgmlType;

/**
 * diffusers' {@code UVit2DModel} (aMUSEd's masked-token predictor) as a ggml graph: text states
 * projected to hidden_size and RMS-normed; pooled text + sinusoidal micro-conditions through a
 * TimestepEmbedding MLP; token ids embedded, RMS-normed and 1×1-convolved; a UVitBlock down,
 * a BasicTransformerBlock stack over the flattened grid, a UVitBlock up, and the ConvMlmLayer
 * giving logits over the codebook.
 *
 * <p>Inside, token grids stay channels-last, ggml [C, W, H, B] (PyTorch (B, H, W, C)), so that
 * every norm, linear and 1×1 conv acts on ne0 without transposes. Only the final logits are
 * laid out as PyTorch returns them. Weights are resolved at construction, so a checkpoint
 * that does not fit the config fails there, naming the tensor.
 */
public final class UVit2D {
    private final UVit2DConfig config;
    private final Linear encoderProj;
    private final RmsNorm encoderProjLayerNorm;
    private final Tensor embeddings; // embed.embeddings.weight [in_channels, vocab]
    private final RmsNorm embedLayerNorm;
    private final Linear embedConv;  // 1×1
    private final FeedForward condEmbed; // TimestepEmbedding: linear_1, SiLU, linear_2
    private final UVitBlock downBlock;
    private final RmsNorm projectToHiddenNorm;
    private final Linear projectToHidden;
    private final List<BasicTransformerBlock> transformerLayers = new ArrayList<>();
    private final RmsNorm projectFromHiddenNorm;
    private final Linear projectFromHidden;
    private final UVitBlock upBlock;
    private final Linear mlmConv1;   // 1×1, block_out_channels → in_channels
    private final RmsNorm mlmLayerNorm;
    private final Linear mlmConv2;   // 1×1, in_channels → codebook_size

    /** The four graph inputs of one build, as {@link #inputs} declares them. */
    public record Inputs(
            Tensor inputIds,            // I32 [W, H, B]
            Tensor encoderHiddenStates, // F32 [encoder_hidden_size, T, B]
            Tensor pooledTextEmb,       // F32 [cond_embed_dim, B]
            Tensor microConds) {}       // F32 [5, B]: width, height, crop top, crop left, aesthetic score

    /** Resolves every weight under {@code prefix} (e.g. "transformer.") now. */
    public UVit2D(UVit2DConfig config, WeightSet weights, String prefix) {
        this.config = config;
        UVit2DConfig c = config;
        int hidden = c.hiddenSize(), ch = c.blockOutChannels(), in = c.inChannels();
        double eps = c.layerNormEps();
        boolean bias = c.useBias(), affine = c.lnElementwiseAffine();
        String p = prefix;
        encoderProj = Linear.load(weights, p + "encoder_proj", c.encoderHiddenSize(), hidden, bias);
        encoderProjLayerNorm = RmsNorm.load(weights, p + "encoder_proj_layer_norm", hidden, eps, affine, false);
        embeddings = weights.get(p + "embed.embeddings.weight", in, c.vocabSize());
        embedLayerNorm = RmsNorm.load(weights, p + "embed.layer_norm", in, eps, affine, false);
        embedConv = Linear.loadConv1x1(weights, p + "embed.conv", in, ch, bias);
        condEmbed = FeedForward.loadMlp(weights, p + "cond_embed", c.microCondEmbedDim() + c.condEmbedDim(), hidden, hidden, Activation.SILU, bias);
        downBlock = new UVitBlock(c, weights, p + "down_block", c.downsample(), false);
        projectToHiddenNorm = RmsNorm.load(weights, p + "project_to_hidden_norm", ch, eps, affine, false);
        projectToHidden = Linear.load(weights, p + "project_to_hidden", ch, hidden, bias);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            transformerLayers.add(new BasicTransformerBlock(c, weights, p + "transformer_layers." + i));
        }
        projectFromHiddenNorm = RmsNorm.load(weights, p + "project_from_hidden_norm", hidden, eps, affine, false);
        projectFromHidden = Linear.load(weights, p + "project_from_hidden", hidden, ch, bias);
        upBlock = new UVitBlock(c, weights, p + "up_block", false, c.upsample());
        mlmConv1 = Linear.loadConv1x1(weights, p + "mlm_layer.conv1", ch, in, bias);
        mlmLayerNorm = RmsNorm.load(weights, p + "mlm_layer.layer_norm", in, eps, affine, false);
        mlmConv2 = Linear.loadConv1x1(weights, p + "mlm_layer.conv2", in, c.codebookSize(), bias);
    }

    public UVit2DConfig config() {
        return config;
    }

    /**
     * Declares the inputs for {@code batch} samples of a {@code height}×{@code width} token grid
     * and {@code textLength} text states. Build once, then set new ids and recompute per step;
     * under classifier-free guidance {@code batch} is twice the number of prompts.
     */
    public Inputs inputs(Graph g, int batch, int height, int width, int textLength) {
        if (batch <= 0 || height <= 0 || width <= 0 || textLength <= 0) {
            throw new IllegalArgumentException("batch, grid and text length must be positive, got " + batch + ", " + height + "×" + width + ", " + textLength);
        }
        return new Inputs(
                g.input("uvit_input_ids", GgmlType.I32, width, height, batch),
                g.inputF32("uvit_encoder_hidden_states", config.encoderHiddenSize(), textLength, batch),
                g.inputF32("uvit_pooled_text_emb", config.condEmbedDim(), batch),
                g.inputF32("uvit_micro_conds", config.microCondCount(), batch));
    }

    /** {@link #build(Graph, Tensor, Tensor, Tensor, Tensor)} over declared {@link Inputs}. */
    public Tensor build(Graph g, Inputs in) {
        return build(g, in.inputIds(), in.encoderHiddenStates(), in.pooledTextEmb(), in.microConds());
    }

    /**
     * The forward pass; returns logits ggml [W, H, codebook_size, B], i.e. PyTorch's
     * (B, codebook_size, H, W). Mark the result with {@link Graph#output}. When {@code g} is
     * tracing, also traces ({@link Graph#trace}) each reference submodule's output under its
     * diffusers module name ("encoder_proj_layer_norm", "cond_embed", "embed",
     * "down_block.res_blocks.0", ..., "transformer_layers.i", "up_block"). Sequences are
     * [D, T, B]; grids ("embed", the res blocks, "down_block", "up_block") are channels-last
     * [C, W, H, B], not PyTorch's (B, C, H, W).
     *
     * @param inputIds            I32 [W, H, B], or [W·H, B] for a square grid; ids must be below
     *                            vocab_size (get_rows does not check)
     * @param encoderHiddenStates F32 [encoder_hidden_size, T, B]
     * @param pooledTextEmb       F32 [cond_embed_dim, B]
     * @param microConds          F32 [5, B]
     */
    public Tensor build(Graph g, Tensor inputIds, Tensor encoderHiddenStates, Tensor pooledTextEmb, Tensor microConds) {
        Tensor tokens = buildTokenLogits(g, inputIds, encoderHiddenStates, pooledTextEmb, microConds);
        // [codebook, W, H, B] → [W, H, codebook, B]
        return g.cont(g.permute(tokens, 2, 0, 1, 3));
    }

    /**
     * The forward pass with logits left channels-last: ggml [codebook_size, W, H, B], i.e. the
     * (B, H, W, codebook) order the aMUSEd pipeline permutes them into before sampling, with the
     * codebook on ne0 ready for softmax / argmax. Skips the final transpose of {@link #build}.
     */
    public Tensor buildTokenLogits(Graph g, Tensor inputIds, Tensor encoderHiddenStates, Tensor pooledTextEmb, Tensor microConds) {
        UVit2DConfig c = config;
        long batch = pooledTextEmb.ne(1);
        checkShape("encoder_hidden_states", encoderHiddenStates, c.encoderHiddenSize(), -1, batch);
        checkShape("pooled_text_emb", pooledTextEmb, c.condEmbedDim(), batch);
        if (microConds.ne(0) * c.microCondEncodeDim() != c.microCondEmbedDim() || microConds.ne(1) != batch
                || microConds.ne(2) != 1 || microConds.ne(3) != 1) {
            throw new IllegalArgumentException("micro_conds must be [" + c.microCondEmbedDim() / c.microCondEncodeDim() + ", " + batch
                    + "] (micro_cond_embed_dim / micro_cond_encode_dim values per sample), got " + Arrays.toString(microConds.shape()));
        }
        long[] grid = grid(inputIds, batch);
        long width = grid[0], height = grid[1];

        Tensor enc = encoderProjLayerNorm.forward(g, encoderProj.forward(g, encoderHiddenStates)); // [hidden, T, B]
        g.trace("encoder_proj_layer_norm", enc);

        // get_timestep_embedding(micro_conds.flatten(), encode_dim, flip_sin_to_cos=True, shift 0):
        // ggml's timestep_embedding is that (cosines first), one row per value.
        long nMicro = microConds.ne(0);
        Tensor micro = g.timestepEmbedding(g.reshape(microConds, nMicro * batch), c.microCondEncodeDim(), 10000);
        micro = g.reshape(micro, nMicro * c.microCondEncodeDim(), batch);        // .reshape(B, -1)
        Tensor cond = g.concat(pooledTextEmb, micro, 0);                           // cat([pooled, micro], dim=1)
        cond = condEmbed.forward(g, cond);                                          // [hidden, B]
        g.trace("cond_embed", cond);
        Tensor condSilu = g.silu(cond); // every consumer (res blocks, ada norms) takes silu(pooled_text_emb)

        Tensor x = g.getRows(embeddings, g.reshape(inputIds, width * height * batch)); // [in, W·H·B]
        x = embedConv.forward(g, embedLayerNorm.forward(g, x));
        x = g.reshape(x, c.blockOutChannels(), width, height, batch);
        g.trace("embed", x);

        x = downBlock.forward(g, x, condSilu, enc, "down_block");
        g.trace("down_block", x);

        long ch = x.ne(0), w = x.ne(1), h = x.ne(2);
        Tensor seq = g.reshape(x, ch, w * h, batch);
        seq = projectToHidden.forward(g, projectToHiddenNorm.forward(g, seq));
        g.trace("project_to_hidden", seq);
        for (int i = 0; i < transformerLayers.size(); i++) {
            seq = transformerLayers.get(i).forward(g, seq, enc, condSilu);
            g.trace("transformer_layers." + i, seq);
        }
        seq = projectFromHidden.forward(g, projectFromHiddenNorm.forward(g, seq));
        g.trace("project_from_hidden", seq);

        x = g.reshape(seq, ch, w, h, batch);
        x = upBlock.forward(g, x, condSilu, enc, "up_block");
        g.trace("up_block", x);

        x = mlmConv2.forward(g, mlmLayerNorm.forward(g, mlmConv1.forward(g, x)));
        return x; // [codebook, W', H', B]
    }

    /**
     * Runs the model once on PyTorch-ordered arrays and returns logits in PyTorch's
     * (B, codebook_size, H, W) row-major order.
     *
     * @param ids           B·H·W token ids, (B, H, W) row-major
     * @param encoderHidden (B, T, encoder_hidden_size) row-major
     * @param pooled        (B, cond_embed_dim)
     * @param microConds    (B, 5)
     */
    public float[] forward(ComputeBackend backend, long[] ids, float[] encoderHidden, float[] pooled, float[] microConds,
                           int batch, int height, int width) {
        UVit2DConfig c = config;
        if (ids.length != (long) batch * height * width) {
            throw new IllegalArgumentException("expected " + batch + "×" + height + "×" + width + " ids, got " + ids.length);
        }
        long perSample = (long) batch * c.encoderHiddenSize();
        if (encoderHidden.length == 0 || encoderHidden.length % perSample != 0) {
            throw new IllegalArgumentException("encoder hidden states hold " + encoderHidden.length + " values, not a multiple of batch × "
                    + c.encoderHiddenSize());
        }
        int textLength = (int) (encoderHidden.length / perSample);
        if (pooled.length != batch * c.condEmbedDim()) throw new IllegalArgumentException("expected " + batch + "×" + c.condEmbedDim() + " pooled values, got " + pooled.length);
        if (microConds.length != batch * c.microCondCount()) throw new IllegalArgumentException("expected " + batch + "×" + c.microCondCount() + " micro-conditions, got " + microConds.length);
        int[] idsI32 = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            // get_rows does not bounds-check: an id past the table would read other memory.
            if (ids[i] < 0 || ids[i] >= c.vocabSize()) throw new IllegalArgumentException("token id " + ids[i] + " at " + i + " is outside the vocabulary of " + c.vocabSize());
            idsI32[i] = (int) ids[i];
        }
        try (Graph g = new Graph(backend, graphSize())) {
            Inputs in = inputs(g, batch, height, width, textLength);
            Tensor logits = g.output(g.name(build(g, in), "uvit_logits"));
            g.set(in.inputIds(), idsI32);
            g.set(in.encoderHiddenStates(), encoderHidden);
            g.set(in.pooledTextEmb(), pooled);
            g.set(in.microConds(), microConds);
            g.compute();
            return g.floats(logits);
        }
    }

    /** Graph nodes one build needs, with room to spare (about 100 per transformer layer, 70 per res/attention pair). */
    public int graphSize() {
        return 1024 + 160 * config.numHiddenLayers() + 2 * 128 * config.numResBlocks();
    }

    /** The [W, H] of the id grid: [W, H, B] as given, or a square grid for flat [W·H, B] ids. */
    private static long[] grid(Tensor ids, long batch) {
        if (ids.type() != GgmlType.I32) throw new IllegalArgumentException("input_ids must be I32, got " + ids.type());
        if (ids.ne(3) != 1) throw new IllegalArgumentException("input_ids must be [W, H, B] or [W·H, B], got " + Arrays.toString(ids.shape()));
        if (ids.ne(2) == batch && (batch > 1 || ids.ne(1) > 1)) return new long[] {ids.ne(0), ids.ne(1)};
        if (ids.ne(1) == batch && ids.ne(2) == 1) {
            long n = ids.ne(0), side = Math.round(Math.sqrt(n));
            if (side * side != n) throw new IllegalArgumentException("flat input_ids of " + n + " tokens are not a square grid; pass [W, H, B]");
            return new long[] {side, side};
        }
        throw new IllegalArgumentException("input_ids " + Arrays.toString(ids.shape()) + " do not match batch " + batch);
    }

    private static void checkShape(String what, Tensor t, long... ne) {
        long[] s = t.shape();
        for (int i = 0; i < 4; i++) {
            long want = i < ne.length ? ne[i] : 1;
            if (want >= 0 && s[i] != want) {
                throw new IllegalArgumentException(what + " has ggml shape " + Arrays.toString(s) + ", expected "
                        + Arrays.toString(ne) + " (−1: any)");
            }
        }
        if (t.type() != GgmlType.F32) throw new IllegalArgumentException(what + " must be F32, got " + t.type());
    }

    /**
     * Half {@code index} (0 or 1) of a [2D, B] embedding, as PyTorch's {@code chunk(2, dim=1)}
     * gives it, made contiguous [D, B] so that scale and friends accept it.
     */
    static Tensor chunk(Graph g, Tensor emb, int index) {
        long d = emb.ne(0) / 2;
        Tensor half = g.view(emb, new long[] {d, emb.ne(1)}, new long[] {emb.nb(1)}, index * d * emb.nb(0));
        return g.cont(half);
    }
}
