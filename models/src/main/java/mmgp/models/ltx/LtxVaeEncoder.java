package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/**
 * diffusers' {@code AutoencoderKLLTXVideo.encode(x)} (0.33.1): the encoder
 * {@code LTXVideoEncoder3d} and the {@code DiagonalGaussianDistribution} over its output. The
 * video is patchified (patch_size × patch_size pixels per position, channel order (c, p_t, p_w,
 * p_h)), then conv_in, the down blocks ({@link DownBlock3d}: LTX-Video 0.9.0/0.9.1 strided-conv
 * blocks or 0.9.5 space-to-depth blocks), the mid block, RMSNorm norm_out, SiLU and conv_out to
 * latent_channels + 1 channels: the first latent_channels are the mean, the last one is a log
 * variance shared by every channel (clamped to [−30, 20]). The encoder is causal in time
 * (encoder_causal), so frame f of the latents sees only the input frames up to its own.
 *
 * <p>Activations are ggml [W, H, F, C·B] (PyTorch (B, C, F, H, W) in memory). Every conv
 * unfolds at most {@code convChunkBytes} at a time (see {@link CausalConv3d}), and the tiled
 * encode ({@link VaeTiling}, {@link #encodeWithinBudget}) encodes overlapping temporal and
 * spatial tiles as diffusers' own tiled encode does, so the compute buffer follows the tile
 * size, not the video size.
 */
public final class LtxVaeEncoder {
    /** DiagonalGaussianDistribution clamps the log variance to this range. */
    static final float LOGVAR_MIN = -30f, LOGVAR_MAX = 20f;

    /**
     * {@code vae.encode(x).latent_dist}: mean and (clamped) log variance, each (B, C, F', H', W') in
     * PyTorch order.
     */
    public record LatentDistribution(float[] mean, float[] logvar, int batch, int channels, int frames, int height, int width) {
        public LatentDistribution {
            long n = (long) batch * channels * frames * height * width;
            if (mean.length != n || logvar.length != n) throw new IllegalArgumentException("mean and logvar must hold " + n + " values");
        }

        /** DiagonalGaussianDistribution.mode(): the mean (retrieve_latents with sample_mode "argmax"). */
        public float[] mode() {
            return mean.clone();
        }

        /**
         * DiagonalGaussianDistribution.sample: {@code mean + exp(0.5·logvar)·noise} in float32, for
         * standard normal {@code noise} of the same shape (what the pipelines' retrieve_latents
         * draws from their generator).
         */
        public float[] sample(float[] noise) {
            if (noise.length != mean.length) throw new IllegalArgumentException(noise.length + " noise values for " + mean.length + " latents");
            float[] out = new float[mean.length];
            for (int i = 0; i < out.length; i++) out[i] = mean[i] + (float) Math.exp(0.5f * logvar[i]) * noise[i];
            return out;
        }
    }

    private final LtxVaeConfig config;
    private final LatentStatistics latentStats;
    private final CausalConv3d convIn, convOut;
    private final List<DownBlock3d> downBlocks = new ArrayList<>();
    private final MidBlock3d midBlock;
    private final int lastChannels, convCount;

    public LtxVaeEncoder(LtxVaeConfig config, WeightSet weights, String prefix) {
        this(config, weights, prefix, LtxVaeDecoder.DEFAULT_CONV_CHUNK_BYTES);
    }

    /**
     * @param prefix         the component's weight prefix, e.g. "vae." for a pipeline folder mapped
     *                       with WeightSet.fromCheckpoint ("" for a lone AutoencoderKLLTXVideo)
     * @param convChunkBytes the most im2col memory one conv may unfold at once (at least one frame)
     */
    public LtxVaeEncoder(LtxVaeConfig config, WeightSet weights, String prefix, long convChunkBytes) {
        this.config = config;
        List<Integer> channels = config.blockOutChannels();
        List<String> types = config.downBlockTypes();
        if (channels.isEmpty() || types.isEmpty()) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: block_out_channels and down_block_types must not be empty");
        for (int c : channels) {
            if (c <= 0) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: block_out_channels " + channels + " has a non-positive entry");
        }
        // LTXVideoEncoder3d.__init__: a 0.9.5 encoder (last block type LTXVideo095DownBlock3D) has one
        // block fewer than block_out_channels, whose last entry is then the mid block's width.
        boolean is095 = types.getLast().equals(DownBlock3d.LTX_095);
        int blocks = channels.size() - (is095 ? 1 : 0);
        need("down_block_types", types.size(), blocks);
        need("spatio_temporal_scaling", config.spatioTemporalScaling().size(), blocks);
        need("layers_per_block", config.layersPerBlock().size(), Math.max(blocks, 1));
        for (int i = 0; i < blocks; i++) {
            if (types.get(i).equals(DownBlock3d.LTX_095)) need("downsample_type", config.downsampleType().size(), i + 1);
        }
        for (int layers : config.layersPerBlock()) {
            if (layers < 0) throw new IllegalArgumentException("AutoencoderKLLTXVideo config: layers_per_block " + config.layersPerBlock() + " has a negative entry");
        }
        int c = config.latentChannels();
        this.latentStats = new LatentStatistics(weights, prefix, c);
        String e = prefix + "encoder.";
        float eps = (float) config.resnetNormEps();
        CausalConv3d.Options conv = new CausalConv3d.Options(config.encoderCausal(), convChunkBytes);
        int p = config.patchSize();
        int output = channels.getFirst();
        this.convIn = new CausalConv3d(weights, e + "conv_in", config.inChannels() * p * p, output, 3, conv);
        int convs = 1;
        for (int i = 0; i < blocks; i++) {
            int input = output;
            output = is095 ? channels.get(i + 1) : i + 1 < blocks ? channels.get(i + 1) : channels.get(i);
            String type = types.get(i);
            int layers = config.layersPerBlock().get(i);
            boolean scale = config.spatioTemporalScaling().get(i);
            downBlocks.add(new DownBlock3d(weights, e + "down_blocks." + i, type, input, output, layers, scale,
                    type.equals(DownBlock3d.LTX_095) ? config.downsampleType().get(i) : "conv", eps, conv));
            convs += 2 * layers + (scale ? 1 : 0) + (input != output ? 3 : 0);
        }
        int midLayers = config.layersPerBlock().getLast();
        this.midBlock = new MidBlock3d(weights, e + "mid_block", output, midLayers, eps, conv);
        this.lastChannels = output;
        this.convOut = new CausalConv3d(weights, e + "conv_out", output, c + 1, 3, conv);
        this.convCount = convs + 2 * midLayers + 1;
    }

    private static void need(String name, int size, int needed) {
        if (size < needed) {
            throw new IllegalArgumentException("AutoencoderKLLTXVideo config: " + name + " has " + size + " entries; the encoder needs " + needed);
        }
    }

    public LtxVaeConfig config() {
        return config;
    }

    /**
     * The latent grid (F', H', W') of a video of {@code frames × height × width}; refuses sizes the
     * encoder cannot take (height and width must be multiples of patch_size, and every
     * space-to-depth downsampler needs its stage to divide: e.g. 1 + 8k frames and multiples
     * of 32 pixels for LTX-Video 0.9.5).
     */
    public int[] latentShape(int frames, int height, int width) {
        int p = config.patchSize(), pt = config.patchSizeT();
        if (frames <= 0 || height <= 0 || width <= 0) throw new IllegalArgumentException("frames, height and width must be positive, got " + frames + ", " + height + ", " + width);
        if (height % p != 0 || width % p != 0 || frames % pt != 0) {
            throw new IllegalArgumentException("a " + frames + " × " + height + " × " + width + " video does not patchify: height and width must be multiples of " + p);
        }
        long[] s = {frames / pt, height / p, width / p};
        for (DownBlock3d b : downBlocks) s = b.outShape(s[0], s[1], s[2]);
        return new int[] {(int) s[0], (int) s[1], (int) s[2]};
    }

    /**
     * Adds the encoder to {@code g}: {@code video} F32 [W, H, F, in_channels·B] (PyTorch
     * (B, 3, F, H, W), values in [−1, 1]) → conv_out's output [W', H', F', (latent_channels + 1)·B],
     * whose last channel per batch row is the shared log variance (before clamping). When
     * {@code g} is tracing, also traces ({@link Graph#trace}) "encoder.conv_in", "encoder.down_blocks.i"
     * (and their ".downsamplers.0"), "encoder.mid_block" and "encoder.conv_out". Nothing else is
     * marked as an output.
     */
    public Tensor build(Graph g, Tensor video, int batch) {
        if (batch <= 0 || video.ne(3) != (long) config.inChannels() * batch) {
            throw new IllegalArgumentException("video must be [W, H, F, " + config.inChannels() + "·" + batch + "], got " + video);
        }
        latentShape((int) video.ne(2), (int) video.ne(1), (int) video.ne(0));
        int p = config.patchSize();
        Tensor x = Layers3d.spaceToDepth(g, video, config.patchSizeT(), p, p, true); // the patchify
        x = g.trace("encoder.conv_in", convIn.forward(g, x));
        for (int i = 0; i < downBlocks.size(); i++) {
            String name = "encoder.down_blocks." + i;
            x = g.trace(name, downBlocks.get(i).forward(g, x, name));
        }
        x = g.trace("encoder.mid_block", midBlock.forward(g, x));
        // norm_out is RMSNorm(latent_channels, eps=1e-8) without affine: its declared width does not matter.
        x = Layers3d.rmsNormSilu(g, x, lastChannels, ResnetBlock3d.RMS_EPS);
        return g.trace("encoder.conv_out", convOut.forward(g, x));
    }

    /** A graph with room for the encoder's nodes: every conv may split into one chunk per frame. */
    public Graph newGraph(ComputeBackend backend, int frames) {
        long perConv = 40 + 20L * frames;
        return new Graph(backend, (int) Math.min(Integer.MAX_VALUE, 4096 + convCount * perConv));
    }

    /**
     * Encodes a video (B, in_channels, F, H, W) in PyTorch order, values in [−1, 1], into its
     * latent distribution (B, latent_channels, F', H', W') with (F', H', W') =
     * {@link #latentShape}; one graph, built and freed here.
     */
    public LatentDistribution encodeVideo(ComputeBackend backend, float[] video, int batch, int frames, int height, int width) {
        return encodeVideo(backend, video, batch, frames, height, width, VaeTiling.OFF, ProgressListener.NONE);
    }

    /**
     * {@link #encodeVideo(ComputeBackend, float[], int, int, int, int)} in the tiles of
     * {@code tiling}, as diffusers 0.33.1's {@code AutoencoderKLLTXVideo.encode} does with
     * {@code enable_tiling(...)} (and {@code use_framewise_decoding}, which diffusers' encode
     * also reads) set the same way: temporal tiles of minFrames + 1 frames, each spatially tiled,
     * the encoder's outputs blended and cropped in latent space ({@link VaeTilePlan#forEncode},
     * {@link TiledVaeEncode}), then clamped and split into mean and log variance.
     * {@link VaeTiling#OFF}, or settings under which diffusers would not tile these sizes, give
     * exactly the plain encode. Tile sizes and strides must be multiples of the compression
     * ratios, and a split axis must lie on the latent grid (1 + k·temporal ratio frames when the
     * frames are split, multiples of the spatial ratio in pixels when height and width are); an
     * axis not split is encoded whole, as the plain encode takes it. The compute memory follows the tile size, not the video size. Reports each tile
     * as an "encode_image" step (a one-frame video) or an "encode_video" step to
     * {@code listener} and stops when it cancels.
     *
     * <p>Tiling is an approximation: a tile sees its edge padding where the whole encode sees
     * neighbours, so latents near tile borders differ from the whole encode's.
     */
    public LatentDistribution encodeVideo(ComputeBackend backend, float[] video, int batch, int frames, int height, int width,
                                          VaeTiling tiling, ProgressListener listener) {
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive, got " + batch);
        long n = (long) batch * config.inChannels() * frames * height * width;
        if (video.length != n) {
            throw new IllegalArgumentException(video.length + " video values for (" + batch + ", " + config.inChannels() + ", " + frames + ", " + height + ", " + width + ")");
        }
        int[] latent = latentShape(frames, height, width);
        String stage = frames == 1 ? "encode_image" : "encode_video";
        try (TiledVaeEncode run = new TiledVaeEncode(this, backend, video, batch, frames, height, width, latent, tiling, stage)) {
            return distribution(run, config, batch, latent, listener);
        }
    }

    /**
     * The encode an application makes: whole when its compute buffer fits {@code budgetBytes},
     * else in the tiles {@link #tilingForBudget} picks for it; {@code budgetBytes} ≤ 0 means
     * {@link VaeTiling#DEFAULT_BUDGET_BYTES}. Same arguments and result as
     * {@link #encodeVideo(ComputeBackend, float[], int, int, int, int, VaeTiling, ProgressListener)}.
     *
     * @throws VaeBudgetTooSmallException when even the smallest tile's buffer exceeds the budget
     */
    public LatentDistribution encodeWithinBudget(ComputeBackend backend, float[] video, int batch, int frames, int height, int width,
                                                 long budgetBytes, ProgressListener listener) {
        long budget = budgetBytes > 0 ? budgetBytes : VaeTiling.DEFAULT_BUDGET_BYTES;
        VaeTiling tiling = tilingForBudget(backend, budget, batch, frames, height, width);
        return encodeVideo(backend, video, batch, frames, height, width, tiling, listener);
    }

    /**
     * The compute buffer ggml plans for encoding a video of {@code frames × height × width} with
     * a batch of {@code batch} (inputs, activations, conv unfold chunks; not the weights): the
     * graph is built and planned, nothing is allocated or computed.
     */
    public long plannedComputeBytes(ComputeBackend backend, int batch, int frames, int height, int width) {
        try (Graph g = encodeGraph(backend, batch, frames, height, width).graph()) {
            return g.plannedBufferBytes();
        }
    }

    /** A built encode graph: its video input and its raw output (moments, before the log variance is clamped). */
    record EncodeGraph(Graph graph, Tensor video, Tensor moments) {}

    /**
     * A new graph encoding a batch of {@code batch} videos of {@code frames × height × width}
     * (input "video", output "ltx_vae_encoded", {@link #build}); the caller closes it.
     */
    EncodeGraph encodeGraph(ComputeBackend backend, int batch, int frames, int height, int width) {
        if (batch < 1) throw new IllegalArgumentException("batch must be positive, got " + batch);
        latentShape(frames, height, width);
        Graph g = newGraph(backend, frames);
        try {
            Tensor in = g.inputF32("video", width, height, frames, (long) config.inChannels() * batch);
            return new EncodeGraph(g, in, g.output(g.name(build(g, in, batch), "ltx_vae_encoded")));
        } catch (RuntimeException | Error e) {
            g.close();
            throw e;
        }
    }

    /**
     * The tiling whose largest tile's compute buffer ({@link #plannedComputeBytes}) fits
     * {@code budgetBytes} — {@link VaeTiling#OFF}, the whole encode, when it fits — for encoding
     * a video of {@code frames × height × width} with a batch of {@code batch}; see
     * {@link VaeTiling#forEncodeBudget}. A video off the latent grid (1 + k·temporal ratio
     * frames, multiples of the spatial ratio in pixels) is encoded whole when that fits and
     * refused when it does not.
     *
     * @throws VaeBudgetTooSmallException when even the smallest tile's buffer exceeds the budget
     */
    public VaeTiling tilingForBudget(ComputeBackend backend, long budgetBytes, int batch, int frames, int height, int width) {
        if (budgetBytes <= 0) throw new IllegalArgumentException("the VAE memory budget must be positive, got " + budgetBytes + " bytes");
        int[] latent = latentShape(frames, height, width);
        long whole = plannedComputeBytes(backend, batch, frames, height, width);
        if (whole <= budgetBytes) return VaeTiling.OFF;
        VaeTilePlan.requireOnGrid(config, frames, height, width, true, true); // the sizer may split any axis
        int sr = config.spatialCompressionRatio(), tr = config.temporalCompressionRatio();
        return VaeTiling.forEncodeBudget(budgetBytes, config, latent[0], latent[1], latent[2],
                (f, h, w) -> f == latent[0] && h == latent[1] && w == latent[2] ? whole : plannedComputeBytes(backend, batch, (f - 1) * tr + 1, h * sr, w * sr));
    }

    /**
     * Encodes images (B, in_channels, H, W) in PyTorch order, values in [−1, 1], as one-frame
     * videos (what the image-to-video pipelines do with {@code image.unsqueeze(2)}): latents
     * (B, latent_channels, 1, H', W').
     */
    public LatentDistribution encodeImage(ComputeBackend backend, float[] image, int batch, int height, int width) {
        return encodeVideo(backend, image, batch, 1, height, width);
    }

    /**
     * {@code DiagonalGaussianDistribution(h)} of the encoder's h = cat(moments, last channel
     * repeated latent_channels − 1 times): mean = moments' first C channels, logvar = the last
     * channel for all C, clamped to [−30, 20].
     */
    LatentDistribution distribution(float[] moments, int batch, int frames, int height, int width) {
        return distribution(config, moments, batch, frames, height, width);
    }

    /**
     * Runs a tiled encode's tiles ({@code run}: raw moments, latent_channels + 1 planes per batch
     * row) and splits the blended result into its distribution: as diffusers, the tiles' raw
     * log variances are blended first, then clamped.
     */
    static LatentDistribution distribution(TiledVae<?> run, LtxVaeConfig config, int batch, int[] latent, ProgressListener listener) {
        return distribution(config, run.run(listener), batch, latent[0], latent[1], latent[2]);
    }

    private static LatentDistribution distribution(LtxVaeConfig config, float[] moments, int batch, int frames, int height, int width) {
        int c = config.latentChannels(), plane = frames * height * width;
        float[] mean = new float[batch * c * plane], logvar = new float[mean.length];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(moments, b * (c + 1) * plane, mean, b * c * plane, c * plane);
            int shared = (b * (c + 1) + c) * plane;
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < plane; i++) {
                    logvar[(b * c + ch) * plane + i] = Math.min(LOGVAR_MAX, Math.max(LOGVAR_MIN, moments[shared + i]));
                }
            }
        }
        return new LatentDistribution(mean, logvar, batch, c, frames, height, width);
    }

    /**
     * The image/condition pipelines' {@code _normalize_latents(latents, latents_mean, latents_std)}:
     * {@code (latents − latents_mean) · scaling_factor / latents_std} per channel over
     * (B, C, F', H', W') in PyTorch order, float32 in torch's order. LTXImageToVideoPipeline and
     * LTXConditionPipeline (diffusers 0.33.1) leave scaling_factor at its default 1.0 whatever the
     * VAE config says, so this does too (the released VAEs all have scaling_factor 1.0).
     */
    public float[] normalize(float[] latents, int batch, int frames, int h, int w) {
        int c = config.latentChannels();
        int plane = frames * h * w;
        if (batch <= 0 || frames <= 0 || h <= 0 || w <= 0 || latents.length != (long) batch * c * plane) {
            throw new IllegalArgumentException(latents.length + " latent values for (" + batch + ", " + c + ", " + frames + ", " + h + ", " + w + ")");
        }
        float[] mean = latentStats.mean();
        float[] std = latentStats.std();
        float[] out = new float[latents.length];
        for (int i = 0; i < latents.length; i++) {
            int ch = (i / plane) % c;
            out[i] = (latents[i] - mean[ch]) * 1f / std[ch];
        }
        return out;
    }
}
