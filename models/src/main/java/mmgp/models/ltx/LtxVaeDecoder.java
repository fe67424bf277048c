package mmgp.models.ltx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mmgp.api.ProgressListener;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.Dequantizer;

/**
 * diffusers' {@code AutoencoderKLLTXVideo.decode(z)} (0.33.1) without timestep conditioning
 * or noise injection, i.e. the LTX-Video 0.9.0 decoder ({@code LTXVideoDecoder3d}): conv_in, the mid block,
 * the up blocks (config lists read reversed), RMSNorm norm_out, SiLU, conv_out, then the
 * unpatchify of patch_size × patch_size pixels per latent position.
 *
 * <p>Activations are ggml [W, H, F, C·B] (PyTorch (B, C, F, H, W) in memory). The result
 * is the raw sample in roughly [−1, 1], not clipped; {@link #toFrames} does the pipeline's
 * post-processing. {@link #denormalize} is the pipeline's {@code _denormalize_latents}, which
 * LTXPipeline applies before calling decode.
 *
 * <p>Memory: every conv unfolds at most {@code convChunkBytes} at a time (see
 * {@link CausalConv3d}), and {@link #decodeTiled} decodes overlapping spatial tiles with one
 * graph, so the compute buffer follows the tile size, not the video size. For the LTX-Video
 * 0.9.0 decoder at 49×320×512 the planned buffer is 1.06 GiB untiled and 0.56 GiB in 6×8-latent
 * tiles (7.7 GiB if each conv unfolded its whole input).
 */
public final class LtxVaeDecoder {
    /** Default im2col budget of one conv chunk. */
    public static final long DEFAULT_CONV_CHUNK_BYTES = 256L << 20;

    private final LtxVaeConfig config;
    private final Tensor latentsMean, latentsStd;
    private final CausalConv3d convIn, convOut;
    private final MidBlock3d midBlock;
    private final List<UpBlock3d> upBlocks = new ArrayList<>();
    private final int lastChannels, convCount;

    public LtxVaeDecoder(LtxVaeConfig config, WeightSet weights, String prefix) {
        this(config, weights, prefix, DEFAULT_CONV_CHUNK_BYTES);
    }

    /**
     * @param prefix         the component's weight prefix, e.g. "vae." for a pipeline folder mapped
     *                       with WeightSet.fromCheckpoint ("" for a lone AutoencoderKLLTXVideo)
     * @param convChunkBytes the most im2col memory one conv may unfold at once (at least one frame)
     */
    public LtxVaeDecoder(LtxVaeConfig config, WeightSet weights, String prefix, long convChunkBytes) {
        if (config.timestepConditioning()) {
            throw new IllegalArgumentException("AutoencoderKLLTXVideo with timestep_conditioning=true (the LTX-Video 0.9.5 decoder: "
                    + "time embedders, scale_shift_tables) is not supported by this decoder");
        }
        for (int i = 0; i <= config.numUpBlocks(); i++) {
            if (config.injectsNoise(i)) {
                // diffusers draws this noise from torch's global generator inside every resnet (LTX-Video 0.9.1).
                throw new IllegalArgumentException("AutoencoderKLLTXVideo with decoder_inject_noise " + config.decoderInjectNoise()
                        + " (noise added inside the decoder's resnets) is not supported by this decoder");
            }
        }
        this.config = config;
        int c = config.latentChannels();
        this.latentsMean = weights.get(prefix + "latents_mean", c);
        this.latentsStd = weights.get(prefix + "latents_std", c);
        String d = prefix + "decoder.";
        float eps = (float) config.resnetNormEps();
        CausalConv3d.Options conv = new CausalConv3d.Options(config.decoderCausal(), convChunkBytes);
        List<Integer> channels = config.decoderBlockOutChannels();
        int output = LtxVaeConfig.reversed(channels, 0);
        int layers0 = LtxVaeConfig.reversed(config.decoderLayersPerBlock(), 0);
        this.convIn = new CausalConv3d(weights, d + "conv_in", c, output, 3, conv);
        this.midBlock = new MidBlock3d(weights, d + "mid_block", output, layers0, eps, conv);
        int convs = 1 + 2 * layers0;
        for (int i = 0; i < config.numUpBlocks(); i++) {
            // LTXVideoDecoder3d.__init__: both widths are divided by the block's upsample factor.
            int factor = LtxVaeConfig.reversed(config.upsampleFactor(), i);
            int input = output / factor;
            output = LtxVaeConfig.reversed(channels, i) / factor;
            int layers = LtxVaeConfig.reversed(config.decoderLayersPerBlock(), i + 1);
            boolean scale = LtxVaeConfig.reversed(config.decoderSpatioTemporalScaling(), i);
            upBlocks.add(new UpBlock3d(weights, d + "up_blocks." + i, input, output, layers, scale,
                    LtxVaeConfig.reversed(config.upsampleResidual(), i), factor, eps, conv));
            convs += (input != output ? 3 : 0) + (scale ? 1 : 0) + 2 * layers;
        }
        this.lastChannels = output;
        this.convOut = new CausalConv3d(weights, d + "conv_out", output,
                config.outChannels() * config.patchSize() * config.patchSize(), 3, conv);
        this.convCount = convs + 1;
    }

    public LtxVaeConfig config() {
        return config;
    }

    /**
     * Adds the decoder to {@code g}: {@code latents} F32 [W', H', F', C·B] (PyTorch (B, C, F', H', W'))
     * → video [W, H, F, out_channels·B] (PyTorch (B, 3, F, H, W)), W = W'·{@link LtxVaeConfig#decoderSpatialUpscale()},
     * F = {@link LtxVaeConfig#decodedFrames}. Nothing is marked as an output.
     */
    public Tensor build(Graph g, Tensor latents, int batch) {
        return build(g, latents, batch, null);
    }

    /**
     * As {@link #build(Graph, Tensor, int)}, and when {@code trace} is not null, also puts the
     * submodule outputs the golden traces name ("decoder.conv_in", "decoder.mid_block",
     * "decoder.up_blocks.i", "decoder.conv_out" — before the unpatchify) into it, marked as
     * outputs.
     */
    public Tensor build(Graph g, Tensor latents, int batch, Map<String, Tensor> trace) {
        if (batch <= 0 || latents.ne(3) != (long) config.latentChannels() * batch) {
            throw new IllegalArgumentException("latents must be [W', H', F', " + config.latentChannels() + "·" + batch + "], got " + latents);
        }
        Tensor x = traced(g, trace, "decoder.conv_in", convIn.forward(g, latents));
        x = traced(g, trace, "decoder.mid_block", midBlock.forward(g, x));
        for (int i = 0; i < upBlocks.size(); i++) x = traced(g, trace, "decoder.up_blocks." + i, upBlocks.get(i).forward(g, x));
        x = Layers3d.rmsNormSilu(g, x, lastChannels, ResnetBlock3d.RMS_EPS); // norm_out (no affine), conv_act
        x = traced(g, trace, "decoder.conv_out", convOut.forward(g, x));
        int p = config.patchSize();
        return Layers3d.depthToSpace(g, x, config.patchSizeT(), p, p, true);
    }

    private static Tensor traced(Graph g, Map<String, Tensor> trace, String name, Tensor t) {
        if (trace != null) trace.put(name, g.output(g.name(t, "trace." + name)));
        return t;
    }

    /** A graph with room for the decoder's nodes: every conv may split into one chunk per output frame. */
    public Graph newGraph(ComputeBackend backend, int latentFrames) {
        long perConv = 40 + 20L * config.decodedFrames(latentFrames);
        return new Graph(backend, (int) Math.min(Integer.MAX_VALUE, 4096 + convCount * perConv));
    }

    /**
     * Decodes latents (B, C, F', H', W') in PyTorch order into the raw video (B, out_channels, F, H, W)
     * in PyTorch order; one graph, built and freed here.
     */
    public float[] decode(ComputeBackend backend, float[] latents, int batch, int frames, int h, int w) {
        checkLatents(latents, batch, frames, h, w);
        try (Graph g = newGraph(backend, frames)) {
            Tensor in = g.inputF32("latents", w, h, frames, (long) config.latentChannels() * batch);
            Tensor video = g.output(build(g, in, batch));
            g.set(in, latents);
            g.compute();
            return g.floats(video);
        }
    }

    /**
     * {@link #decode} over overlapping spatial tiles of at most {@code tileLatentH × tileLatentW}
     * latents (all frames at once: the decoder is not causal), neighbours sharing {@code overlap}
     * latents; the shared pixels are blended linearly ({@link SpatialTiling}). Every tile has the
     * same size, so one graph and one compute buffer serve them all. A tile covering the whole
     * grid gives exactly {@link #decode}. Reports each tile as a "decode" step to {@code listener}
     * and stops when it cancels.
     */
    public float[] decodeTiled(ComputeBackend backend, float[] latents, int batch, int frames, int h, int w,
            int tileLatentH, int tileLatentW, int overlap, ProgressListener listener) {
        checkLatents(latents, batch, frames, h, w);
        if (tileLatentH <= 0 || tileLatentW <= 0) throw new IllegalArgumentException("tile sizes must be positive, got " + tileLatentH + "×" + tileLatentW);
        int th = Math.min(tileLatentH, h), tw = Math.min(tileLatentW, w);
        int[] ys = SpatialTiling.starts(h, th, overlap), xs = SpatialTiling.starts(w, tw, overlap);
        int s = config.decoderSpatialUpscale();
        int outC = config.outChannels(), outF = config.decodedFrames(frames);
        int outH = h * s, outW = w * s, tileH = th * s, tileW = tw * s;
        int c = config.latentChannels();
        float[] video = new float[Math.toIntExact((long) batch * outC * outF * outH * outW)];
        float[] weightSum = new float[outH * outW];
        float[] tileIn = new float[batch * c * frames * th * tw];
        int total = ys.length * xs.length, done = 0;
        try (Graph g = newGraph(backend, frames)) {
            Tensor in = g.inputF32("latents", tw, th, frames, (long) c * batch);
            Tensor out = g.output(build(g, in, batch));
            for (int iy = 0; iy < ys.length; iy++) {
                float[] wy = SpatialTiling.weights(ys, iy, th, s);
                for (int ix = 0; ix < xs.length; ix++) {
                    listener.checkCancelled("decode tile " + (done + 1) + " of " + total);
                    long t0 = System.nanoTime();
                    float[] wx = SpatialTiling.weights(xs, ix, tw, s);
                    // (B·C·F') planes of h × w latents → planes of th × tw
                    for (int plane = 0; plane < batch * c * frames; plane++) {
                        for (int y = 0; y < th; y++) {
                            System.arraycopy(latents, (plane * h + ys[iy] + y) * w + xs[ix], tileIn, (plane * th + y) * tw, tw);
                        }
                    }
                    g.set(in, tileIn);
                    g.compute();
                    float[] tile = g.floats(out); // (B·3·F) planes of tileH × tileW
                    int y0 = ys[iy] * s, x0 = xs[ix] * s;
                    for (int plane = 0; plane < batch * outC * outF; plane++) {
                        for (int y = 0; y < tileH; y++) {
                            int src = (plane * tileH + y) * tileW;
                            int dst = (plane * outH + y0 + y) * outW + x0;
                            for (int x = 0; x < tileW; x++) video[dst + x] += wy[y] * wx[x] * tile[src + x];
                        }
                    }
                    for (int y = 0; y < tileH; y++) {
                        for (int x = 0; x < tileW; x++) weightSum[(y0 + y) * outW + x0 + x] += wy[y] * wx[x];
                    }
                    done++;
                    listener.step("decode", done, total, (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        int plane = outH * outW;
        for (int i = 0; i < video.length; i++) video[i] /= weightSum[i % plane];
        return video;
    }

    /**
     * LTXPipeline's {@code _denormalize_latents}: {@code latents · latents_std / scaling_factor + latents_mean}
     * per channel, with the VAE's registered buffers, over (B, C, F', H', W') in PyTorch order;
     * float32 arithmetic in torch's order.
     */
    public float[] denormalize(float[] latents, int batch, int frames, int h, int w) {
        checkLatents(latents, batch, frames, h, w);
        int c = config.latentChannels();
        float[] mean = Dequantizer.dequantize(latentsMean.type(), latentsMean.data(), c);
        float[] std = Dequantizer.dequantize(latentsStd.type(), latentsStd.data(), c);
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
