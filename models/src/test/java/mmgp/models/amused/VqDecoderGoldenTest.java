package mmgp.models.amused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
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
import mmgp.tensor.HalfPrecision;
import mmgp.testing.CloseAssertions;
import mmgp.testing.CpuBackendFixture;
import mmgp.testing.MappedWeights;
import org.junit.jupiter.api.Test;

/**
 * diffusers 0.33.1 VQModel.decode(indices, force_not_quantize=True, shape=(B, h, w, C)) on the
 * tiny aMUSEd fixture (golden case "vqvae_decode"), every element within 1e-4 + 1e-4·|expected|,
 * for the sample and each traced submodule output; the pipeline's image post-processing
 * against the end-to-end goldens; and the config checks.
 */
class VqDecoderGoldenTest extends CpuBackendFixture {
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/amused");
    private static final double ATOL = 1e-4, RTOL = 1e-4;
    private static final String[] TRACES = {"codebook_lookup", "post_quant_conv", "decoder.conv_in", "decoder.mid_block",
            "decoder.up_blocks.0", "decoder.up_blocks.1", "decoder.up_blocks.2", "decoder.conv_norm_out"};

    @Test
    void decodeMatchesTheGoldenSampleAndEveryTrace() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false);
             SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/vqvae_decode.safetensors"))) {
            VqConfig config = VqConfig.fromJson(ckpt.component("vqvae").config());
            VqDecoder decoder = new VqDecoder(config, weights, "vqvae.");
            long[] indices = golden.readLongs("indices");
            int batch = 2, h = 8, w = 8;
            try (Graph g = new Graph(backend)) {
                Tensor in = g.input("indices", GgmlType.I32, indices.length);
                Map<String, Tensor> trace = new LinkedHashMap<>();
                g.traceTo(trace);
                Tensor sample = g.output(decoder.build(g, in, batch, h, w));
                assertThat(sample.shape()).containsExactly(32, 32, 3, 2);
                assertThat(trace.keySet()).containsExactly(TRACES);
                int[] ids = new int[indices.length];
                for (int i = 0; i < ids.length; i++) ids[i] = (int) indices[i];
                g.set(in, ids);
                g.compute();
                for (String name : TRACES) assertClose("trace." + name, g.floats(trace.get(name)), golden.readFloats("trace." + name));
                assertClose("sample", g.floats(sample), golden.readFloats("sample"));
            }
            // The convenience path, without traces: the allocator may reuse every intermediate.
            assertClose("decode()", decoder.decode(backend, indices, batch, h, w), golden.readFloats("sample"));
        }
    }

    @Test
    void decodedImagesMatchTheEndToEndPipelineImages() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            VqDecoder decoder = new VqDecoder(VqConfig.fromJson(ckpt.component("vqvae").config()), weights, "vqvae.");
            for (String file : new String[] {"e2e_cfg", "e2e_nocfg"}) {
                try (SafetensorsFile golden = SafetensorsFile.open(FIXTURE.resolve("golden/" + file + ".safetensors"))) {
                    long[] tokens = golden.readLongs("final_tokens");
                    int batch = (int) golden.tensor("final_tokens").shape()[0];
                    float[] image = decoder.decodeImage(backend, tokens, batch, 8, 8); // (B, 32, 32, 3)
                    assertClose(file + " image", image, golden.readFloats("image"));
                    for (float v : image) assertThat(v).isBetween(0f, 1f);
                }
            }
        }
    }

    @Test
    void toImageClipsAndMovesChannelsLast() {
        // (B=1, C=2, H=1, W=3) → (1, 1, 3, 2)
        float[] sample = {-0.5f, 0.25f, 1.5f, 0.5f, 2f, -1f};
        assertThat(VqDecoder.toImage(sample, 1, 2, 1, 3)).containsExactly(0f, 0.5f, 0.25f, 1f, 1f, 0f);
    }

    @Test
    void badTokenIdsAreRefusedBeforeReachingGgml() throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            VqDecoder decoder = new VqDecoder(VqConfig.fromJson(ckpt.component("vqvae").config()), weights, "vqvae.");
            assertThatThrownBy(() -> decoder.decode(backend, new long[] {0, 64, 1, 2}, 1, 2, 2))
                    .hasMessageContaining("64").hasMessageContaining("outside the codebook");
            assertThatThrownBy(() -> decoder.decode(backend, new long[] {0, 1, 2}, 1, 2, 2)).hasMessageContaining("3 token ids");
        }
    }

    // ---------------------------------------------------------------- other configurations

    @Test
    void anotherShapeOfDecoderBuildsFromItsConfigAloneAndF16WeightsAgree() {
        // Two blocks, one resnet layer each, a codebook narrower than the latents, GELU,
        // a non-square grid: nothing of the fixture's sizes is built in.
        ObjectNode json = (ObjectNode) tinyConfig();
        json.putArray("block_out_channels").add(8).add(16);
        json.putArray("up_block_types").add("UpDecoderBlock2D").add("UpDecoderBlock2D");
        json.put("layers_per_block", 1).put("latent_channels", 4).put("vq_embed_dim", 6).put("num_vq_embeddings", 10)
                .put("norm_num_groups", 4).put("act_fn", "gelu");
        VqConfig config = VqConfig.fromJson(json);
        assertThat(config.vqEmbedDim()).isEqualTo(6);
        assertThat(config.upscaleFactor()).isEqualTo(2);
        int batch = 2, h = 3, w = 5;
        long[] ids = new long[batch * h * w];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7) % 10;
        Map<String, long[]> shapes = weightShapes(config);
        float[] f32 = decodeWithRandomWeights(config, shapes, GgmlType.F32, ids, batch, h, w);
        float[] f16 = decodeWithRandomWeights(config, shapes, GgmlType.F16, ids, batch, h, w);
        assertThat(f32).hasSize(batch * 3 * (h * 2) * (w * 2));
        double err = 0, ref = 0;
        for (int i = 0; i < f32.length; i++) {
            assertThat(Float.isFinite(f32[i])).isTrue();
            err += (f16[i] - f32[i]) * (double) (f16[i] - f32[i]);
            ref += f32[i] * (double) f32[i];
        }
        // F16 weights (the fp16-rounded same values) round the conv inputs to fp16 as well.
        System.out.printf("vq decoder F16 weights vs F32: relative RMS %.2e%n", Math.sqrt(err / ref));
        assertThat(Math.sqrt(err / ref)).isLessThan(1e-2);
    }

    @Test
    void theAmused256ConfigIsAccepted() throws Exception {
        String json = """
                {"_class_name": "VQModel", "act_fn": "silu", "block_out_channels": [128, 256, 256, 512, 768],
                 "force_upcast": true, "in_channels": 3, "latent_channels": 64, "layers_per_block": 2,
                 "lookup_from_codebook": true, "mid_block_add_attention": false, "norm_num_groups": 32,
                 "norm_type": "group", "num_vq_embeddings": 8192, "out_channels": 3, "sample_size": 32,
                 "scaling_factor": 0.18215, "vq_embed_dim": null,
                 "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]}""";
        VqConfig config = VqConfig.fromJson(new ObjectMapper().readTree(json));
        assertThat(config.upscaleFactor()).isEqualTo(16); // 16×16 tokens → 256×256 pixels
        assertThat(config.vqEmbedDim()).isEqualTo(64);
        assertThat(config.forceUpcast()).isTrue();
    }

    @Test
    void unsupportedOrMissingConfigValuesAreNamed() {
        ObjectNode spatial = (ObjectNode) tinyConfig();
        spatial.put("norm_type", "spatial");
        assertThatThrownBy(() -> VqConfig.fromJson(spatial)).hasMessageContaining("norm_type \"spatial\"").hasMessageContaining("not supported");
        ObjectNode attention = (ObjectNode) tinyConfig();
        attention.put("mid_block_add_attention", true);
        assertThatThrownBy(() -> VqConfig.fromJson(attention)).hasMessageContaining("mid_block_add_attention");
        ObjectNode older = (ObjectNode) tinyConfig();
        older.remove("mid_block_add_attention"); // diffusers' default is True: attention, which is refused
        assertThatThrownBy(() -> VqConfig.fromJson(older)).hasMessageContaining("mid_block_add_attention");
        ObjectNode missing = (ObjectNode) tinyConfig();
        missing.remove("block_out_channels");
        assertThatThrownBy(() -> VqConfig.fromJson(missing)).hasMessageContaining("VQModel config is missing 'block_out_channels'");
        ObjectNode attnUp = (ObjectNode) tinyConfig();
        attnUp.putArray("up_block_types").add("AttnUpDecoderBlock2D").add("UpDecoderBlock2D").add("UpDecoderBlock2D");
        assertThatThrownBy(() -> VqConfig.fromJson(attnUp)).hasMessageContaining("AttnUpDecoderBlock2D");
        ObjectNode groups = (ObjectNode) tinyConfig();
        groups.put("norm_num_groups", 6);
        assertThatThrownBy(() -> VqConfig.fromJson(groups)).hasMessageContaining("norm_num_groups 6");
        ObjectNode mish = (ObjectNode) tinyConfig();
        mish.put("act_fn", "mish");
        assertThatThrownBy(() -> VqConfig.fromJson(mish)).hasMessageContaining("act_fn \"mish\"");
        ObjectNode noLookup = (ObjectNode) tinyConfig();
        noLookup.put("lookup_from_codebook", false);
        VqConfig c = VqConfig.fromJson(noLookup);
        try (Arena arena = Arena.ofConfined();
             WeightSet empty = WeightSet.map(backend, arena.allocate(64, 64), List.of(), false)) {
            assertThatThrownBy(() -> new VqDecoder(c, empty, "vqvae.")).hasMessageContaining("lookup_from_codebook");
        }
    }

    @Test
    void aCheckpointThatDoesNotMatchTheConfigNamesTheWeight() throws Exception {
        ObjectNode wrong = (ObjectNode) tinyConfig();
        wrong.put("latent_channels", 8);
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"));
             WeightSet weights = WeightSet.fromCheckpoint(backend, ckpt, false)) {
            assertThatThrownBy(() -> new VqDecoder(VqConfig.fromJson(wrong), weights, "vqvae."))
                    .hasMessageContaining("vqvae.quantize.embedding.weight").hasMessageContaining("[8, 64, 1, 1]");
        }
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode tinyConfig() {
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE.resolve("checkpoint"))) {
            return ckpt.component("vqvae").config().deepCopy();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertClose(String what, float[] actual, float[] expected) {
        CloseAssertions.assertClose(what, actual, expected, ATOL, RTOL);
    }

    /** The decoder's weights in diffusers' names and ggml shapes, for a config (an independent listing of vae.py's modules). */
    private static Map<String, long[]> weightShapes(VqConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        List<Integer> ch = c.blockOutChannels();
        int top = ch.get(ch.size() - 1);
        m.put("vqvae.quantize.embedding.weight", new long[] {c.vqEmbedDim(), c.numVqEmbeddings()});
        conv(m, "vqvae.post_quant_conv", c.vqEmbedDim(), c.latentChannels(), 1);
        conv(m, "vqvae.decoder.conv_in", c.latentChannels(), top, 3);
        for (int r = 0; r < 2; r++) resnet(m, "vqvae.decoder.mid_block.resnets." + r, top, top);
        int out = top;
        for (int i = 0; i < ch.size(); i++) {
            int prev = out;
            out = ch.get(ch.size() - 1 - i);
            for (int r = 0; r <= c.layersPerBlock(); r++) resnet(m, "vqvae.decoder.up_blocks." + i + ".resnets." + r, r == 0 ? prev : out, out);
            if (i < ch.size() - 1) conv(m, "vqvae.decoder.up_blocks." + i + ".upsamplers.0.conv", out, out, 3);
        }
        m.put("vqvae.decoder.conv_norm_out.weight", new long[] {ch.get(0)});
        m.put("vqvae.decoder.conv_norm_out.bias", new long[] {ch.get(0)});
        conv(m, "vqvae.decoder.conv_out", ch.get(0), c.outChannels(), 3);
        return m;
    }

    private static void conv(Map<String, long[]> m, String name, int in, int out, int k) {
        m.put(name + ".weight", new long[] {k, k, in, out});
        m.put(name + ".bias", new long[] {out});
    }

    private static void resnet(Map<String, long[]> m, String name, int in, int out) {
        m.put(name + ".norm1.weight", new long[] {in});
        m.put(name + ".norm1.bias", new long[] {in});
        conv(m, name + ".conv1", in, out, 3);
        m.put(name + ".norm2.weight", new long[] {out});
        m.put(name + ".norm2.bias", new long[] {out});
        conv(m, name + ".conv2", out, out, 3);
        if (in != out) conv(m, name + ".conv_shortcut", in, out, 1);
    }

    /** Seeded random weights (fp16-representable, so both types hold the same values) in one region, decoded. */
    private static float[] decodeWithRandomWeights(VqConfig config, Map<String, long[]> shapes, GgmlType type,
            long[] ids, int batch, int h, int w) {
        SplittableRandom random = new SplittableRandom(5);
        List<MappedWeights.Spec> specs = new ArrayList<>();
        for (var e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            boolean norm = e.getKey().contains("norm") && e.getKey().endsWith(".weight");
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                double x = norm ? 1 + 0.2 * (random.nextDouble() - 0.5) : 0.3 * (random.nextDouble() - 0.5);
                v[i] = HalfPrecision.f16ToFloat(HalfPrecision.floatToF16((float) x));
            }
            specs.add(new MappedWeights.Spec(e.getKey(), type, e.getValue(), v));
        }
        try (Arena arena = Arena.ofConfined(); WeightSet weights = MappedWeights.map(backend, arena, specs)) {
            return new VqDecoder(config, weights, "vqvae.").decode(backend, ids, batch, h, w);
        }
    }
}
