package mmgp.models.amused;

import java.util.ArrayList;
import java.util.List;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Conv2d;
import mmgp.graph.nn.Activation;
import mmgp.graph.nn.GroupNorm;
import mmgp.tensor.GgmlType;

/**
 * The decoding half of diffusers' {@code VQModel} as aMUSEd calls it:
 * {@code decode(indices, force_not_quantize=True, shape=(B, h, w, C))} with
 * {@code lookup_from_codebook=True}. Token ids become codebook vectors
 * ({@code VectorQuantizer.get_codebook_entry}), then post_quant_conv, then the {@code Decoder}:
 * conv_in, mid block, up blocks (coarsest first), GroupNorm conv_norm_out, SiLU, conv_out.
 *
 * <p>Activations are ggml [W, H, C, B], i.e. PyTorch (B, C, H, W) in memory. The result is the
 * raw sample (not clipped); {@link #toImage} does the pipeline's clip to [0, 1].
 */
public final class VqDecoder {
    /** Decoder eps: diffusers passes resnet_eps=1e-6 and builds conv_norm_out with eps=1e-6. */
    private static final float EPS = 1e-6f;

    private final VqConfig config;
    private final Tensor codebook;
    private final Conv2d postQuantConv, convIn, convOut;
    private final UNetMidBlock2D midBlock;
    private final List<UpDecoderBlock2D> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;

    /**
     * @param prefix the component's weight prefix, e.g. "vqvae." for a pipeline folder mapped
     *               with WeightSet.fromCheckpoint ("" for a lone VQModel)
     */
    public VqDecoder(VqConfig config, WeightSet weights, String prefix) {
        if (!config.lookupFromCodebook()) {
            // Without it diffusers' decode passes the ids through as latents instead of looking them up.
            throw new IllegalArgumentException("VQModel config: decoding token ids needs lookup_from_codebook=true");
        }
        this.config = config;
        List<Integer> channels = config.blockOutChannels();
        int groups = config.normNumGroups();
        String act = config.actFn();
        int top = channels.get(channels.size() - 1);
        this.codebook = weights.get(prefix + "quantize.embedding.weight", config.vqEmbedDim(), config.numVqEmbeddings());
        this.postQuantConv = Conv2d.load(weights, prefix + "post_quant_conv", config.vqEmbedDim(), config.latentChannels(), 1);
        String d = prefix + "decoder.";
        this.convIn = Conv2d.load(weights, d + "conv_in", config.latentChannels(), top, 3);
        this.midBlock = new UNetMidBlock2D(weights, d + "mid_block", top, 1, groups, EPS, act, 1f);
        int out = top;
        for (int i = 0; i < config.numUpBlocks(); i++) {
            int prev = out;
            out = channels.get(channels.size() - 1 - i);
            boolean last = i == config.numUpBlocks() - 1;
            upBlocks.add(new UpDecoderBlock2D(weights, d + "up_blocks." + i, config.layersPerBlock() + 1, prev, out, !last, groups, EPS, act));
        }
        this.convNormOut = GroupNorm.load(weights, d + "conv_norm_out", channels.get(0), groups, EPS);
        this.convOut = Conv2d.load(weights, d + "conv_out", channels.get(0), config.outChannels(), 3);
    }

    public VqConfig config() {
        return config;
    }

    /**
     * Adds the decoder to {@code g}: {@code indices} I32 [w·h·B] (the (B, h, w) token grid in
     * PyTorch order) → sample [W, H, out_channels, B] with W = w·{@link VqConfig#upscaleFactor()}.
     * Nothing is marked as an output, so the allocator can reuse every intermediate. When {@code g}
     * is tracing, also traces ({@link Graph#trace}) "codebook_lookup", "post_quant_conv",
     * "decoder.conv_in", "decoder.mid_block", "decoder.up_blocks.i" and "decoder.conv_norm_out".
     */
    public Tensor build(Graph g, Tensor indices, int batch, int h, int w) {
        if (indices.type() != GgmlType.I32 || indices.elements() != (long) batch * h * w) {
            throw new IllegalArgumentException("indices must be I32 with batch·h·w = " + (long) batch * h * w + " elements, got " + indices);
        }
        // get_codebook_entry: embedding rows, viewed (B, h, w, C), permuted to (B, C, h, w).
        Tensor rows = g.getRows(codebook, indices);                                   // [C, w·h·B]
        Tensor quant = g.reshape(rows, config.vqEmbedDim(), w, h, batch);
        quant = g.trace("codebook_lookup", g.cont(g.permute(quant, 2, 0, 1, 3))); // [w, h, C, B]
        Tensor x = g.trace("post_quant_conv", postQuantConv.forward(g, quant));
        x = g.trace("decoder.conv_in", convIn.forward(g, x));
        x = g.trace("decoder.mid_block", midBlock.forward(g, x));
        for (int i = 0; i < upBlocks.size(); i++) x = g.trace("decoder.up_blocks." + i, upBlocks.get(i).forward(g, x));
        // conv_act is nn.SiLU whatever act_fn says; fused into the norm unless the norm's own output is
        // traced: a traced FAST decode then runs ggml's SiLU, so its sample is not the untraced bits.
        if (g.tracing()) x = g.silu(g.trace("decoder.conv_norm_out", convNormOut.forward(g, x)));
        else x = convNormOut.forward(g, x, Activation.SILU);
        return convOut.forward(g, x);
    }

    /**
     * Decodes token ids (B, h, w) in PyTorch order into the raw sample (B, out_channels, H, W) in
     * PyTorch order, H = h·{@link VqConfig#upscaleFactor()}; one graph, built and freed here.
     */
    public float[] decode(ComputeBackend backend, long[] indices, int batch, int h, int w) {
        int[] ids = checkedIds(indices, batch, h, w);
        try (Graph g = new Graph(backend)) {
            Tensor in = g.input("indices", GgmlType.I32, ids.length);
            Tensor sample = g.output(g.name(build(g, in, batch, h, w), "vq_decoded"));
            g.set(in, ids);
            g.compute();
            return g.floats(sample); // [W, H, C, B] is (B, C, H, W) in memory
        }
    }

    /** {@link #decode} followed by {@link #toImage}: what AmusedPipeline returns for output_type="np". */
    public float[] decodeImage(ComputeBackend backend, long[] indices, int batch, int h, int w) {
        int f = config.upscaleFactor();
        return toImage(decode(backend, indices, batch, h, w), batch, config.outChannels(), h * f, w * f);
    }

    /**
     * The pipeline's post-processing: {@code sample.clip(0, 1)} (aMUSEd's image processor has
     * do_normalize=False, so no [−1, 1] mapping) and (B, C, H, W) → (B, H, W, C).
     */
    public static float[] toImage(float[] sample, int batch, int channels, int height, int width) {
        long n = (long) batch * channels * height * width;
        if (sample.length != n) throw new IllegalArgumentException("sample holds " + sample.length + " values, (B, C, H, W) needs " + n);
        float[] image = new float[sample.length];
        int plane = height * width;
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++) {
                    float v = sample[(b * channels + c) * plane + p];
                    image[(b * plane + p) * channels + c] = Math.min(1f, Math.max(0f, v));
                }
        return image;
    }

    private int[] checkedIds(long[] indices, int batch, int h, int w) {
        if (batch <= 0 || h <= 0 || w <= 0) throw new IllegalArgumentException("batch, h and w must be positive, got " + batch + ", " + h + ", " + w);
        if (indices.length != (long) batch * h * w) {
            throw new IllegalArgumentException(indices.length + " token ids for a (" + batch + ", " + h + ", " + w + ") grid");
        }
        int[] ids = new int[indices.length];
        for (int i = 0; i < ids.length; i++) {
            // ggml_get_rows does not check its ids; a bad one would read outside the codebook.
            if (indices[i] < 0 || indices[i] >= config.numVqEmbeddings()) {
                throw new IllegalArgumentException("token id " + indices[i] + " at " + i + " is outside the codebook [0, " + config.numVqEmbeddings() + ")");
            }
            ids[i] = (int) indices[i];
        }
        return ids;
    }
}
