package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import mmgp.api.ProgressListener;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Vectors;
import mmgp.tensor.Dequantizer;

/**
 * diffusers' {@code AutoencoderKLLTXVideo.decode(z, temb)} (0.33.1), the decoder
 * {@code LTXVideoDecoder3d}: conv_in, the mid block, the up blocks (config lists read reversed),
 * RMSNorm norm_out, SiLU, conv_out, then the unpatchify of patch_size × patch_size pixels per
 * latent position. Covers the LTX-Video 0.9.0 decoder and the timestep-conditioned ones of
 * 0.9.1/0.9.5: the decode timestep of each batch row, times the learned
 * {@code timestep_scale_multiplier}, is embedded by the mid block, every up block and the output
 * stage, whose resnets (and norm_out) it modulates through their scale_shift_tables; residual
 * depth-to-space upsamplers; and the 0.9.1 decoder's noise injection, drawn here from a seed.
 *
 * <p>Activations are ggml [W, H, F, C·B] (PyTorch (B, C, F, H, W) in memory). The result
 * is the raw sample in roughly [−1, 1], not clipped; {@link #toFrames} does the pipeline's
 * post-processing. {@link #denormalize} is the pipeline's {@code _denormalize_latents}, which
 * LTXPipeline applies before calling decode.
 *
 * <p>Memory: every conv unfolds at most {@code convChunkBytes} at a time (see
 * {@link CausalConv3d}), and the tiled decode ({@link VaeTiling}) decodes overlapping temporal
 * and spatial tiles exactly as diffusers' own tiled decode does, reusing one graph for tiles of
 * one size, so the compute buffer follows the tile size, not the video size. For the LTX-Video
 * 0.9.0 decoder at 49×320×512 the planned buffer is 1.06 GiB untiled and 0.56 GiB in 6×8-latent
 * tiles (7.7 GiB if each conv unfolded its whole input). {@link #plannedComputeBytes} gives
 * ggml's plan for any tile and {@link #tilingForBudget} sizes tiles to a memory budget.
 *
 * <p>Tiled vs whole: tiles see zero padding where the whole decode sees neighbours, so a tiled
 * video is an approximation of the whole one. On the ltx_video_095 fixture's vae_decode_tiled
 * case (random weights) diffusers' own tiled decode differs from its whole decode by up to 2.50
 * (cases.json max_abs_tiled_minus_untiled); the tiled decode here matches diffusers' tiled
 * decode within 1e-4.
 */
public final class LtxVaeDecoder {
    /** Default im2col budget of one conv chunk. */
    public static final long DEFAULT_CONV_CHUNK_BYTES = 256L << 20;

    /**
     * What {@link #build(Graph, Tensor, Tensor, int, Map)} adds: the video and the noise inputs
     * ([W, H] planes at their stage's resolution, in forward order) to fill before computing;
     * no noise unless the config sets decoder_inject_noise.
     */
    public record Output(Tensor video, List<Tensor> noise) {
        public Output {
            noise = List.copyOf(noise);
        }
    }

    private final LtxVaeConfig config;
    private final LatentStatistics latentStats;
    private final Tensor timestepScaleMultiplier, scaleShiftTable; // null unless timestep_conditioning
    private final TimeEmbedder timeEmbedder;
    private final CausalConv3d convIn, convOut;
    private final MidBlock3d midBlock;
    private final List<UpBlock3d> upBlocks = new ArrayList<>();
    private final int lastChannels, convCount, resnetCount;

    public LtxVaeDecoder(LtxVaeConfig config, WeightSet weights, String prefix) {
        this(config, weights, prefix, DEFAULT_CONV_CHUNK_BYTES);
    }

    /**
     * @param prefix         the component's weight prefix, e.g. "vae." for a pipeline folder mapped
     *                       with WeightSet.fromCheckpoint ("" for a lone AutoencoderKLLTXVideo)
     * @param convChunkBytes the most im2col memory one conv may unfold at once (at least one frame)
     */
    public LtxVaeDecoder(LtxVaeConfig config, WeightSet weights, String prefix, long convChunkBytes) {
        this.config = config;
        boolean conditioned = config.timestepConditioning();
        int c = config.latentChannels();
        this.latentStats = new LatentStatistics(weights, prefix, c);
        String d = prefix + "decoder.";
        float eps = (float) config.resnetNormEps();
        CausalConv3d.Options conv = new CausalConv3d.Options(config.decoderCausal(), convChunkBytes);
        List<Integer> channels = config.decoderBlockOutChannels();
        int output = LtxVaeConfig.reversed(channels, 0);
        int layers0 = LtxVaeConfig.reversed(config.decoderLayersPerBlock(), 0);
        this.convIn = new CausalConv3d(weights, d + "conv_in", c, output, 3, conv);
        this.midBlock = new MidBlock3d(weights, d + "mid_block", output, layers0, eps, conv, conditioned, config.injectsNoise(0));
        int convs = 1 + 2 * layers0, resnets = layers0;
        for (int i = 0; i < config.numUpBlocks(); i++) {
            // LTXVideoDecoder3d.__init__: both widths are divided by the block's upsample factor.
            int factor = LtxVaeConfig.reversed(config.upsampleFactor(), i);
            int input = output / factor;
            output = LtxVaeConfig.reversed(channels, i) / factor;
            int layers = LtxVaeConfig.reversed(config.decoderLayersPerBlock(), i + 1);
            boolean scale = LtxVaeConfig.reversed(config.decoderSpatioTemporalScaling(), i);
            upBlocks.add(new UpBlock3d(weights, d + "up_blocks." + i, input, output, layers, scale,
                    LtxVaeConfig.reversed(config.upsampleResidual(), i), factor, eps, conv, conditioned, config.injectsNoise(i + 1)));
            convs += (input != output ? 3 : 0) + (scale ? 1 : 0) + 2 * layers;
            resnets += (input != output ? 1 : 0) + layers;
        }
        this.lastChannels = output;
        this.convOut = new CausalConv3d(weights, d + "conv_out", output,
                config.outChannels() * config.patchSize() * config.patchSize(), 3, conv);
        this.convCount = convs + 1;
        this.resnetCount = resnets;
        if (conditioned) {
            this.timestepScaleMultiplier = weights.get(d + "timestep_scale_multiplier", 1);
            this.timeEmbedder = new TimeEmbedder(weights, d + "time_embedder", 2 * output);
            this.scaleShiftTable = weights.get(d + "scale_shift_table", output, 2);
        } else {
            this.timestepScaleMultiplier = null;
            this.timeEmbedder = null;
            this.scaleShiftTable = null;
        }
    }

    public LtxVaeConfig config() {
        return config;
    }

    /** Whether decoding needs one decode timestep per batch row (timestep_conditioning). */
    public boolean timestepConditioned() {
        return timeEmbedder != null;
    }

    /** The learned decoder.timestep_scale_multiplier the decode timestep is multiplied by (≈1000); NaN when not conditioned. */
    public float timestepScaleMultiplier() {
        return timestepScaleMultiplier == null ? Float.NaN : Dequantizer.dequantize(timestepScaleMultiplier.type(), timestepScaleMultiplier.data(), 1)[0];
    }

    /**
     * Adds the decoder to {@code g}: {@code latents} F32 [W', H', F', C·B] (PyTorch
     * (B, C, F', H', W')) → {@link Output#video()} [W, H, F, out_channels·B] (PyTorch
     * (B, 3, F, H, W)), W = W'·{@link LtxVaeConfig#decoderSpatialUpscale()},
     * F = {@link LtxVaeConfig#decodedFrames}; nothing is marked as an output. {@code decodeTimestep}
     * is F32 [B], the pipeline's decode_timestep per batch row (not yet multiplied by
     * timestep_scale_multiplier), required exactly when the config is timestep-conditioned, else
     * null. The caller fills {@link Output#noise()} when the config injects noise. When {@code g}
     * is tracing, also traces ({@link Graph#trace}) "decoder.conv_in", "decoder.mid_block",
     * "decoder.up_blocks.i" (and their ".upsamplers.0", ".resnets.j"), "decoder.norm_out"
     * (channels last, before the modulation), "decoder.conv_out" (before the unpatchify) and every
     * "….time_embedder".
     */
    public Output build(Graph g, Tensor latents, Tensor decodeTimestep, int batch) {
        if (batch <= 0 || latents.ne(3) != (long) config.latentChannels() * batch) {
            throw new IllegalArgumentException("latents must be [W', H', F', " + config.latentChannels() + "·" + batch + "], got " + latents);
        }
        Tensor t = null;
        if (timestepConditioned()) {
            if (decodeTimestep == null || decodeTimestep.elements() != batch) {
                throw new IllegalArgumentException("this VAE decoder is timestep-conditioned (timestep_conditioning=true): it needs one decode timestep per batch row ("
                        + batch + "), got " + (decodeTimestep == null ? "none" : decodeTimestep.toString()));
            }
            // LTXVideoDecoder3d.forward: temb * timestep_scale_multiplier, once, for every stage.
            t = g.mul(g.reshape(decodeTimestep, batch), Vectors.f32(g, timestepScaleMultiplier));
        } else if (decodeTimestep != null) {
            throw new IllegalArgumentException("this VAE decoder is not timestep-conditioned (timestep_conditioning=false): it takes no decode timestep");
        }
        List<Tensor> noise = new ArrayList<>();
        Tensor x = g.trace("decoder.conv_in", convIn.forward(g, latents));
        x = g.trace("decoder.mid_block", midBlock.forward(g, x, t, noise, "decoder.mid_block"));
        for (int i = 0; i < upBlocks.size(); i++) {
            String name = "decoder.up_blocks." + i;
            x = g.trace(name, upBlocks.get(i).forward(g, x, t, noise, name));
        }
        // norm_out (no affine), the output stage's modulation, conv_act. The trace is norm_out alone,
        // channels last: computed on the side, since the fused route never holds it.
        if (g.tracing()) g.trace("decoder.norm_out", g.rmsNorm(Layers3d.toChannelsFirst(g, x, lastChannels), ResnetBlock3d.RMS_EPS));
        Tensor[] mod = new Tensor[2]; // shift, scale
        if (t != null) mod = Layers3d.modulation(g, g.trace("decoder.time_embedder", timeEmbedder.forward(g, t)), scaleShiftTable, lastChannels, 2);
        x = Layers3d.rmsNormModulateSilu(g, x, lastChannels, ResnetBlock3d.RMS_EPS, mod[0], mod[1]);
        x = g.trace("decoder.conv_out", convOut.forward(g, x));
        int p = config.patchSize();
        return new Output(Layers3d.depthToSpace(g, x, config.patchSizeT(), p, p, true), noise);
    }

    /** A graph with room for the decoder's nodes: every conv may split into one chunk per output frame. */
    public Graph newGraph(ComputeBackend backend, int latentFrames) {
        long perConv = 40 + 20L * config.decodedFrames(latentFrames);
        return new Graph(backend, (int) Math.min(Integer.MAX_VALUE, 4096 + convCount * perConv + 64L * resnetCount));
    }

    /**
     * Decodes latents (B, C, F', H', W') in PyTorch order into the raw video (B, out_channels, F, H, W)
     * in PyTorch order; one graph, built and freed here. Only for decoders that are not
     * timestep-conditioned (the LTX-Video 0.9.0 VAE); see {@link #decode(ComputeBackend, float[], float[], long, int, int, int, int)}.
     */
    public float[] decode(ComputeBackend backend, float[] latents, int batch, int frames, int h, int w) {
        return decode(backend, latents, null, 0, batch, frames, h, w);
    }

    /**
     * Decodes latents (B, C, F', H', W') in PyTorch order into the raw video (B, out_channels, F, H, W)
     * in PyTorch order; one graph, built and freed here.
     *
     * @param decodeTimestep one decode_timestep per batch row for a timestep-conditioned decoder
     *                       (LTX-Video 0.9.1/0.9.5), null for the others
     * @param noiseSeed      seeds the standard normal planes of decoder_inject_noise (0.9.1); unused otherwise
     */
    public float[] decode(ComputeBackend backend, float[] latents, float[] decodeTimestep, long noiseSeed, int batch, int frames, int h, int w) {
        return decode(backend, latents, decodeTimestep, noiseSeed, batch, frames, h, w, VaeTiling.OFF, ProgressListener.NONE);
    }

    /**
     * {@link #decode(ComputeBackend, float[], float[], long, int, int, int, int)} in the tiles of
     * {@code tiling}, as diffusers 0.33.1's {@code AutoencoderKLLTXVideo} decodes with
     * {@code enable_tiling(...)} and {@code use_framewise_decoding} set the same way: temporal
     * tiles, each spatially tiled, blended and cropped ({@link VaeTilePlan}, {@link TiledVaeDecode}).
     * {@link VaeTiling#OFF}, or settings under which diffusers would not tile these sizes, give
     * exactly the plain decode. The decode timesteps apply to every tile alike; injected noise
     * (0.9.1) is drawn for the whole frame and cropped per tile, so tiles agree on it. The compute
     * memory follows the tile size, not the video size. Reports each tile as a "decode" step
     * ("decode tile k of n" when cancelled) to {@code listener} and stops when it cancels.
     *
     * <p>Tiling is an approximation: a tile sees zero padding where the whole decode sees
     * neighbours. On the ltx_video_095 fixture (random weights, z 1×16×5×3×4, 64-pixel tiles
     * every 32, 16-frame tiles every 8) diffusers' tiled video differs from its whole decode by
     * up to 2.50 (max_abs_tiled_minus_untiled); this decode reproduces the tiled one within 1e-4.
     */
    public float[] decode(ComputeBackend backend, float[] latents, float[] decodeTimestep, long noiseSeed, int batch, int frames, int h, int w,
                          VaeTiling tiling, ProgressListener listener) {
        checkLatents(latents, batch, frames, h, w);
        checkTimesteps(decodeTimestep, batch);
        try (TiledVaeDecode run = new TiledVaeDecode(this, backend, latents, decodeTimestep, noiseSeed, batch, frames, h, w, tiling)) {
            return run.run(listener);
        }
    }

    /**
     * {@link #decodeTiled(ComputeBackend, float[], float[], long, int, int, int, int, int, int, int, ProgressListener)}
     * for decoders that are not timestep-conditioned (the LTX-Video 0.9.0 VAE).
     */
    public float[] decodeTiled(ComputeBackend backend, float[] latents, int batch, int frames, int h, int w,
            int tileLatentH, int tileLatentW, int overlap, ProgressListener listener) {
        return decodeTiled(backend, latents, null, 0, batch, frames, h, w, tileLatentH, tileLatentW, overlap, listener);
    }

    /**
     * Spatial tiles of {@code tileLatentH × tileLatentW} latents overlapping by {@code overlap}
     * latents, all frames at once: {@link #decode(ComputeBackend, float[], float[], long, int, int, int, int, VaeTiling, ProgressListener)}
     * with {@link #spatialTiling}. Kept for callers that size tiles in latents.
     */
    public float[] decodeTiled(ComputeBackend backend, float[] latents, float[] decodeTimestep, long noiseSeed, int batch, int frames, int h, int w,
            int tileLatentH, int tileLatentW, int overlap, ProgressListener listener) {
        return decode(backend, latents, decodeTimestep, noiseSeed, batch, frames, h, w, spatialTiling(h, w, tileLatentH, tileLatentW, overlap), listener);
    }

    /**
     * diffusers' spatial tiling for tiles of {@code tileLatentH × tileLatentW} latents stepping by
     * the tile minus {@code overlap} latents, for an h × w latent grid; an axis the tile covers
     * is not split (so a tile covering the grid is the plain decode).
     */
    public VaeTiling spatialTiling(int h, int w, int tileLatentH, int tileLatentW, int overlap) {
        return VaeTiling.spatialLatents(config, h, w, tileLatentH, tileLatentW, overlap);
    }

    /**
     * The compute buffer ggml plans for decoding one tile of {@code latentFrames × latentH ×
     * latentW} latents with a batch of {@code batch} (inputs, activations, conv unfold chunks;
     * not the weights): the graph is built and planned, nothing is allocated or computed.
     */
    public long plannedComputeBytes(ComputeBackend backend, int batch, int latentFrames, int latentH, int latentW) {
        if (batch < 1 || latentFrames < 1 || latentH < 1 || latentW < 1) {
            throw new IllegalArgumentException("batch and latent sizes must be positive, got " + batch + ", " + latentFrames + "×" + latentH + "×" + latentW);
        }
        try (Graph g = newGraph(backend, latentFrames)) {
            Tensor in = g.inputF32("latents", latentW, latentH, latentFrames, (long) config.latentChannels() * batch);
            Tensor timestep = timestepConditioned() ? g.inputF32("decode_timestep", batch) : null;
            g.output(build(g, in, timestep, batch).video());
            return g.plannedBufferBytes();
        }
    }

    /**
     * The tiling whose largest tile's compute buffer ({@link #plannedComputeBytes}) fits
     * {@code budgetBytes} — the whole decode when it fits — for decoding latents of
     * {@code latentFrames × latentH × latentW} with a batch of {@code batch}; see
     * {@link VaeTiling#forBudget}. {@link VaeTiling#DEFAULT_BUDGET_BYTES} when the user gives none.
     */
    public VaeTiling tilingForBudget(ComputeBackend backend, long budgetBytes, int batch, int latentFrames, int latentH, int latentW) {
        return VaeTiling.forBudget(budgetBytes, config, latentFrames, latentH, latentW, (f, h, w) -> plannedComputeBytes(backend, batch, f, h, w));
    }

    /**
     * The decode an application makes: whole when its compute buffer fits {@code budgetBytes},
     * else in the tiles {@link #tilingForBudget} picks for it; {@code budgetBytes} ≤ 0 means
     * {@link VaeTiling#DEFAULT_BUDGET_BYTES}. Same arguments and result as
     * {@link #decode(ComputeBackend, float[], float[], long, int, int, int, int, VaeTiling, ProgressListener)}.
     */
    public float[] decodeWithinBudget(ComputeBackend backend, float[] latents, float[] decodeTimestep, long noiseSeed, int batch, int frames, int h, int w,
                                      long budgetBytes, ProgressListener listener) {
        checkLatents(latents, batch, frames, h, w);
        long budget = budgetBytes > 0 ? budgetBytes : VaeTiling.DEFAULT_BUDGET_BYTES;
        VaeTiling tiling = tilingForBudget(backend, budget, batch, frames, h, w);
        return decode(backend, latents, decodeTimestep, noiseSeed, batch, frames, h, w, tiling, listener);
    }

    private void checkTimesteps(float[] decodeTimestep, int batch) {
        if (timestepConditioned() && decodeTimestep == null) {
            throw new IllegalArgumentException("this VAE decoder is timestep-conditioned (timestep_conditioning=true): decode needs one decode timestep per batch row");
        }
        if (decodeTimestep != null && decodeTimestep.length != batch) {
            throw new IllegalArgumentException(decodeTimestep.length + " decode timesteps for a batch of " + batch + "; give one per batch row");
        }
    }

    /**
     * LTXPipeline's {@code _denormalize_latents}: {@code latents · latents_std / scaling_factor + latents_mean}
     * per channel, with the VAE's registered buffers, over (B, C, F', H', W') in PyTorch order;
     * float32 arithmetic in torch's order.
     */
    public float[] denormalize(float[] latents, int batch, int frames, int h, int w) {
        checkLatents(latents, batch, frames, h, w);
        int c = config.latentChannels();
        float[] mean = latentStats.mean();
        float[] std = latentStats.std();
        float scaling = (float) config.scalingFactor();
        int plane = frames * h * w;
        float[] out = new float[latents.length];
        for (int i = 0; i < latents.length; i++) {
            int ch = (i / plane) % c;
            out[i] = latents[i] * std[ch] / scaling + mean[ch];
        }
        return out;
    }

    /**
     * The pipeline's post-processing for output_type "np" (VideoProcessor.postprocess_video):
     * {@code (x / 2 + 0.5).clamp(0, 1)} and (B, C, F, H, W) → (B, F, H, W, C).
     */
    public static float[] toFrames(float[] video, int batch, int channels, int frames, int height, int width) {
        long n = (long) batch * channels * frames * height * width;
        if (video.length != n) throw new IllegalArgumentException("video holds " + video.length + " values, (B, C, F, H, W) needs " + n);
        float[] out = new float[video.length];
        int plane = height * width;
        for (int b = 0; b < batch; b++)
            for (int ch = 0; ch < channels; ch++)
                for (int f = 0; f < frames; f++)
                    for (int p = 0; p < plane; p++) {
                        float v = video[((b * channels + ch) * frames + f) * plane + p] / 2f + 0.5f;
                        out[((b * frames + f) * plane + p) * channels + ch] = Math.min(1f, Math.max(0f, v));
                    }
        return out;
    }

    private void checkLatents(float[] latents, int batch, int frames, int h, int w) {
        if (batch <= 0 || frames <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("batch, frames, h and w must be positive, got " + batch + ", " + frames + ", " + h + ", " + w);
        }
        long n = (long) batch * config.latentChannels() * frames * h * w;
        if (latents.length != n) {
            throw new IllegalArgumentException(latents.length + " latent values for (" + batch + ", " + config.latentChannels() + ", "
                    + frames + ", " + h + ", " + w + ")");
        }
    }
}
