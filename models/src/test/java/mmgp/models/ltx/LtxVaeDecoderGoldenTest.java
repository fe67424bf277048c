package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static mmgp.models.ltx.LtxVaeTestSupport.assertClose;
import static mmgp.testing.TestArrays.maxAbsDiff;
import static mmgp.testing.TestArrays.normal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import mmgp.api.ProgressListener;
import mmgp.convert.HfCheckpoint;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsFile;
import mmgp.tensor.GgmlType;
import mmgp.testing.CpuBackendFixture;
import org.junit.jupiter.api.Test;

/**
 * diffusers 0.33.1 AutoencoderKLLTXVideo.decode on the tiny LTX-Video 0.9.0 fixture (golden case
 * "vae_decode"): the video and every traced submodule output within 1e-4 + 1e-4·|expected|;
 * the pipeline's de-normalisation, decode and post-processing against the end-to-end videos
 * (batch 1 and 2); chunked convolutions and tiled decoding against the plain decode; the
 * residual upsampler of later configs against its PyTorch definition; and the config checks.
 */
class LtxVaeDecoderGoldenTest extends CpuBackendFixture {
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video");
    private static final String[] TRACES = {"decoder.conv_in", "decoder.mid_block", "decoder.up_blocks.0", "decoder.up_blocks.1",
            "decoder.up_blocks.2", "decoder.up_blocks.3", "decoder.conv_out"};

    @Test
    void decodeMatchesTheGoldenVideoAndEveryTrace() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/vae_decode.safetensors"))) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            float[] z = golden.readFloats("z"); // (1, 16, 3, 2, 3)
            try (Graph g = decoder.newGraph(backend, 3)) {
                Tensor in = g.inputF32("z", 3, 2, 3, 16);
                Map<String, Tensor> trace = new LinkedHashMap<>();
                g.traceTo(trace);
                Tensor video = g.output(decoder.build(g, in, null, 1).video());
                assertThat(video.shape()).containsExactly(96, 64, 17, 3);
                assertThat(trace.keySet()).contains(TRACES);
                g.set(in, z);
                g.compute();
                for (String name : TRACES) assertClose("trace." + name, g.floats(trace.get(name)), golden.readFloats("trace." + name));
                // The 0.9.0 decoder has no time embedders: nothing but its modules is traced.
                assertThat(trace.keySet()).noneMatch(k -> k.contains("time_embedder"));
                assertClose("sample", g.floats(video), golden.readFloats("sample"));
            }
            // The convenience path, without traces: the allocator may reuse every intermediate.
            assertClose("decode()", decoder.decode(backend, z, 1, 3, 2, 3), golden.readFloats("sample"));
        }
    }

    @Test
    void denormalizedEndToEndLatentsDecodeToThePipelineVideos() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            // e2e_cfg: batch 1, latents (3, 2, 3) → 17 × 64 × 96; e2e_nocfg: batch 2, (2, 2, 2) → 9 × 64 × 64.
            for (String file : new String[] {"e2e_cfg", "e2e_nocfg"}) {
                try (SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/" + file + ".safetensors"))) {
                    long[] shape = golden.tensor("initial_latents_5d").shape();
                    int b = (int) shape[0], c = (int) shape[1], f = (int) shape[2], h = (int) shape[3], w = (int) shape[4];
                    float[] latents = unpack(golden.readFloats("final_latents_packed"), b, c, f * h * w);
                    float[] raw = decoder.decode(backend, decoder.denormalize(latents, b, f, h, w), b, f, h, w);
                    int frames = decoder.config().decodedFrames(f), s = decoder.config().decoderSpatialUpscale();
                    float[] video = LtxVaeDecoder.toFrames(raw, b, 3, frames, h * s, w * s);
                    assertClose(file + " video", video, golden.readFloats("video"));
                }
            }
        }
    }

    @Test
    void denormalizeIsThePipelinesPerChannelAffineMap() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            float[] mean = ckpt.component("vae").weights().readFloats("latents_mean");
            float[] std = ckpt.component("vae").weights().readFloats("latents_std");
            float[] x = new float[2 * 16 * 2]; // (B=2, C=16, F=2, 1, 1)
            for (int i = 0; i < x.length; i++) x[i] = i * 0.25f - 3f;
            float[] y = decoder.denormalize(x, 2, 2, 1, 1);
            for (int i = 0; i < x.length; i++) {
                int ch = (i / 2) % 16;
                assertThat(y[i]).isEqualTo(x[i] * std[ch] / 1f + mean[ch]);
            }
            assertThatThrownBy(() -> decoder.denormalize(new float[5], 1, 1, 1, 1)).hasMessageContaining("5 latent values");
        }
    }

    @Test
    void convolutionsSplitIntoFrameChunksGiveTheSameVideo() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/vae_decode.safetensors"))) {
            LtxVaeConfig config = LtxVaeConfig.fromJson(ckpt.component("vae").config());
            float[] z = golden.readFloats("z");
            float[] whole = new LtxVaeDecoder(config, weights, "vae.").decode(backend, z, 1, 3, 2, 3);
            // A 1-byte budget: every conv computes one output frame at a time, edge frames replicated per chunk.
            float[] chunked = new LtxVaeDecoder(config, weights, "vae.", 1).decode(backend, z, 1, 3, 2, 3);
            double err = maxAbsDiff(chunked, whole);
            System.out.printf("%-28s max abs diff %.3e%n", "frame-chunked vs whole", err);
            // Same dot products over the same im2col rows, only fewer columns per matmul.
            assertThat(err).isLessThanOrEqualTo(1e-6);
            assertClose("chunked sample", chunked, golden.readFloats("sample"));
        }
    }

    /**
     * The tiling mechanics, exactly: with every conv's off-centre spatial taps zeroed (the
     * fixture weights otherwise; time taps kept, since time is not tiled) the decoder is local
     * in H and W, so each tile decodes its pixels exactly as the whole decode does, and the
     * blend a·(1 − x/e) + b·x/e of equal values can only round: tiled == untiled within 1e-5.
     * 2×8×12 latents, 4×6 tiles stepping by 2×4 latents (diffusers' range(0, n, stride): 4 rows,
     * the last a 2-latent sliver, × 3 columns).
     */
    @Test
    void tiledDecodeIsTheWholeDecodeWhenTheDecoderIsSpatiallyLocal() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             Arena arena = Arena.ofConfined();
             WeightSet local = LtxVaeTestSupport.spatiallyLocalWeights(backend, arena, ckpt.component("vae"))) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), local, "vae.");
            int b = 1, f = 2, h = 8, w = 12;
            float[] latents = normal(new SplittableRandom(11), b * 16 * f * h * w);
            float[] whole = decoder.decode(backend, latents, b, f, h, w);
            List<String> steps = new ArrayList<>();
            ProgressListener listener = new ProgressListener() {
                @Override
                public void step(String stage, int done, int total, double seconds) {
                    steps.add(stage + " " + done + "/" + total);
                }
            };
            float[] tiled = decoder.decodeTiled(backend, latents, b, f, h, w, 4, 6, 2, listener);
            assertThat(steps).hasSize(12).endsWith("decode 12/12");
            double err = maxAbsDiff(tiled, whole);
            System.out.printf("%-28s max abs diff %.3e%n", "tiled vs whole, local convs", err);
            assertThat(err).isLessThanOrEqualTo(1e-5);
            // A tile covering the grid is the plain decode, bit for bit.
            assertThat(maxAbsDiff(decoder.decodeTiled(backend, latents, b, f, h, w, 8, 12, 2, ProgressListener.NONE), whole)).isZero();
        }
    }

    /**
     * Tiled against untiled decode with the fixture's real 3×3 spatial taps: same grid and
     * tiles. This is an approximation, not rounding: a tile sees zero padding where the whole
     * decode sees neighbours, and the receptive field (8 stacked 3×3 convs at latent
     * resolution alone: conv_in, 2 mid resnets, up block 0, the first upsampler) is far wider
     * than the 2-latent overlap. Measured on these random weights with diffusers' blend (4×6
     * tiles every 2×4 latents): mean |diff| 0.155, max 1.18 on a video spanning [−1.38, 1.53],
     * so the bounds below are regression bounds just above the measurement (the run is
     * deterministic to ~1e-6). What is exact — tile placement, cropping and the blend — is
     * checked to 1e-5 by the spatially local test above and against diffusers' own tiled decode
     * in {@link LtxVaeTiledDecodeTest}.
     */
    @Test
    void tiledDecodeApproximatesTheWholeDecode() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            int b = 1, f = 3, h = 8, w = 12;
            float[] latents = normal(new SplittableRandom(11), b * 16 * f * h * w);
            float[] whole = decoder.decode(backend, latents, b, f, h, w);
            float[] tiled = decoder.decodeTiled(backend, latents, b, f, h, w, 4, 6, 2, ProgressListener.NONE);
            double maxErr = 0, sumErr = 0, min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
            for (int i = 0; i < whole.length; i++) {
                double e = Math.abs(tiled[i] - whole[i]);
                maxErr = Math.max(maxErr, e);
                sumErr += e;
                min = Math.min(min, whole[i]);
                max = Math.max(max, whole[i]);
            }
            double meanErr = sumErr / whole.length;
            System.out.printf("tiled vs whole, real convs: max abs %.3e, mean abs %.3e, video range [%.3f, %.3f]%n", maxErr, meanErr, min, max);
            assertThat(meanErr).isLessThanOrEqualTo(0.16);
            assertThat(maxErr).isLessThanOrEqualTo(1.25);
        }
    }

    @Test
    void tiledDecodingStopsWhenCancelled() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            int[] tiles = {0};
            ProgressListener cancelAfterOne = new ProgressListener() {
                @Override
                public void step(String stage, int done, int total, double seconds) {
                    tiles[0] = done;
                }

                @Override
                public boolean cancelled() {
                    return tiles[0] >= 1;
                }
            };
            float[] latents = normal(new SplittableRandom(3), 16 * 2 * 2 * 4);
            assertThatThrownBy(() -> decoder.decodeTiled(backend, latents, 1, 2, 2, 4, 2, 2, 1, cancelAfterOne))
                    .isInstanceOf(CancellationException.class).hasMessageContaining("tile 2 of 4");
        }
    }

    // ---------------------------------------------------------------- later configurations

    @Test
    void theResidualUpsamplerAddsTheInputDepthToSpacedAndRepeated() {
        // Zero conv weights and bias: the output is the residual alone, checked against the
        // PyTorch definition (reshape (B, C/8, 2, 2, 2, F, H, W), permute (0,1,5,2,6,3,7,4),
        // repeat 8/upscale_factor times along the channels, drop the first frame).
        int c = 16, factor = 2, b = 2, f = 2, h = 2, w = 3;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("up.conv.conv.weight", new long[] {3, 3, 3, (long) c * c * 8 / factor});
        shapes.put("up.conv.conv.bias", new long[] {c * 8 / factor});
        float[] x = normal(new SplittableRandom(5), b * c * f * h * w);
        try (Arena arena = Arena.ofConfined(); WeightSet zeros = LtxVaeTestSupport.zeroWeights(backend, arena, shapes)) {
            Upsampler3d up = new Upsampler3d(zeros, "up", c, true, factor, new CausalConv3d.Options(false, 1L << 30));
            assertThat(up.outChannels()).isEqualTo(c / factor);
            float[] y;
            try (Graph g = new Graph(backend)) {
                Tensor in = g.inputF32("x", w, h, f, (long) c * b);
                Tensor out = g.output(up.forward(g, in));
                assertThat(out.shape()).containsExactly(2L * w, 2L * h, 2L * f - 1, (long) (c / factor) * b);
                g.set(in, x);
                g.compute();
                y = g.floats(out);
            }
            int co = c / factor, fo = 2 * f - 1, ho = 2 * h, wo = 2 * w, cr = c / 8;
            for (int bb = 0; bb < b; bb++)
                for (int j = 0; j < co; j++)
                    for (int t = 0; t < fo; t++)
                        for (int yy = 0; yy < ho; yy++)
                            for (int xx = 0; xx < wo; xx++) {
                                int tt = t + 1; // the first frame is dropped
                                int cin = (((j % cr) * 2 + tt % 2) * 2 + yy % 2) * 2 + xx % 2;
                                float expected = x[(((bb * c + cin) * f + tt / 2) * h + yy / 2) * w + xx / 2];
                                assertThat(y[(((bb * co + j) * fo + t) * ho + yy) * wo + xx]).isEqualTo(expected);
                            }
        }
    }

    @Test
    void theUnpatchifyPairsTheLastPatchAxisWithTheHeight() {
        // conv_out channel c·16 + a·4 + b goes to pixel (h·4 + b, w·4 + a): the upstream permute
        // (0, 1, 5, 2, 6, 4, 7, 3) swaps the patch axes relative to the upsampler's.
        int w = 2, h = 3, f = 2, p = 4, batch = 2;
        float[] x = new float[w * h * f * 3 * p * p * batch];
        for (int i = 0; i < x.length; i++) x[i] = i;
        try (Graph g = new Graph(backend)) {
            Tensor in = g.inputF32("x", w, h, f, 3L * p * p * batch);
            Tensor out = g.output(Layers3d.depthToSpace(g, in, 1, p, p, true));
            g.set(in, x);
            g.compute();
            float[] y = g.floats(out);
            for (int n = 0; n < batch * 3; n++)
                for (int t = 0; t < f; t++)
                    for (int yy = 0; yy < h * p; yy++)
                        for (int xx = 0; xx < w * p; xx++) {
                            int ch = n * p * p + (xx % p) * p + yy % p;
                            float expected = x[((ch * f + t) * h + yy / p) * w + xx / p];
                            assertThat(y[((n * f + t) * h * p + yy) * w * p + xx]).isEqualTo(expected);
                        }
        }
    }

    @Test
    void causalAndNonCausalPaddingRepeatTheEdgeFramesInEveryChunk() {
        // Against Graph.causalConv3d (first frame repeated k−1 times) and against explicit
        // replicate padding of both ends, with one output frame per chunk.
        int w = 5, h = 4, f = 4, c = 3, oc = 2;
        float[] x = normal(new SplittableRandom(21), w * h * f * c);
        Map<String, long[]> shapes = Map.of("k.conv.weight", new long[] {3, 3, 3, (long) c * oc}, "k.conv.bias", new long[] {oc});
        try (Arena arena = Arena.ofConfined(); WeightSet weights = LtxVaeTestSupport.randomWeights(backend, arena, shapes, GgmlType.F32, 23, false)) {
            Tensor kernel = weights.get("k.conv.weight");
            float[] bias = weights.get("k.conv.bias").data().toArray(ValueLayout.JAVA_FLOAT);
            for (boolean causal : new boolean[] {true, false}) {
                CausalConv3d conv = new CausalConv3d(weights, "k", c, oc, 3, new CausalConv3d.Options(causal, 1));
                try (Graph g = new Graph(backend)) {
                    Tensor in = g.inputF32("x", w, h, f, c);
                    Tensor actual = g.output(conv.forward(g, in));
                    Tensor padded = causal ? in : g.concat(g.concat(Layers3d.frames(g, in, 0, 1), in, 2), Layers3d.frames(g, in, f - 1, f), 2);
                    Tensor expected = g.output(causal ? g.causalConv3d(kernel, in, c, 1)
                            : g.conv3d(kernel, padded, c, new int[] {1, 1, 1}, new int[] {1, 1, 0}));
                    g.set(in, x);
                    g.compute();
                    float[] a = g.floats(actual), e = g.floats(expected);
                    for (int i = 0; i < e.length; i++) e[i] += bias[i / (w * h * f)];
                    assertThat(maxAbsDiff(a, e)).as(causal ? "causal" : "non-causal").isLessThanOrEqualTo(1e-6);
                }
            }
        }
    }

    @Test
    void anotherShapeOfDecoderBuildsFromItsConfigAloneAndF16WeightsAgree() throws Exception {
        // Three residual up blocks with upsample_factor 2 (the 0.9.5 channel layout, without its
        // timestep conditioning), a causal decoder, batch 2, a non-square grid.
        ObjectNode json = tinyConfig();
        json.putArray("decoder_block_out_channels").add(8).add(16).add(32);
        json.putArray("decoder_layers_per_block").add(1).add(0).add(1).add(1);
        json.putArray("decoder_spatio_temporal_scaling").add(true).add(true).add(true);
        json.putArray("decoder_inject_noise").add(false).add(false).add(false).add(false);
        json.putArray("upsample_residual").add(true).add(true).add(true);
        json.putArray("upsample_factor").add(2).add(2).add(2);
        json.put("decoder_causal", true);
        LtxVaeConfig config = LtxVaeConfig.fromJson(json);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (WeightSet recorder = WeightSet.recorder()) {
            new LtxVaeDecoder(config, recorder, "vae.");
            recorder.all().forEach((k, v) -> shapes.put(k, v.shape()));
        }
        assertThat(shapes).containsKey("vae.decoder.up_blocks.2.upsamplers.0.conv.conv.weight").doesNotContainKey("vae.decoder.up_blocks.0.conv_in.conv1.conv.weight");
        int b = 2, f = 2, h = 1, w = 2;
        float[] latents = normal(new SplittableRandom(9), b * 16 * f * h * w);
        float[][] out = new float[2][];
        GgmlType[] types = {GgmlType.F32, GgmlType.F16};
        for (int t = 0; t < 2; t++) {
            try (Arena arena = Arena.ofConfined(); WeightSet weights = LtxVaeTestSupport.randomWeights(backend, arena, shapes, types[t], 5, false)) {
                out[t] = new LtxVaeDecoder(config, weights, "vae.").decode(backend, latents, b, f, h, w);
            }
        }
        assertThat(out[0]).hasSize(b * 3 * 9 * 32 * 64);
        double err = 0, ref = 0;
        for (int i = 0; i < out[0].length; i++) {
            assertThat(Float.isFinite(out[0][i])).isTrue();
            err += (out[1][i] - out[0][i]) * (double) (out[1][i] - out[0][i]);
            ref += out[0][i] * (double) out[0][i];
        }
        // F16 weights (the fp16-rounded same values) round the conv inputs to fp16 as well.
        System.out.printf("ltx vae F16 weights vs F32: relative RMS %.2e%n", Math.sqrt(err / ref));
        assertThat(Math.sqrt(err / ref)).isLessThan(1e-2);
    }

    @Test
    void theLtxVideo2bConfigBuildsFromItsConfigAlone() throws Exception {
        // Lightricks/LTX-Video's vae/config.json predates the decoder_* fields: diffusers' defaults fill them.
        String json = """
                {"_class_name": "AutoencoderKLLTXVideo", "_diffusers_version": "0.32.0.dev0",
                 "block_out_channels": [128, 256, 512, 512], "decoder_causal": false, "encoder_causal": true,
                 "in_channels": 3, "latent_channels": 128, "layers_per_block": [4, 3, 3, 3, 4], "out_channels": 3,
                 "patch_size": 4, "patch_size_t": 1, "resnet_norm_eps": 1e-06, "scaling_factor": 1.0,
                 "spatio_temporal_scaling": [true, true, true, false]}""";
        LtxVaeConfig config = LtxVaeConfig.fromJson(new ObjectMapper().readTree(json));
        assertThat(config.decoderBlockOutChannels()).containsExactly(128, 256, 512, 512);
        assertThat(config.decoderLayersPerBlock()).containsExactly(4, 3, 3, 3, 4);
        assertThat(config.spatialCompressionRatio()).isEqualTo(32);
        assertThat(config.temporalCompressionRatio()).isEqualTo(8);
        assertThat(config.decoderSpatialUpscale()).isEqualTo(32);
        assertThat(config.decodedFrames(7)).isEqualTo(49);
        try (WeightSet recorder = WeightSet.recorder()) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(config, recorder, "vae.");
            Map<String, Tensor> w = recorder.all();
            assertThat(w.get("vae.decoder.conv_in.conv.weight").shape()).containsExactly(3, 3, 3, 128 * 512);
            assertThat(w.get("vae.decoder.up_blocks.1.upsamplers.0.conv.conv.weight").shape()).containsExactly(3, 3, 3, 512 * 4096);
            assertThat(w.get("vae.decoder.up_blocks.3.conv_in.norm3.weight").shape()).containsExactly(256, 1, 1, 1);
            assertThat(w.get("vae.decoder.conv_out.conv.weight").shape()).containsExactly(3, 3, 3, 128 * 48);
            assertThat(w).containsKey("vae.decoder.mid_block.resnets.3.conv2.conv.bias").doesNotContainKey("vae.decoder.up_blocks.0.upsamplers.0.conv.conv.weight");
            long params = 0;
            for (Tensor t : w.values()) params += t.elements();
            System.out.printf("LTX-Video 0.9.0 decoder: %d weights, %.1f M parameters%n", w.size(), params / 1e6);
            // The graph of a 49-frame 512×320 decode (latents 16×10×7): shapes only, nothing computed.
            try (Graph g = decoder.newGraph(backend, 7)) {
                Tensor in = g.inputF32("latents", 16, 10, 7, 128);
                Tensor video = g.output(decoder.build(g, in, null, 1).video());
                assertThat(video.shape()).containsExactly(512, 320, 49, 3);
                System.out.printf("LTX-Video 0.9.0 decode graph 49×320×512: %d nodes%n", g.nodeCount());
            }
        }
    }

    @Test
    void decodersThatDiffusersCannotRunAreRefusedByName() throws Exception {
        // Timestep conditioning with an up block that changes width (conv_in): diffusers hands that
        // conv_in resnet the raw timestep, which it cannot split into (shift, scale, shift, scale).
        ObjectNode conditioned = tinyConfig();
        conditioned.put("timestep_conditioning", true);
        LtxVaeConfig config = LtxVaeConfig.fromJson(conditioned);
        try (WeightSet recorder = WeightSet.recorder()) {
            assertThatThrownBy(() -> new LtxVaeDecoder(config, recorder, "vae."))
                    .hasMessageContaining("up_blocks.2").hasMessageContaining("timestep-conditioned up block that changes the width");
        }
        // 0.9.1 injects noise; the lists are read reversed, so the first entry is the last up block,
        // which here changes width: its per_channel_scale1 cannot scale conv1's output.
        ObjectNode noise = tinyConfig();
        noise.putArray("decoder_inject_noise").add(true).add(false).add(false).add(false).add(false);
        LtxVaeConfig noisy = LtxVaeConfig.fromJson(noise);
        assertThat(noisy.injectsNoise(4)).isTrue();
        try (WeightSet recorder = WeightSet.recorder()) {
            assertThatThrownBy(() -> new LtxVaeDecoder(noisy, recorder, "vae.")).hasMessageContaining("up_blocks.3.conv_in").hasMessageContaining("noise injection");
        }
        // Noise where the width stays (up block 0) builds and hands out the noise inputs to fill.
        noise.putArray("decoder_inject_noise").add(false).add(false).add(false).add(true).add(false);
        LtxVaeConfig runnable = LtxVaeConfig.fromJson(noise);
        try (WeightSet recorder = WeightSet.recorder(); Graph g = new Graph(backend, 8192)) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(runnable, recorder, "vae.");
            Tensor z = g.inputF32("z", 3, 2, 3, 16);
            assertThat(decoder.build(g, z, null, 1).noise()).hasSize(2); // up block 0's single resnet
        }
    }

    @Test
    void unsupportedOrInconsistentConfigValuesAreNamed() throws Exception {
        ObjectNode patchT = tinyConfig();
        patchT.put("patch_size_t", 2);
        assertThatThrownBy(() -> LtxVaeConfig.fromJson(patchT)).hasMessageContaining("patch_size_t 2");
        ObjectNode shortLayers = tinyConfig();
        shortLayers.putArray("decoder_layers_per_block").add(1).add(1).add(1).add(1);
        assertThatThrownBy(() -> LtxVaeConfig.fromJson(shortLayers)).hasMessageContaining("decoder_layers_per_block has 4 entries");
        ObjectNode factor = tinyConfig();
        factor.putArray("upsample_factor").add(3).add(1).add(1).add(1);
        assertThatThrownBy(() -> LtxVaeConfig.fromJson(factor)).hasMessageContaining("upsample_factor");
        ObjectNode text = tinyConfig();
        text.put("latent_channels", "16");
        assertThatThrownBy(() -> LtxVaeConfig.fromJson(text)).hasMessageContaining("field 'latent_channels' must be an integer");
        ObjectNode flow = tinyConfig();
        flow.putArray("decoder_block_out_channels").add(16).add(16).add(16).add(16);
        flow.putArray("upsample_factor").add(2).add(2).add(2).add(2);
        assertThatThrownBy(() -> LtxVaeConfig.fromJson(flow)).hasMessageContaining("up block 0 expects 8 input channels but receives 16");
        ObjectNode other = tinyConfig();
        other.put("_class_name", "AutoencoderKL");
        assertThatThrownBy(() -> LtxVaeConfig.fromJson(other)).hasMessageContaining("config is for AutoencoderKL, not AutoencoderKLLTXVideo");
    }

    @Test
    void aCheckpointThatDoesNotMatchTheConfigNamesTheWeight() throws Exception {
        ObjectNode wrong = tinyConfig();
        wrong.putArray("decoder_block_out_channels").add(8).add(16).add(32).add(64);
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            assertThatThrownBy(() -> new LtxVaeDecoder(LtxVaeConfig.fromJson(wrong), weights, "vae."))
                    .hasMessageContaining("vae.decoder.conv_in.conv.weight").hasMessageContaining("[3, 3, 3, 1024]");
        }
    }

    // ---------------------------------------------------------------- helpers

    private static ObjectNode tinyConfig() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            return (ObjectNode) ckpt.component("vae").config().deepCopy();
        }
    }

    /** LTXPipeline._unpack_latents with patch sizes 1: (B, F·H·W, C) → (B, C, F, H, W). */
    private static float[] unpack(float[] packed, int b, int c, int positions) {
        float[] out = new float[packed.length];
        for (int n = 0; n < b; n++)
            for (int s = 0; s < positions; s++)
                for (int ch = 0; ch < c; ch++) out[(n * c + ch) * positions + s] = packed[(n * positions + s) * c + ch];
        return out;
    }
}
