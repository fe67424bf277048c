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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
 * The timestep-conditioned decoder of the LTX-Video 0.9.5 layout (fixture ltx_video_095, golden
 * case "vae_decode": diffusers 0.33.1 {@code vae.decode(z, temb=decode_timestep)}): the video for
 * per-row decode timesteps and for timestep zero, and every traced time embedding, upsampler and
 * block, within 1e-4 + 1e-4·|expected|; the end-to-end case's decode; conditioning under frame
 * chunking and spatial tiling; and the 0.9.1 decoder's noise injection.
 */
class LtxVae095GoldenTest extends CpuBackendFixture {
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video_095");

    @Test
    void conditionedDecodeMatchesTheGoldenVideosAndEveryTrace() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/vae_decode.safetensors"))) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            assertThat(decoder.timestepConditioned()).isTrue();
            // The learned scalar, not 1000 (cases.json: timestep_scale_multiplier 1008.7567749023438).
            assertThat(decoder.timestepScaleMultiplier()).isEqualTo(1008.7567749023438f);
            float[] z = golden.readFloats("z"); // (2, 16, 2, 1, 2)
            float[] timestep = golden.readFloats("decode_timestep");
            assertThat(timestep).containsExactly(0.05f, 0.4f);
            List<String> traces = golden.names().stream().filter(n -> n.startsWith("trace.")).sorted().toList();
            assertThat(traces).hasSize(16);
            try (Graph g = decoder.newGraph(backend, 2)) {
                Tensor in = g.inputF32("z", 2, 1, 2, 16 * 2);
                Tensor t = g.inputF32("decode_timestep", 2);
                Map<String, Tensor> trace = new LinkedHashMap<>();
                g.traceTo(trace);
                LtxVaeDecoder.Output out = decoder.build(g, in, t, 2);
                Tensor video = g.output(out.video());
                assertThat(out.noise()).isEmpty();
                assertThat(video.shape()).containsExactly(64, 32, 9, 3 * 2);
                g.set(in, z);
                g.set(t, timestep);
                g.compute();
                for (String name : traces) {
                    assertThat(trace).containsKey(name.substring("trace.".length()));
                    assertClose(name, g.floats(trace.get(name.substring("trace.".length()))), golden.readFloats(name));
                }
                assertClose("sample", g.floats(video), golden.readFloats("sample"));
                // temb = 0 still embeds to a non-zero vector, so the conditioning still applies.
                g.set(t, new float[2]);
                g.compute();
                assertClose("sample_timestep_zero", g.floats(video), golden.readFloats("sample_timestep_zero"));
            }
            // The convenience path, without traces: the allocator may reuse every intermediate.
            assertClose("decode()", decoder.decode(backend, z, timestep, 0, 2, 2, 1, 2), golden.readFloats("sample"));
            // A 1-byte budget: every conv computes one output frame at a time.
            LtxVaeDecoder chunked = new LtxVaeDecoder(decoder.config(), weights, "vae.", 1);
            assertClose("decode(), frame-chunked convs", chunked.decode(backend, z, timestep, 0, 2, 2, 1, 2), golden.readFloats("sample"));
        }
    }

    @Test
    void theEndToEndDecodeInputDecodesToThePipelineVideo() throws Exception {
        // e2e_nocfg: z = (1 − 0.025)·denormalised latents + 0.025·noise, decode_timestep 0.05 per prompt.
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/e2e_nocfg.safetensors"))) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            long[] shape = golden.tensor("steps.decode_input_z").shape();
            int b = (int) shape[0], f = (int) shape[2], h = (int) shape[3], w = (int) shape[4];
            float[] timestep = golden.readFloats("steps.decode_timestep");
            float[] raw = decoder.decode(backend, golden.readFloats("steps.decode_input_z"), timestep, 0, b, f, h, w);
            int s = decoder.config().decoderSpatialUpscale();
            float[] video = LtxVaeDecoder.toFrames(raw, b, 3, decoder.config().decodedFrames(f), h * s, w * s);
            assertClose("e2e_nocfg video", video, golden.readFloats("video"));
        }
    }

    @Test
    void aConditionedDecoderNeedsOneTimestepPerRowAndAnUnconditionedOneTakesNone() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             HfCheckpoint old = HfCheckpoint.open(Path.of("src/test/resources/fixtures/ltx_video/checkpoint"));
             WeightSet oldWeights = WeightSet.fromCheckpoint(backend, old, false)) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), weights, "vae.");
            float[] z = new float[16 * 2 * 2];
            assertThatThrownBy(() -> decoder.decode(backend, z, 1, 2, 1, 2)).hasMessageContaining("timestep_conditioning=true")
                    .hasMessageContaining("one decode timestep per batch row");
            assertThatThrownBy(() -> decoder.decode(backend, z, new float[] {0.05f, 0.05f}, 0, 1, 2, 1, 2)).hasMessageContaining("2 decode timesteps for a batch of 1");
            try (Graph g = decoder.newGraph(backend, 2)) {
                assertThatThrownBy(() -> decoder.build(g, g.inputF32("z", 2, 1, 2, 16), null, 1)).hasMessageContaining("one decode timestep per batch row");
            }
            LtxVaeDecoder unconditioned = new LtxVaeDecoder(LtxVaeConfig.fromJson(old.component("vae").config()), oldWeights, "vae.");
            assertThat(unconditioned.timestepConditioned()).isFalse();
            assertThat(unconditioned.timestepScaleMultiplier()).isNaN();
            assertThatThrownBy(() -> unconditioned.decode(backend, z, new float[] {0.05f}, 0, 1, 2, 1, 2)).hasMessageContaining("not timestep-conditioned");
        }
    }

    /**
     * Tiling with conditioning, exactly: with every conv's off-centre spatial taps zeroed the
     * decoder is local in H and W (the time embeddings are per batch row, the same for every
     * tile), so tiles reproduce the whole decode up to the blend's rounding.
     */
    @Test
    void tiledConditionedDecodeIsTheWholeDecodeWhenTheDecoderIsSpatiallyLocal() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             Arena arena = Arena.ofConfined();
             WeightSet local = LtxVaeTestSupport.spatiallyLocalWeights(backend, arena, ckpt.component("vae"))) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(LtxVaeConfig.fromJson(ckpt.component("vae").config()), local, "vae.");
            int b = 2, f = 2, h = 4, w = 6;
            float[] latents = normal(new SplittableRandom(17), b * 16 * f * h * w);
            float[] timestep = {0.05f, 0.4f};
            float[] whole = decoder.decode(backend, latents, timestep, 0, b, f, h, w);
            float[] tiled = decoder.decodeTiled(backend, latents, timestep, 0, b, f, h, w, 2, 3, 1, ProgressListener.NONE);
            double err = maxAbsDiff(tiled, whole);
            System.out.printf("%-44s max abs diff %.3e%n", "0.9.5 tiled vs whole, local convs", err);
            assertThat(err).isLessThanOrEqualTo(1e-5);
            // The rows really are conditioned differently: swapping the timesteps changes the video.
            float[] swapped = decoder.decode(backend, latents, new float[] {0.4f, 0.05f}, 0, b, f, h, w);
            assertThat(maxAbsDiff(swapped, whole)).isGreaterThan(1e-3);
        }
    }

    @Test
    void f16WeightsAgreeWithF32OnTheConditionedDecoder() throws Exception {
        // The converter stores the VAE in F16 for quantized models: scale_shift_tables, time embedder
        // matrices and kernels then reach the graph as F16 and are cast or multiplied as such.
        LtxVaeConfig config;
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            config = LtxVaeConfig.fromJson(ckpt.component("vae").config());
        }
        Map<String, long[]> shapes = shapes(config);
        int b = 2, f = 2, h = 2, w = 2;
        float[] latents = normal(new SplittableRandom(23), b * 16 * f * h * w);
        float[][] out = new float[2][];
        GgmlType[] types = {GgmlType.F32, GgmlType.F16};
        for (int t = 0; t < 2; t++) {
            try (Arena arena = Arena.ofConfined(); WeightSet weights = LtxVaeTestSupport.randomWeights(backend, arena, shapes, types[t], 13, false)) {
                out[t] = new LtxVaeDecoder(config, weights, "vae.").decode(backend, latents, new float[] {0.05f, 0.4f}, 0, b, f, h, w);
            }
        }
        double err = 0, ref = 0;
        for (int i = 0; i < out[0].length; i++) {
            assertThat(Float.isFinite(out[0][i])).isTrue();
            err += (out[1][i] - out[0][i]) * (double) (out[1][i] - out[0][i]);
            ref += out[0][i] * (double) out[0][i];
        }
        System.out.printf("%-44s relative RMS %.2e%n", "0.9.5 decoder F16 weights vs F32", Math.sqrt(err / ref));
        assertThat(Math.sqrt(err / ref)).isLessThan(1e-2);
    }

    // ---------------------------------------------------------------- 0.9.1: noise injection

    /** The ltx_video_095 decoder config with LTX-Video 0.9.1's noise injection in every up block. */
    private static LtxVaeConfig noisyConfig() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            ObjectNode json = (ObjectNode) ckpt.component("vae").config().deepCopy();
            json.putArray("decoder_inject_noise").add(true).add(true).add(true).add(false); // reversed: mid block false
            return LtxVaeConfig.fromJson(json);
        }
    }

    private static Map<String, long[]> shapes(LtxVaeConfig config) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (WeightSet recorder = WeightSet.recorder()) {
            new LtxVaeDecoder(config, recorder, "vae.");
            recorder.all().forEach((k, v) -> shapes.put(k, v.shape()));
        }
        return shapes;
    }

    @Test
    void injectedNoiseIsSeededAndTilesAgreeOnIt() throws Exception {
        LtxVaeConfig config = noisyConfig();
        Map<String, long[]> shapes = shapes(config);
        assertThat(shapes).containsKey("vae.decoder.up_blocks.0.resnets.0.per_channel_scale1")
                .doesNotContainKey("vae.decoder.mid_block.resnets.0.per_channel_scale1");
        try (Arena arena = Arena.ofConfined(); WeightSet local = LtxVaeTestSupport.randomWeights(backend, arena, shapes, GgmlType.F32, 7, true)) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(config, local, "vae.");
            int b = 2, f = 2, h = 4, w = 6;
            float[] latents = normal(new SplittableRandom(19), b * 16 * f * h * w);
            float[] timestep = {0.05f, 0.05f};
            try (Graph g = decoder.newGraph(backend, f)) {
                LtxVaeDecoder.Output out = decoder.build(g, g.inputF32("z", w, h, f, 16L * b), g.inputF32("t", b), b);
                // Two planes per resnet of the three up blocks (2, 1, 2 resnets), at 2×, 4×, 8× the latent grid.
                assertThat(out.noise()).hasSize(10);
                assertThat(out.noise().getFirst().shape()).containsExactly(2L * w, 2L * h, 1, 1);
                assertThat(out.noise().getLast().shape()).containsExactly(8L * w, 8L * h, 1, 1);
            }
            float[] whole = decoder.decode(backend, latents, timestep, 5, b, f, h, w);
            assertThat(decoder.decode(backend, latents, timestep, 5, b, f, h, w)).isEqualTo(whole);
            assertThat(maxAbsDiff(decoder.decode(backend, latents, timestep, 6, b, f, h, w), whole)).isGreaterThan(1e-3);
            float[] tiled = decoder.decodeTiled(backend, latents, timestep, 5, b, f, h, w, 2, 3, 1, ProgressListener.NONE);
            double err = maxAbsDiff(tiled, whole);
            System.out.printf("%-44s max abs diff %.3e%n", "0.9.1 noise, tiled vs whole, local convs", err);
            assertThat(err).isLessThanOrEqualTo(1e-5);
        }
    }

    /**
     * One noise-injecting resnet against its PyTorch definition, by hand: conv1 zero, conv2 the
     * identity (centre tap), so out = x + conv2(SiLU(RMSNorm(n1·s1))) + n2·s2 with the
     * per-channel scales s1, s2 broadcast over the (H, W) planes n1, n2, every frame and batch row.
     */
    @Test
    void aNoiseInjectingResnetAddsTheScaledPlanesAfterEachConv() {
        int c = 3, b = 2, f = 2, h = 2, w = 3;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        shapes.put("r.conv1.conv.weight", new long[] {3, 3, 3, (long) c * c});
        shapes.put("r.conv1.conv.bias", new long[] {c});
        shapes.put("r.conv2.conv.weight", new long[] {3, 3, 3, (long) c * c});
        shapes.put("r.conv2.conv.bias", new long[] {c});
        shapes.put("r.per_channel_scale1", new long[] {1, 1, c});
        shapes.put("r.per_channel_scale2", new long[] {1, 1, c});
        values.put("r.conv1.conv.weight", new float[27 * c * c]);
        values.put("r.conv1.conv.bias", new float[c]);
        float[] identity = new float[27 * c * c]; // PyTorch [out, in, kd, kh, kw]
        for (int o = 0; o < c; o++) identity[(o * c + o) * 27 + 13] = 1f;
        values.put("r.conv2.conv.weight", identity);
        values.put("r.conv2.conv.bias", new float[c]);
        float[] s1 = {0.5f, -1.25f, 2f}, s2 = {0.75f, 0.1f, -0.6f};
        values.put("r.per_channel_scale1", s1);
        values.put("r.per_channel_scale2", s2);
        SplittableRandom random = new SplittableRandom(29);
        float[] x = normal(random, b * c * f * h * w), n1 = normal(random, h * w), n2 = normal(random, h * w);
        try (Arena arena = Arena.ofConfined(); WeightSet weights = LtxVaeTestSupport.weights(backend, arena, shapes, values, GgmlType.F32)) {
            ResnetBlock3d resnet = new ResnetBlock3d(weights, "r", c, c, 1e-6f, new CausalConv3d.Options(false, 1L << 30), false, true);
            float[] y;
            try (Graph g = new Graph(backend)) {
                Tensor in = g.inputF32("x", w, h, f, (long) c * b);
                List<Tensor> noise = new ArrayList<>();
                Tensor out = g.output(resnet.forward(g, in, null, noise));
                assertThat(noise).hasSize(2);
                g.set(in, x);
                g.set(noise.get(0), n1);
                g.set(noise.get(1), n2);
                g.compute();
                y = g.floats(out);
            }
            double err = 0;
            for (int p = 0; p < h * w; p++) {
                double ms = 0;
                for (int ch = 0; ch < c; ch++) ms += (double) n1[p] * s1[ch] * n1[p] * s1[ch];
                double inv = 1 / Math.sqrt(ms / c + 1e-8);
                for (int bb = 0; bb < b; bb++)
                    for (int t = 0; t < f; t++)
                        for (int ch = 0; ch < c; ch++) {
                            double v = n1[p] * s1[ch] * inv;
                            double expected = x[((bb * c + ch) * f + t) * h * w + p] + v / (1 + Math.exp(-v)) + n2[p] * s2[ch];
                            err = Math.max(err, Math.abs(y[((bb * c + ch) * f + t) * h * w + p] - expected));
                        }
            }
            System.out.printf("%-44s max abs error %.3e%n", "noise-injecting resnet vs definition", err);
            assertThat(err).isLessThanOrEqualTo(1e-5);
        }
    }

    @Test
    void theLtxVideo095ConfigBuildsFromItsConfigAlone() throws Exception {
        // diffusers' convert_ltx_to_diffusers.py get_vae_config("0.9.5"), as saved by save_pretrained.
        String json = """
                {"_class_name": "AutoencoderKLLTXVideo", "in_channels": 3, "out_channels": 3, "latent_channels": 128,
                 "block_out_channels": [128, 256, 512, 1024, 2048], "down_block_types": ["LTXVideo095DownBlock3D", "LTXVideo095DownBlock3D",
                 "LTXVideo095DownBlock3D", "LTXVideo095DownBlock3D"], "decoder_block_out_channels": [256, 512, 1024],
                 "layers_per_block": [4, 6, 6, 2, 2], "decoder_layers_per_block": [5, 5, 5, 5], "spatio_temporal_scaling": [true, true, true, true],
                 "decoder_spatio_temporal_scaling": [true, true, true], "decoder_inject_noise": [false, false, false, false],
                 "downsample_type": ["spatial", "temporal", "spatiotemporal", "spatiotemporal"], "upsample_residual": [true, true, true],
                 "upsample_factor": [2, 2, 2], "timestep_conditioning": true, "patch_size": 4, "patch_size_t": 1, "resnet_norm_eps": 1e-06,
                 "scaling_factor": 1.0, "encoder_causal": true, "decoder_causal": false, "spatial_compression_ratio": 32, "temporal_compression_ratio": 8}""";
        LtxVaeConfig config = LtxVaeConfig.fromJson(new ObjectMapper().readTree(json));
        assertThat(config.decoderSpatialUpscale()).isEqualTo(32);
        assertThat(config.decodedFrames(7)).isEqualTo(49);
        try (WeightSet recorder = WeightSet.recorder()) {
            LtxVaeDecoder decoder = new LtxVaeDecoder(config, recorder, "vae.");
            Map<String, Tensor> w = recorder.all();
            assertThat(w.get("vae.decoder.conv_in.conv.weight").shape()).containsExactly(3, 3, 3, 128 * 1024);
            assertThat(w.get("vae.decoder.mid_block.time_embedder.timestep_embedder.linear_1.weight").shape()).containsExactly(256, 4096, 1, 1);
            assertThat(w.get("vae.decoder.up_blocks.0.upsamplers.0.conv.conv.weight").shape()).containsExactly(3, 3, 3, 1024 * 4096);
            assertThat(w.get("vae.decoder.up_blocks.2.resnets.4.scale_shift_table").shape()).containsExactly(128, 4, 1, 1);
            assertThat(w.get("vae.decoder.scale_shift_table").shape()).containsExactly(128, 2, 1, 1);
            assertThat(w.get("vae.decoder.timestep_scale_multiplier").shape()).containsExactly(1, 1, 1, 1);
            assertThat(w.keySet()).noneMatch(k -> k.contains("conv_in.conv1") || k.contains("per_channel_scale"));
            long params = 0;
            for (Tensor t : w.values()) params += t.elements();
            System.out.printf("LTX-Video 0.9.5 decoder: %d weights, %.1f M parameters%n", w.size(), params / 1e6);
            try (Graph g = decoder.newGraph(backend, 7)) {
                LtxVaeDecoder.Output out = decoder.build(g, g.inputF32("latents", 16, 10, 7, 128), g.inputF32("t", 1), 1);
                assertThat(g.output(out.video()).shape()).containsExactly(512, 320, 49, 3);
                System.out.printf("LTX-Video 0.9.5 decode graph 49×320×512: %d nodes%n", g.nodeCount());
            }
        }
    }
}
