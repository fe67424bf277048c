package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Activation;
import mmgp.graph.nn.FeedForward;
import mmgp.graph.nn.LayerNorm;
import mmgp.graph.nn.Linear;
import mmgp.graph.nn.Vectors;
import mmgp.tensor.GgmlType;

/**
 * diffusers' {@code LTXVideoTransformer3DModel} (LTX-Video's denoiser) as a ggml graph: packed
 * latent tokens through proj_in; the timestep through AdaLayerNormSingle (sinusoidal 256 →
 * TimestepEmbedding → SiLU → Linear to six modulations per block); the T5 states through
 * caption_projection; a stack of {@link LtxTransformerBlock}s with 3-D rotary position
 * embedding on self-attention and a masked cross-attention; norm_out modulated by
 * scale_shift_table + the embedded timestep; proj_out.
 *
 * <p>Tokens are [D, T, B] (PyTorch (B, T, D)) throughout, in the pipeline's packing order
 * (frame, row, column). The rotary tables and the cross-attention bias are graph inputs
 * computed in Java ({@link #setRope}, {@link #setEncoderAttentionMask}), so one graph serves
 * every denoising step: set the conditioning once, then new latents and timestep per step
 * ({@link #setStep}). Under classifier-free guidance the batch is twice the prompts.
 */
public final class LtxTransformer {
    /** Timesteps(num_channels=256, flip_sin_to_cos=True, downscale_freq_shift=0) in AdaLayerNormSingle. */
    static final int TIMESTEP_PROJ_DIM = 256;
    /** The bias diffusers turns a 0 in encoder_attention_mask into: (1 − mask)·−10000. */
    static final float MASKED_BIAS = -10000f;

    private final LtxTransformerConfig config;
    private final Linear projIn;
    private final FeedForward timestepEmbedder;            // time_embed.emb.timestep_embedder: linear_1, SiLU, linear_2
    private final Linear timeEmbedLinear;                  // time_embed.linear: D → 6D
    private final FeedForward captionProjection;           // PixArtAlphaTextProjection: linear_1, gelu(tanh), linear_2
    private final List<LtxTransformerBlock> blocks = new ArrayList<>();
    private final LayerNorm normOut = LayerNorm.plain(1e-6); // nn.LayerNorm(inner_dim, eps=1e-6, elementwise_affine=False)
    private final Tensor scaleShiftTable;                  // [D, 2]: shift, scale for norm_out
    private final Linear projOut;

    /**
     * rope_interpolation_scale: multipliers of the frame, row and column indices before they
     * are divided by the base sizes (20, 2048, 2048).
     */
    public record RopeScale(double temporal, double height, double width) {
        /**
         * What LTXPipeline passes: (temporal_compression / frame_rate, spatial_compression,
         * spatial_compression), e.g. (8/25, 32, 32) for LTX-Video at 25 fps.
         */
        public static RopeScale forVideo(double frameRate, int temporalCompressionRatio, int spatialCompressionRatio) {
            if (!(frameRate > 0)) throw new IllegalArgumentException("frame rate must be positive, got " + frameRate);
            return new RopeScale(temporalCompressionRatio / frameRate, spatialCompressionRatio, spatialCompressionRatio);
        }
    }

    /**
     * The graph inputs of one build, as {@link #inputs} declares them.
     *
     * @param hiddenStates         F32 [in_channels, T, B]: packed latents
     * @param encoderHiddenStates  F32 [caption_channels, L, B]: text-encoder states
     * @param timestep             F32 [nt, B]: sigma·1000, nt = 1 per sample or T per token
     * @param encoderAttentionBias F32 [L, T, 1, B]: (1 − mask)·−10000 repeated over queries (ggml's softmax wants a row per query)
     * @param ropeCos              F32 [inner_dim, T]
     * @param ropeSin              F32 [inner_dim, T]
     */
    public record Inputs(Tensor hiddenStates, Tensor encoderHiddenStates, Tensor timestep, Tensor encoderAttentionBias,
                         Tensor ropeCos, Tensor ropeSin) {
        public int batch() {
            return (int) hiddenStates.ne(2);
        }

        public int tokens() {
            return (int) hiddenStates.ne(1);
        }

        public int textTokens() {
            return (int) encoderHiddenStates.ne(1);
        }
    }

    /** Resolves every weight under {@code prefix} (e.g. "transformer.") now, shape-checked against the config. */
    public LtxTransformer(LtxTransformerConfig config, WeightSet weights, String prefix) {
        this.config = config;
        LtxTransformerConfig c = config;
        int d = c.innerDim();
        String p = prefix;
        projIn = Linear.load(weights, p + "proj_in", c.inChannels(), d, true);
        timestepEmbedder = FeedForward.loadMlp(weights, p + "time_embed.emb.timestep_embedder", TIMESTEP_PROJ_DIM, d, d, Activation.SILU, true);
        timeEmbedLinear = Linear.load(weights, p + "time_embed.linear", d, 6 * d, true);
        captionProjection = FeedForward.loadMlp(weights, p + "caption_projection", c.captionChannels(), d, d, Activation.GELU_TANH, true);
        for (int i = 0; i < c.numLayers(); i++) blocks.add(new LtxTransformerBlock(c, weights, p + "transformer_blocks." + i));
        scaleShiftTable = weights.get(p + "scale_shift_table", d, 2);
        projOut = Linear.load(weights, p + "proj_out", d, c.outChannels(), true);
    }

    public LtxTransformerConfig config() {
        return config;
    }

    /** Inputs for {@code batch} samples of {@code tokens} latent tokens and {@code textTokens} text states, one timestep per sample. */
    public Inputs inputs(Graph g, int batch, int tokens, int textTokens) {
        return inputs(g, batch, tokens, textTokens, false);
    }

    /**
     * As {@link #inputs(Graph, int, int, int)}; with {@code timestepPerToken} the timestep input
     * holds one value per token (as the conditioning pipelines pass it) instead of one per sample.
     */
    public Inputs inputs(Graph g, int batch, int tokens, int textTokens, boolean timestepPerToken) {
        if (batch <= 0 || tokens <= 0 || textTokens <= 0) {
            throw new IllegalArgumentException("batch, tokens and text tokens must be positive, got " + batch + ", " + tokens + ", " + textTokens);
        }
        LtxTransformerConfig c = config;
        return new Inputs(
                g.inputF32("ltx_hidden_states", c.inChannels(), tokens, batch),
                g.inputF32("ltx_encoder_hidden_states", c.captionChannels(), textTokens, batch),
                g.inputF32("ltx_timestep", timestepPerToken ? tokens : 1, batch),
                g.inputF32("ltx_encoder_attention_bias", textTokens, tokens, 1, batch),
                g.inputF32("ltx_rope_cos", c.innerDim(), tokens),
                g.inputF32("ltx_rope_sin", c.innerDim(), tokens));
    }

    /**
     * The forward pass; returns the velocity prediction [out_channels, T, B], PyTorch's
     * (B, T, out_channels). Mark it with {@link Graph#output}. When {@code g} is tracing, also
     * traces ({@link Graph#trace}) the reference submodules' outputs under their diffusers names: "proj_in",
     * "time_embed.emb" (= "embedded_timestep", [D, nt, B]), "temb" ([6D, nt, B]),
     * "caption_projection", "transformer_blocks.i", "norm_out" (before its modulation).
     */
    public Tensor build(Graph g, Inputs in) {
        LtxTransformerConfig c = config;
        long b = in.hiddenStates().ne(2), t = in.hiddenStates().ne(1), l = in.encoderHiddenStates().ne(1);
        long d = c.innerDim(), nt = in.timestep().ne(0);
        checkShape("hidden_states", in.hiddenStates(), c.inChannels(), t, b);
        checkShape("encoder_hidden_states", in.encoderHiddenStates(), c.captionChannels(), l, b);
        if (nt != 1 && nt != t) throw new IllegalArgumentException("timestep must be [1, B] or [tokens, B], got " + Arrays.toString(in.timestep().shape()));
        checkShape("timestep", in.timestep(), nt, b);
        checkShape("encoder_attention_bias", in.encoderAttentionBias(), l, t, 1, b);
        checkShape("rope_cos", in.ropeCos(), d, t);
        checkShape("rope_sin", in.ropeSin(), d, t);

        Tensor x = projIn.forward(g, in.hiddenStates());
        g.trace("proj_in", x);

        // AdaLayerNormSingle(timestep.flatten()): (linear(silu(emb)), emb)
        Tensor proj = g.timestepEmbedding(g.reshape(in.timestep(), nt * b), TIMESTEP_PROJ_DIM, 10000);
        Tensor embedded = timestepEmbedder.forward(g, proj); // [D, nt·B]
        Tensor temb = g.reshape(timeEmbedLinear.forward(g, g.silu(embedded)), 6 * d, nt, b);
        embedded = g.reshape(embedded, d, nt, b);
        g.trace("time_embed.emb", embedded);
        g.trace("embedded_timestep", embedded);
        g.trace("temb", temb);

        Tensor enc = captionProjection.forward(g, in.encoderHiddenStates());
        g.trace("caption_projection", enc);

        for (int i = 0; i < blocks.size(); i++) {
            x = blocks.get(i).forward(g, x, enc, temb, in.ropeCos(), in.ropeSin(), in.encoderAttentionBias());
            g.trace("transformer_blocks." + i, x);
        }

        // scale_shift_table[None, None] + embedded_timestep[:, :, None], then (shift, scale)
        Tensor table = Vectors.f32(g, scaleShiftTable);
        Tensor shift = g.add(embedded, g.view(table, new long[] {d}, new long[0], 0));
        Tensor scale = g.add(embedded, g.view(table, new long[] {d}, new long[0], table.nb(1)));
        x = normOut.forward(g, x);
        g.trace("norm_out", x);
        x = g.add(g.mul(x, g.scaleBias(scale, 1f, 1f)), shift);
        return projOut.forward(g, x);
    }

    /** Fills the rotary tables for a token grid of {@code frames}×{@code height}×{@code width} (tokens, i.e. latents after patching). */
    public void setRope(Graph g, Inputs in, int frames, int height, int width, RopeScale scale) {
        LtxRotaryEmbedding.checkGrid(frames, height, width);
        if ((long) frames * height * width != in.tokens()) {
            throw new IllegalArgumentException("a " + frames + "×" + height + "×" + width + " grid is not the " + in.tokens() + " tokens the graph was built for");
        }
        LtxRotaryEmbedding.Tables tables = ropeTables(frames, height, width, scale);
        g.set(in.ropeCos(), tables.cos());
        g.set(in.ropeSin(), tables.sin());
    }

    /** The cos/sin tables, each (tokens, inner_dim) row-major, as LTXVideoRotaryPosEmbed computes them. */
    LtxRotaryEmbedding.Tables ropeTables(int frames, int height, int width, RopeScale scale) {
        float[] coords = LtxRotaryEmbedding.videoCoords(frames, height, width, config.patchSize(), config.patchSizeT(), scale);
        return LtxRotaryEmbedding.tables(config.innerDim(), coords);
    }

    /**
     * Fills the cross-attention bias from the tokenizer's attention mask, (B, L) row-major
     * (true / 1 = attend); null attends to every text token, as the reference does without a mask.
     */
    public void setEncoderAttentionMask(Graph g, Inputs in, boolean[] mask) {
        long[] m = null;
        if (mask != null) {
            m = new long[mask.length];
            for (int i = 0; i < mask.length; i++) m[i] = mask[i] ? 1 : 0;
        }
        setEncoderAttentionMask(g, in, m);
    }

    /** As {@link #setEncoderAttentionMask(Graph, Inputs, boolean[])} for an integer mask (the tokenizer's int64 one). */
    public void setEncoderAttentionMask(Graph g, Inputs in, long[] mask) {
        g.set(in.encoderAttentionBias(), encoderAttentionBias(mask, in.batch(), in.textTokens(), in.tokens()));
    }

    /** (1 − mask)·−10000 per (sample, text token), repeated for every query token: [L, T, 1, B]. */
    static float[] encoderAttentionBias(long[] mask, int batch, int textTokens, int tokens) {
        if (mask != null && mask.length != (long) batch * textTokens) {
            throw new IllegalArgumentException("expected a " + batch + "×" + textTokens + " attention mask, got " + mask.length + " values");
        }
        float[] bias = new float[Math.multiplyExact(Math.multiplyExact(batch, textTokens), tokens)];
        if (mask == null) return bias;
        float[] row = new float[textTokens];
        for (int s = 0; s < batch; s++) {
            for (int j = 0; j < textTokens; j++) row[j] = (1f - mask[s * textTokens + j]) * MASKED_BIAS;
            for (int t = 0; t < tokens; t++) System.arraycopy(row, 0, bias, (s * tokens + t) * textTokens, textTokens);
        }
        return bias;
    }

    /**
     * What stays fixed over a generation: the text states ((B, L, caption_channels) row-major),
     * their mask ((B, L), null for none) and the rotary tables of the token grid.
     */
    public void setConditioning(Graph g, Inputs in, float[] encoderHiddenStates, boolean[] encoderAttentionMask,
                                int frames, int height, int width, RopeScale scale) {
        checkLength("encoder_hidden_states", encoderHiddenStates, in.encoderHiddenStates());
        g.set(in.encoderHiddenStates(), encoderHiddenStates);
        setEncoderAttentionMask(g, in, encoderAttentionMask);
        setRope(g, in, frames, height, width, scale);
    }

    /** What changes every step: packed latents ((B, T, in_channels) row-major) and the timestep (B or B·T values of sigma·1000). */
    public void setStep(Graph g, Inputs in, float[] hiddenStates, float[] timestep) {
        checkLength("hidden_states", hiddenStates, in.hiddenStates());
        checkLength("timestep", timestep, in.timestep());
        g.set(in.hiddenStates(), hiddenStates);
        g.set(in.timestep(), timestep);
    }

    /**
     * Runs the model once on PyTorch-ordered arrays; returns (B, T, out_channels) row-major.
     *
     * @param hiddenStates        (B, frames·height·width, in_channels) packed latents
     * @param encoderHiddenStates (B, L, caption_channels)
     * @param encoderAttentionMask (B, L), or null for none
     * @param timestep            B values (or B·T, one per token)
     * @param frames              the token grid (the reference's num_frames / height / width)
     */
    public float[] forward(ComputeBackend backend, float[] hiddenStates, float[] encoderHiddenStates, boolean[] encoderAttentionMask,
                           float[] timestep, int batch, int frames, int height, int width, RopeScale scale) {
        LtxRotaryEmbedding.checkGrid(frames, height, width);
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive, got " + batch);
        int tokens = Math.multiplyExact(Math.multiplyExact(frames, height), width);
        long perText = (long) batch * config.captionChannels();
        if (encoderHiddenStates.length == 0 || encoderHiddenStates.length % perText != 0) {
            throw new IllegalArgumentException("encoder hidden states hold " + encoderHiddenStates.length + " values, not a multiple of batch × "
                    + config.captionChannels());
        }
        int textTokens = (int) (encoderHiddenStates.length / perText);
        boolean perToken = timestep.length != batch && timestep.length == (long) batch * tokens;
        try (Graph g = new Graph(backend, graphSize())) {
            Inputs in = inputs(g, batch, tokens, textTokens, perToken);
            Tensor out = g.output(g.name(build(g, in), "ltx_transformer_out"));
            setConditioning(g, in, encoderHiddenStates, encoderAttentionMask, frames, height, width, scale);
            setStep(g, in, hiddenStates, timestep);
            g.compute();
            return g.floats(out);
        }
    }

    /** Graph nodes one build needs, with room to spare (about 110 per block, 60 outside). */
    public int graphSize() {
        return 256 + 160 * config.numLayers();
    }

    private static void checkLength(String what, float[] values, Tensor input) {
        if (values == null || values.length != input.elements()) {
            throw new IllegalArgumentException(what + " must hold " + input.elements() + " values (ggml " + Arrays.toString(input.shape())
                    + "), got " + (values == null ? "null" : values.length));
        }
    }

    private static void checkShape(String what, Tensor t, long... ne) {
        long[] s = t.shape();
        for (int i = 0; i < 4; i++) {
            long want = i < ne.length ? ne[i] : 1;
            if (s[i] != want) {
                throw new IllegalArgumentException(what + " has ggml shape " + Arrays.toString(s) + ", expected " + Arrays.toString(ne));
            }
        }
        if (t.type() != GgmlType.F32) throw new IllegalArgumentException(what + " must be F32, got " + t.type());
    }
}
