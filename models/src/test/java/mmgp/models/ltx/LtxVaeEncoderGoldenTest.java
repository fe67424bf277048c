package mmgp.models.ltx;

import static mmgp.models.ltx.LtxVaeTestSupport.assertClose;
import static mmgp.testing.TestArrays.maxAbsDiff;
import static mmgp.testing.TestArrays.normal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.convert.HfCheckpoint;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsFile;
import mmgp.tensor.GgmlType;
import mmgp.testing.CpuBackendFixture;
import org.junit.jupiter.api.Test;

/**
 * diffusers 0.33.1 {@code AutoencoderKLLTXVideo.encode(x).latent_dist} on the ltx_video_095
 * fixture (golden case "vae_encode": 0.9.5 space-to-depth down blocks): mean, logvar and every
 * traced block and downsampler within 1e-4 + 1e-4·|expected|; the 0.9.0 encoder's strided conv
 * against the stride-1 conv it subsamples; causality (a first frame encodes alone to the first
 * latent frame, what image-to-video conditioning relies on) for both layouts; the latent
 * distribution's arithmetic; and the config checks.
 */
class LtxVaeEncoderGoldenTest extends CpuBackendFixture {
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video_095");
    private static final Path FIXTURE_090 = Path.of("src/test/resources/fixtures/ltx_video");

    @Test
    void encodeMatchesTheGoldenDistributionAndEveryTrace() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/vae_encode.safetensors"))) {
            LtxVaeEncoder encoder = new LtxVaeEncoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            assertThat(encoder.latentShape(9, 64, 64)).containsExactly(2, 2, 2);
            float[] x = golden.readFloats("x"); // (1, 3, 9, 64, 64)
            List<String> traces = golden.names().stream().filter(n -> n.startsWith("trace.")).sorted().toList();
            assertThat(traces).hasSize(11);
            try (Graph g = encoder.newGraph(backend, 9)) {
                Tensor in = g.inputF32("x", 64, 64, 9, 3);
                Map<String, Tensor> trace = new LinkedHashMap<>();
                g.traceTo(trace);
                Tensor moments = g.output(encoder.build(g, in, 1));
                assertThat(moments.shape()).containsExactly(2, 2, 2, 17);
                g.set(in, x);
                g.compute();
                for (String name : traces) {
                    assertThat(trace).containsKey(name.substring("trace.".length()));
                    assertClose(name, g.floats(trace.get(name.substring("trace.".length()))), golden.readFloats(name));
                }
                LtxVaeEncoder.LatentDistribution d = encoder.distribution(g.floats(moments), 1, 2, 2, 2);
                assertClose("latent_mean", d.mean(), golden.readFloats("latent_mean"));
                assertClose("latent_logvar", d.logvar(), golden.readFloats("latent_logvar"));
            }
            // The convenience path, and with every conv computing one output frame at a time.
            LtxVaeEncoder.LatentDistribution d = encoder.encodeVideo(backend, x, 1, 9, 64, 64);
            assertThat(new int[] {d.batch(), d.channels(), d.frames(), d.height(), d.width()}).containsExactly(1, 16, 2, 2, 2);
            assertClose("encodeVideo() mean", d.mean(), golden.readFloats("latent_mean"));
            assertClose("encodeVideo() logvar", d.logvar(), golden.readFloats("latent_logvar"));
            LtxVaeEncoder chunked = new LtxVaeEncoder(encoder.config(), weights, "vae.", 1);
            assertClose("encodeVideo() mean, frame-chunked convs", chunked.encodeVideo(backend, x, 1, 9, 64, 64).mean(), golden.readFloats("latent_mean"));
        }
    }

    /**
     * Causal in time: latent frame 0 sees only input frame 0 (the first frame is replicated, never
     * the future), so encoding the first frame as an image gives the video's first latent frame —
     * for the 0.9.5 encoder against its golden, for the 0.9.0 one against its own video encode.
     */
    @Test
    void theFirstFrameEncodesAloneToTheFirstLatentFrame() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/vae_encode.safetensors"))) {
            LtxVaeEncoder encoder = new LtxVaeEncoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            float[] image = firstFrame(golden.readFloats("x"), 3, 9, 64 * 64);
            LtxVaeEncoder.LatentDistribution d = encoder.encodeImage(backend, image, 1, 64, 64);
            assertThat(d.frames()).isEqualTo(1);
            assertClose("0.9.5 encodeImage(frame 0) mean", d.mean(), firstFrame(golden.readFloats("latent_mean"), 16, 2, 4));
            assertClose("0.9.5 encodeImage(frame 0) logvar", d.logvar(), firstFrame(golden.readFloats("latent_logvar"), 16, 2, 4));
        }
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE_090.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            // LTXVideoDownBlock3D ×4: resnets, a stride-2 causal conv, a conv_out resnet that widens.
            LtxVaeEncoder encoder = new LtxVaeEncoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            int b = 2, f = 9, h = 64, w = 96;
            assertThat(encoder.latentShape(f, h, w)).containsExactly(2, 2, 3);
            float[] video = normal(new SplittableRandom(31), b * 3 * f * h * w);
            for (int i = 0; i < video.length; i++) video[i] = (float) Math.tanh(video[i]);
            LtxVaeEncoder.LatentDistribution d = encoder.encodeVideo(backend, video, b, f, h, w);
            for (float v : d.mean()) assertThat(Float.isFinite(v)).isTrue();
            LtxVaeEncoder.LatentDistribution first = encoder.encodeImage(backend, firstFrame(video, b * 3, f, h * w), b, h, w);
            double err = maxAbsDiff(first.mean(), firstFrame(d.mean(), b * 16, 2, 2 * 3));
            System.out.printf("%-44s max abs diff %.3e%n", "0.9.0 encodeImage(frame 0) vs video frame 0", err);
            assertThat(err).isLessThanOrEqualTo(1e-5);
            assertThat(maxAbsDiff(first.logvar(), firstFrame(d.logvar(), b * 16, 2, 2 * 3))).isLessThanOrEqualTo(1e-5);
            // The second latent frame does see later input frames.
            assertThat(maxAbsDiff(d.mean(), firstFrameRepeated(d.mean(), b * 16, 2, 6))).isGreaterThan(1e-3);
        }
    }

    /** Frame 0 of each of {@code planes} (B·C) clips of {@code frames} frames of {@code size} values. */
    private static float[] firstFrame(float[] clip, int planes, int frames, int size) {
        float[] out = new float[planes * size];
        for (int p = 0; p < planes; p++) System.arraycopy(clip, p * frames * size, out, p * size, size);
        return out;
    }

    private static float[] firstFrameRepeated(float[] clip, int planes, int frames, int size) {
        float[] out = clip.clone();
        for (int p = 0; p < planes; p++)
            for (int t = 1; t < frames; t++) System.arraycopy(clip, p * frames * size, out, (p * frames + t) * size, size);
        return out;
    }

    /**
     * The 0.9.0 downsampler, a causal conv with stride (2, 2, 2): nn.Conv3d with stride 2 is the
     * stride-1 conv over the same padded input, read at every other frame, row and column. Both
     * causal and not, whole and one output frame per chunk.
     */
    @Test
    void aStridedCausalConvIsTheStrideOneConvSubsampled() {
        int c = 3, oc = 4, b = 2;
        Map<String, long[]> shapes = Map.of("k.conv.weight", new long[] {3, 3, 3, (long) c * oc}, "k.conv.bias", new long[] {oc});
        try (Arena arena = Arena.ofConfined(); WeightSet weights = LtxVaeTestSupport.randomWeights(backend, arena, shapes, GgmlType.F32, 37, false)) {
            for (int[] size : new int[][] {{9, 8, 6}, {4, 7, 5}}) { // F, H, W: even and odd
                int f = size[0], h = size[1], w = size[2];
                float[] x = normal(new SplittableRandom(f), b * c * f * h * w);
                for (boolean causal : new boolean[] {true, false}) {
                    for (long budget : new long[] {1L << 30, 1}) {
                        CausalConv3d.Options options = new CausalConv3d.Options(causal, budget);
                        CausalConv3d strided = new CausalConv3d(weights, "k", c, oc, 3, 2, options);
                        CausalConv3d plain = new CausalConv3d(weights, "k", c, oc, 3, options);
                        float[] s, p;
                        long[] shape;
                        try (Graph g = new Graph(backend, 8192)) {
                            Tensor in = g.inputF32("x", w, h, f, (long) c * b);
                            Tensor a = g.output(strided.forward(g, in)), e = g.output(plain.forward(g, in));
                            shape = a.shape();
                            g.set(in, x);
                            g.compute();
                            s = g.floats(a);
                            p = g.floats(e);
                        }
                        int fo = (f - 1) / 2 + 1, ho = (h - 1) / 2 + 1, wo = (w - 1) / 2 + 1;
                        assertThat(shape).containsExactly(wo, ho, fo, (long) oc * b);
                        float[] sub = new float[s.length];
                        for (int n = 0; n < b * oc; n++)
                            for (int t = 0; t < fo; t++)
                                for (int y = 0; y < ho; y++)
                                    for (int xx = 0; xx < wo; xx++) {
                                        // The stride-1 conv's output 2t reads the padded frames 2t..2t+2, as the strided conv's t does.
                                        sub[((n * fo + t) * ho + y) * wo + xx] = p[((n * f + 2 * t) * h + 2 * y) * w + 2 * xx];
                                    }
                        assertThat(maxAbsDiff(s, sub)).as("causal " + causal + ", budget " + budget + ", " + f + "×" + h + "×" + w).isLessThanOrEqualTo(1e-5);
                    }
                }
            }
        }
    }

    @Test
    void thePatchifyAndTheDownsamplerOrderTheirChannelsAsTorchDoes() {
        // Space-to-depth against the PyTorch permutes, on a (2·3, F=4, H=4, W=6) ramp.
        int n = 6, f = 4, h = 4, w = 6;
        float[] x = new float[n * f * h * w];
        for (int i = 0; i < x.length; i++) x[i] = i;
        for (boolean heightInnermost : new boolean[] {true, false}) {
            int st = 2, sh = 2, sw = 2;
            float[] y;
            try (Graph g = new Graph(backend)) {
                Tensor in = g.inputF32("x", w, h, f, n);
                Tensor out = g.output(Layers3d.spaceToDepth(g, in, st, sh, sw, heightInnermost));
                assertThat(out.shape()).containsExactly(w / 2, h / 2, f / 2, (long) n * 8);
                // depthToSpace with the same arguments undoes it exactly.
                Tensor back = g.output(Layers3d.depthToSpace(g, out, st, sh, sw, heightInnermost));
                g.set(in, x);
                g.compute();
                y = g.floats(out);
                assertThat(g.floats(back)).isEqualTo(x);
            }
            int f2 = f / st, h2 = h / sh, w2 = w / sw;
            for (int c = 0; c < n; c++)
                for (int it = 0; it < st; it++)
                    for (int ih = 0; ih < sh; ih++)
                        for (int iw = 0; iw < sw; iw++) {
                            // patchify: permute(0, 1, 3, 7, 5, 2, 4, 6) → (c, p_t, p_w, p_h); downsampler: permute(0, 1, 3, 5, 7, 2, 4, 6) → (c, s_t, s_h, s_w)
                            int ch = heightInnermost ? ((c * st + it) * sw + iw) * sh + ih : ((c * st + it) * sh + ih) * sw + iw;
                            for (int t = 0; t < f2; t++)
                                for (int yy = 0; yy < h2; yy++)
                                    for (int xx = 0; xx < w2; xx++) {
                                        float expected = x[((c * f + t * st + it) * h + yy * sh + ih) * w + xx * sw + iw];
                                        assertThat(y[((ch * f2 + t) * h2 + yy) * w2 + xx]).isEqualTo(expected);
                                    }
                        }
        }
    }

    @Test
    void theLatentDistributionSamplesAndNormalizesAsThePipelinesDo() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            LtxVaeEncoder encoder = new LtxVaeEncoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            // moments (B=1, 17, F'=1, 1, 2): the last channel is the shared logvar, clamped to [−30, 20].
            float[] moments = new float[17 * 2];
            for (int i = 0; i < 32; i++) moments[i] = i * 0.5f - 4f;
            moments[32] = 25f;
            moments[33] = -0.5f;
            LtxVaeEncoder.LatentDistribution d = encoder.distribution(moments, 1, 1, 1, 2);
            for (int ch = 0; ch < 16; ch++) {
                assertThat(d.mean()[2 * ch]).isEqualTo(moments[2 * ch]);
                assertThat(d.logvar()[2 * ch]).isEqualTo(20f);
                assertThat(d.logvar()[2 * ch + 1]).isEqualTo(-0.5f);
            }
            float[] noise = normal(new SplittableRandom(41), 32);
            float[] sample = d.sample(noise);
            assertThat(sample[1]).isEqualTo(d.mean()[1] + (float) Math.exp(-0.25f) * noise[1]);
            assertThat(d.mode()).isEqualTo(d.mean());
            float[] mean = ckpt.component("vae").weights().readFloats("latents_mean");
            float[] std = ckpt.component("vae").weights().readFloats("latents_std");
            float[] normalized = encoder.normalize(sample, 1, 1, 1, 2);
            for (int i = 0; i < 32; i++) assertThat(normalized[i]).isEqualTo((sample[i] - mean[i / 2]) / std[i / 2]);
        }
    }

    @Test
    void theLtxVideoEncodersBuildFromTheirConfigsAlone() throws Exception {
        // Lightricks/LTX-Video 0.9.0 (defaults fill the encoder lists) and diffusers' 0.9.5 conversion.
        String v090 = """
                {"_class_name": "AutoencoderKLLTXVideo", "block_out_channels": [128, 256, 512, 512], "decoder_causal": false, "encoder_causal": true,
                 "in_channels": 3, "latent_channels": 128, "layers_per_block": [4, 3, 3, 3, 4], "out_channels": 3, "patch_size": 4,
                 "patch_size_t": 1, "resnet_norm_eps": 1e-06, "scaling_factor": 1.0, "spatio_temporal_scaling": [true, true, true, false]}""";
        String v095 = """
                {"_class_name": "AutoencoderKLLTXVideo", "block_out_channels": [128, 256, 512, 1024, 2048], "down_block_types": ["LTXVideo095DownBlock3D",
                 "LTXVideo095DownBlock3D", "LTXVideo095DownBlock3D", "LTXVideo095DownBlock3D"], "decoder_block_out_channels": [256, 512, 1024],
                 "layers_per_block": [4, 6, 6, 2, 2], "decoder_layers_per_block": [5, 5, 5, 5], "spatio_temporal_scaling": [true, true, true, true],
                 "decoder_spatio_temporal_scaling": [true, true, true], "decoder_inject_noise": [false, false, false, false],
                 "downsample_type": ["spatial", "temporal", "spatiotemporal", "spatiotemporal"], "upsample_residual": [true, true, true],
                 "upsample_factor": [2, 2, 2], "timestep_conditioning": true, "latent_channels": 128, "patch_size": 4,
                 "spatial_compression_ratio": 32, "temporal_compression_ratio": 8}""";
        ObjectMapper mapper = new ObjectMapper();
        for (String json : new String[] {v090, v095}) {
            LtxVaeConfig config = LtxVaeConfig.fromJson(mapper.readTree(json));
            boolean is095 = json == v095;
            try (WeightSet recorder = WeightSet.recorder()) {
                LtxVaeEncoder encoder = new LtxVaeEncoder(config, recorder, "vae.");
                Map<String, Tensor> w = recorder.all();
                assertThat(w.get("vae.encoder.conv_in.conv.weight").shape()).containsExactly(3, 3, 3, 48 * 128);
                assertThat(w.get("vae.encoder.conv_out.conv.weight").shape()).containsExactly(3, 3, 3, (long) (is095 ? 2048 : 512) * 129);
                if (is095) {
                    // spatial (1, 2, 2): 128 → 256 channels through a conv to 256/4.
                    assertThat(w.get("vae.encoder.down_blocks.0.downsamplers.0.conv.conv.weight").shape()).containsExactly(3, 3, 3, 128 * 64);
                    assertThat(w.get("vae.encoder.down_blocks.3.downsamplers.0.conv.conv.weight").shape()).containsExactly(3, 3, 3, 1024 * 256);
                    assertThat(w).containsKey("vae.encoder.mid_block.resnets.1.conv2.conv.bias").doesNotContainKey("vae.encoder.down_blocks.0.conv_out.conv1.conv.weight");
                } else {
                    assertThat(w.get("vae.encoder.down_blocks.0.downsamplers.0.conv.weight").shape()).containsExactly(3, 3, 3, 128 * 128);
                    assertThat(w.get("vae.encoder.down_blocks.1.conv_out.norm3.weight").shape()).containsExactly(256, 1, 1, 1);
                    assertThat(w).doesNotContainKey("vae.encoder.down_blocks.2.conv_out.norm3.weight"); // 512 → 512
                    assertThat(w).doesNotContainKey("vae.encoder.down_blocks.3.downsamplers.0.conv.weight");
                }
                long params = 0;
                for (Tensor t : w.values()) params += t.elements();
                System.out.printf("LTX-Video %s encoder: %d weights, %.1f M parameters%n", is095 ? "0.9.5" : "0.9.0", w.size(), params / 1e6);
                assertThat(encoder.latentShape(49, 320, 512)).containsExactly(7, 10, 16);
                assertThat(encoder.latentShape(1, 480, 704)).containsExactly(1, 15, 22);
                try (Graph g = encoder.newGraph(backend, 49)) {
                    Tensor out = g.output(encoder.build(g, g.inputF32("video", 512, 320, 49, 3), 1));
                    assertThat(out.shape()).containsExactly(16, 10, 7, 129);
                    System.out.printf("LTX-Video %s encode graph 49×320×512: %d nodes%n", is095 ? "0.9.5" : "0.9.0", g.nodeCount());
                }
            }
        }
    }

    private static void recordEncoder(ObjectNode json) {
        try (WeightSet recorder = WeightSet.recorder()) {
            new LtxVaeEncoder(LtxVaeConfig.fromJson(json), recorder, "vae.");
        }
    }

    @Test
    void unusableEncoderConfigsAndSizesAreNamed() throws Exception {
        ObjectNode base;
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            base = (ObjectNode) ckpt.component("vae").config().deepCopy();
        }
        ObjectNode type = base.deepCopy();
        type.putArray("down_block_types").add("LTXVideoDownBlock3D").add("Other").add("LTXVideo095DownBlock3D").add("LTXVideo095DownBlock3D");
        ObjectNode sampling = base.deepCopy();
        sampling.putArray("downsample_type").add("spatial").add("temporal").add("bilinear").add("spatiotemporal");
        ObjectNode conv = base.deepCopy();
        conv.putArray("downsample_type").add("conv").add("temporal").add("spatiotemporal").add("spatiotemporal");
        ObjectNode layers = base.deepCopy();
        layers.putArray("layers_per_block").add(1).add(1);
        assertThatThrownBy(() -> recordEncoder(type)).hasMessageContaining("down_blocks.1: unknown down block type \"Other\"");
        assertThatThrownBy(() -> recordEncoder(sampling)).hasMessageContaining("unknown downsample_type \"bilinear\"");
        assertThatThrownBy(() -> recordEncoder(conv)).hasMessageContaining("down_blocks.0").hasMessageContaining("keeps its 4 channels, but the encoder expects 8");
        assertThatThrownBy(() -> recordEncoder(layers)).hasMessageContaining("layers_per_block has 2 entries");
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            LtxVaeEncoder encoder = new LtxVaeEncoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            assertThatThrownBy(() -> encoder.latentShape(8, 64, 64)).hasMessageContaining("the frames must be 1 + k·2");
            assertThatThrownBy(() -> encoder.latentShape(9, 62, 64)).hasMessageContaining("multiples of 4");
            assertThatThrownBy(() -> encoder.latentShape(9, 48, 64)).hasMessageContaining("the height a multiple of 2");
            assertThatThrownBy(() -> encoder.encodeVideo(backend, new float[10], 1, 9, 64, 64)).hasMessageContaining("10 video values");
        }
    }
}
