package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mmgp.bindings.NativeLibraries;
import mmgp.graph.ComputeBackend;
import mmgp.safetensors.SafetensorsFile;
import mmgp.safetensors.SafetensorsTensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lightricks single-file LTX-Video checkpoints: a file built from each diffusers fixture by the
 * inverse of diffusers' single-file key mapping gives bit-identical latents and pixels.
 */
public class LtxSingleFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One raw tensor to write. */
    record Raw(String name, String dtype, long[] shape, byte[] data) {}

    static void write(Path out, Map<String, String> metadata, List<Raw> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long off = 0;
        for (Raw r : tensors) {
            ObjectNode t = header.putObject(r.name());
            t.put("dtype", r.dtype());
            var shape = t.putArray("shape");
            for (long d : r.shape()) shape.add(d);
            var offsets = t.putArray("data_offsets");
            offsets.add(off);
            offsets.add(off + r.data().length);
            off += r.data().length;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int pad = (8 - h.length % 8) % 8;
        byte[] hp = new byte[h.length + pad];
        System.arraycopy(h, 0, hp, 0, h.length);
        for (int i = h.length; i < hp.length; i++) hp[i] = ' ';
        try (var os = Files.newOutputStream(out)) {
            os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hp.length).array());
            os.write(hp);
            for (Raw r : tensors) os.write(r.data());
        }
    }

    static List<Raw> read(Path file, java.util.function.Function<String, String> rename) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            List<Raw> out = new java.util.ArrayList<>();
            for (SafetensorsTensorInfo t : f.tensors()) {
                MemorySegment d = f.data(t);
                out.add(new Raw(rename.apply(t.name()), t.dtype().name(), t.shape(), d.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            }
            return out;
        }
    }

    /** diffusers transformer name → original (inverse of diffusers' renames). */
    static String originalTransformer(String d) {
        return "model.diffusion_model." + d.replace("proj_in", "patchify_proj").replace("time_embed", "adaln_single")
                .replace("norm_q", "q_norm").replace("norm_k", "k_norm");
    }

    /** diffusers VAE name → original, by the block tables of the layout (the longest diffusers prefix wins). */
    static String originalVae(String d, LtxSingleFile.VaeLayout layout) {
        String[] up = layout == LtxSingleFile.VaeLayout.V090
                ? new String[] {"mid_block", "up_blocks.0", "up_blocks.1.upsamplers.0", "up_blocks.1", "up_blocks.2.conv_in",
                        "up_blocks.2.upsamplers.0", "up_blocks.2", "up_blocks.3.conv_in", "up_blocks.3.upsamplers.0", "up_blocks.3"}
                : new String[] {"mid_block", "up_blocks.0.upsamplers.0", "up_blocks.0", "up_blocks.1.upsamplers.0", "up_blocks.1",
                        "up_blocks.2.upsamplers.0", "up_blocks.2", "up_blocks.3.upsamplers.0", "up_blocks.3"};
        String[] down = layout == LtxSingleFile.VaeLayout.V095
                ? new String[] {"down_blocks.0", "down_blocks.0.downsamplers.0", "down_blocks.1", "down_blocks.1.downsamplers.0",
                        "down_blocks.2", "down_blocks.2.downsamplers.0", "down_blocks.3", "down_blocks.3.downsamplers.0", "mid_block"}
                : new String[] {"down_blocks.0", "down_blocks.0.downsamplers.0", "down_blocks.0.conv_out", "down_blocks.1",
                        "down_blocks.1.downsamplers.0", "down_blocks.1.conv_out", "down_blocks.2", "down_blocks.2.downsamplers.0",
                        "down_blocks.3", "mid_block"};
        String s = d;
        String part = s.startsWith("decoder.") ? "decoder." : s.startsWith("encoder.") ? "encoder." : null;
        if (part != null) {
            String rest = s.substring(part.length());
            String[] table = part.equals("decoder.") ? up : down;
            String prefix = part.equals("decoder.") ? "up_blocks." : "down_blocks.";
            int best = -1;
            for (int i = 0; i < table.length; i++) {
                if (rest.startsWith(table[i] + ".") && (best < 0 || table[i].length() > table[best].length())) best = i;
            }
            if (best >= 0) rest = prefix + best + rest.substring(table[best].length());
            if (part.equals("decoder.") && layout != LtxSingleFile.VaeLayout.V090) {
                if (rest.startsWith("time_embedder.")) rest = "last_" + rest;
                if (rest.equals("scale_shift_table")) rest = "last_scale_shift_table";
            }
            s = part + rest;
        }
        s = s.replace("resnets", "res_blocks").replace("conv_shortcut.conv", "conv_shortcut").replace("norm3.", "norm3.norm.")
                .replace("latents_mean", "per_channel_statistics.mean-of-means").replace("latents_std", "per_channel_statistics.std-of-means");
        return "vae." + s;
    }

    /** Writes a single file from a fixture's diffusers folder, with a Lightricks-style transformer header and a diffusers VAE header. */
    public static Path singleFileOf(Path checkpoint, LtxSingleFile.VaeLayout layout, Path out) throws IOException {
        return singleFileOf(checkpoint, layout, out, JSON.createObjectNode(), t -> { });
    }

    /** As {@link #singleFileOf(Path, LtxSingleFile.VaeLayout, Path)} with {@code extra} top-level entries in the header config (e.g. a distilled release's allowed_inference_steps). */
    public static Path singleFileOf(Path checkpoint, LtxSingleFile.VaeLayout layout, Path out, ObjectNode extra) throws IOException {
        return singleFileOf(checkpoint, layout, out, extra, t -> { });
    }

    /** As {@link #singleFileOf(Path, LtxSingleFile.VaeLayout, Path)}, with the header's transformer section edited by {@code edit}. */
    static Path singleFileOf(Path checkpoint, LtxSingleFile.VaeLayout layout, Path out, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        return singleFileOf(checkpoint, layout, out, JSON.createObjectNode(), edit);
    }

    private static Path singleFileOf(Path checkpoint, LtxSingleFile.VaeLayout layout, Path out, ObjectNode extra,
                                     java.util.function.Consumer<ObjectNode> edit) throws IOException {
        List<Raw> tensors = new java.util.ArrayList<>(read(checkpoint.resolve("transformer/diffusion_pytorch_model.safetensors"), LtxSingleFileTest::originalTransformer));
        tensors.addAll(read(checkpoint.resolve("vae/diffusion_pytorch_model.safetensors"), n -> originalVae(n, layout)));
        // statistics diffusers drops
        tensors.add(new Raw("vae.per_channel_statistics.channel", "I64", new long[] {2}, new byte[16]));
        tensors.add(new Raw("vae.per_channel_statistics.mean-of-stds", "F32", new long[] {1}, new byte[4]));
        ObjectNode t = (ObjectNode) JSON.readTree(checkpoint.resolve("transformer/config.json").toFile());
        t.put("_class_name", "Transformer3DModel");
        t.put("qk_norm", "rms_norm");
        t.remove("attention_out_bias");
        edit.accept(t);
        ObjectNode config = JSON.createObjectNode();
        config.set("transformer", t);
        config.set("vae", JSON.readTree(checkpoint.resolve("vae/config.json").toFile()));
        config.setAll(extra);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("config", JSON.writeValueAsString(config));
        write(out, meta, tensors);
        return out;
    }

    @Test
    void theInverseMappingRoundTrips() throws IOException {
        for (var c : List.of(new Object[] {"ltx_video", LtxSingleFile.VaeLayout.V090}, new Object[] {"ltx_video_095", LtxSingleFile.VaeLayout.V095})) {
            Path ck = Path.of("src/test/resources/fixtures/" + c[0] + "/checkpoint");
            var layout = (LtxSingleFile.VaeLayout) c[1];
            try (SafetensorsFile v = SafetensorsFile.open(ck.resolve("vae/diffusion_pytorch_model.safetensors"));
                 SafetensorsFile t = SafetensorsFile.open(ck.resolve("transformer/diffusion_pytorch_model.safetensors"))) {
                for (String n : v.names()) assertThat(LtxSingleFile.vaeName(originalVae(n, layout), layout)).as(n).isEqualTo(n);
                for (String n : t.names()) assertThat(LtxSingleFile.transformerName(originalTransformer(n))).as(n).isEqualTo(n);
                Set<String> originals = new java.util.TreeSet<>();
                for (String n : v.names()) originals.add(originalVae(n, layout));
                assertThat(LtxSingleFile.layoutFromKeys(originals)).isEqualTo(layout);
            }
        }
    }

    @Test
    void aHeaderNamingHalfTheHeadSplitGetsTheOtherHalfFromTheWidth(@TempDir Path tmp) throws IOException {
        Path ck = Path.of("src/test/resources/fixtures/ltx_video_095/checkpoint");
        LtxTransformerConfig expected = LtxTransformerConfig.from(JSON.readTree(ck.resolve("transformer/config.json").toFile()));
        // the fixture is 40 wide as 2 heads × 20; a header may name either
        for (String only : List.of("num_attention_heads", "attention_head_dim")) {
            Path f = singleFileOf(ck, LtxSingleFile.VaeLayout.V095, tmp.resolve(only + ".safetensors"),
                    t -> t.remove(only.equals("num_attention_heads") ? "attention_head_dim" : "num_attention_heads"));
            try (LtxSingleFile s = LtxSingleFile.open(f)) {
                assertThat(LtxTransformerConfig.from(s.transformerConfig())).as("header with only " + only).isEqualTo(expected);
            }
        }
        Path odd = singleFileOf(ck, LtxSingleFile.VaeLayout.V095, tmp.resolve("odd.safetensors"), t -> {
            t.remove("attention_head_dim");
            t.put("num_attention_heads", 3);
        });
        assertThatThrownBy(() -> LtxSingleFile.open(odd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 heads").hasMessageContaining("40 wide");
    }

    @Test
    void lightricksVaeHeadersSelectTheRelease() throws IOException {
        assertThat(LtxSingleFile.layoutFromLightricksConfig(JSON.readTree("{\"timestep_conditioning\":false}"))).isEqualTo(LtxSingleFile.VaeLayout.V090);
        assertThat(LtxSingleFile.layoutFromLightricksConfig(JSON.readTree("{\"timestep_conditioning\":true}"))).isEqualTo(LtxSingleFile.VaeLayout.V091);
        assertThat(LtxSingleFile.layoutFromLightricksConfig(JSON.readTree(
                "{\"timestep_conditioning\":true,\"encoder_blocks\":[[\"res_x\",{\"num_layers\":4}],[\"compress_space_res\",{\"multiplier\":2}]]}")))
                .isEqualTo(LtxSingleFile.VaeLayout.V095);
        for (var l : LtxSingleFile.VaeLayout.values()) {
            LtxVaeConfig c = LtxVaeConfig.fromJson(LtxSingleFile.releaseVaeConfig(l));
            assertThat(c.latentChannels()).isEqualTo(128);
            assertThat(c.timestepConditioning()).isEqualTo(l != LtxSingleFile.VaeLayout.V090);
        }
    }

    @Test
    void aSingleFileGivesTheSameVideoAsTheFolder(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        for (var c : List.of(new Object[] {"ltx_video", LtxSingleFile.VaeLayout.V090}, new Object[] {"ltx_video_095", LtxSingleFile.VaeLayout.V095})) {
            Path ck = Path.of("src/test/resources/fixtures/" + c[0] + "/checkpoint");
            Path single = singleFileOf(ck, (LtxSingleFile.VaeLayout) c[1], tmp.resolve(c[0] + ".safetensors"));
            try (LtxSingleFile f = LtxSingleFile.open(single)) {
                assertThat(f.vaeLayout()).isEqualTo(c[1]);
                assertThat(f.names()).noneMatch(n -> n.contains("per_channel_statistics"));
            }
            try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel fromSingle = LtxModel.open(single, ck, backend);
                 LtxModel fromFolder = LtxModel.open(ck, backend)) {
                assertThat(fromSingle.hasVaeEncoder()).isTrue();
                var o = LtxTestOptions.of(9, 64, 64, 2, 3f, 32, 5);
                var a = LtxPipeline.generate(fromSingle, backend, List.of("a red car"), o, mmgp.api.ProgressListener.NONE);
                var b = LtxPipeline.generate(fromFolder, backend, List.of("a red car"), o, mmgp.api.ProgressListener.NONE);
                assertThat(a.latents()).as("transformer output (final latents) " + c[0]).containsExactly(b.latents());
                assertThat(a.pixels()).as("VAE decode " + c[0]).containsExactly(b.pixels());
            }
        }
    }

    @Test
    void nonLtxFilesAreRefusedByWhatTheyAre(@TempDir Path tmp) throws Exception {
        Path other = tmp.resolve("other.safetensors");
        write(other, Map.of("format", "pt"), List.of(new Raw("model.layers.0.weight", "F32", new long[] {2}, new byte[8])));
        assertThatThrownBy(() -> LtxSingleFile.open(other)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no LTX-Video checkpoint").hasMessageContaining("model.layers.0.weight");
        if (NativeLibraries.available()) {
            try (ComputeBackend backend = ComputeBackend.cpu(1)) {
                assertThatThrownBy(() -> LtxModel.open(other, backend)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("no LTX-Video checkpoint");
            }
        }
        Path ltx2 = tmp.resolve("ltx2.safetensors");
        write(ltx2, Map.of(), List.of(new Raw("model.diffusion_model.patchify_proj.weight", "F32", new long[] {2}, new byte[8]),
                new Raw("audio_vae.per_channel_statistics.mean-of-means", "F32", new long[] {2}, new byte[8])));
        assertThatThrownBy(() -> LtxSingleFile.open(ltx2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LTX-2");
        Path diffusers = Path.of("src/test/resources/fixtures/ltx_video/checkpoint/transformer/diffusion_pytorch_model.safetensors");
        assertThatThrownBy(() -> LtxSingleFile.open(diffusers)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("diffusers");
    }
}
