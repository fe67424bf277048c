package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import mmgp.api.VideoOptions;
import mmgp.bindings.NativeLibraries;
import mmgp.convert.ConversionPlan;
import mmgp.convert.TensorEncoder;
import mmgp.convert.TypePolicy;
import mmgp.gguf.GgufWriter;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.safetensors.SafetensorsFile;
import mmgp.safetensors.SafetensorsTensorInfo;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint formats beside the diffusers folder: ComfyUI-GGUF transformers (original key
 * names, "ltxv", any ggml type) with a T5/VAE source, transformers of other sizes than 2B (the
 * widths from the shapes), and {@code mmgp convert} of single files and ComfyUI GGUFs. Each file
 * is made from the ltx_video_095 fixture (or a random transformer beside its other components)
 * by the inverse mapping, and must give the same video as the diffusers layout, bit for bit.
 */
class LtxCheckpointFormatsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/ltx_video_095/checkpoint");
    private static final VideoOptions RUN = LtxTestOptions.of(9, 64, 64, 2, 3f, 32, 5);

    /** 13B's shape in small: 32 heads (as 13B; the fixture has 2) of 8, 3 layers (fixture 2). */
    private static final String WIDE_32_HEADS = """
            {"_class_name":"LTXVideoTransformer3DModel","in_channels":16,"out_channels":16,"num_attention_heads":32,"attention_head_dim":8,
             "cross_attention_dim":256,"num_layers":3,"caption_channels":32,"activation_fn":"gelu-approximate","qk_norm":"rms_norm_across_heads",
             "norm_elementwise_affine":false,"norm_eps":1e-6,"attention_bias":true,"attention_out_bias":true,"patch_size":1,"patch_size_t":1}""";
    /** A head count no release has (8 × 32): only a config can tell it. */
    private static final String EIGHT_HEADS = WIDE_32_HEADS.replace("\"num_attention_heads\":32,\"attention_head_dim\":8", "\"num_attention_heads\":8,\"attention_head_dim\":32")
            .replace("\"num_layers\":3", "\"num_layers\":4");

    @BeforeAll
    static void natives() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    // ---- building the files ----

    /** A diffusers folder: the fixture's text encoder, tokenizer, scheduler and VAE, and a transformer of {@code config} with random weights. */
    static Path folderWithTransformer(String config, long seed, Path dir) throws IOException {
        Files.createDirectories(dir.resolve("transformer"));
        for (String c : List.of("text_encoder", "tokenizer", "scheduler", "vae")) {
            Files.createSymbolicLink(dir.resolve(c), FIXTURE.resolve(c).toAbsolutePath());
        }
        Files.copy(FIXTURE.resolve("model_index.json"), dir.resolve("model_index.json"));
        Files.writeString(dir.resolve("transformer/config.json"), config);
        WeightSet recorder = WeightSet.recorder();
        try {
            new LtxTransformer(LtxTransformerConfig.from(JSON.readTree(config)), recorder, "");
            Random r = new Random(seed);
            List<LtxSingleFileTest.Raw> tensors = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : recorder.all().entrySet()) {
                long[] ne = e.getValue().shape();
                int rank = 4;
                while (rank > 1 && ne[rank - 1] == 1) rank--;
                long[] torch = new long[rank];
                for (int i = 0; i < rank; i++) torch[i] = ne[rank - 1 - i];
                int n = (int) (ne[0] * ne[1] * ne[2] * ne[3]);
                ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
                boolean norm = e.getKey().contains("norm_");
                double scale = rank == 2 && !e.getKey().contains("scale_shift") ? 1 / Math.sqrt(ne[0]) : 0.1;
                for (int i = 0; i < n; i++) b.putFloat((float) ((norm ? 1 : 0) + scale * r.nextGaussian()));
                tensors.add(new LtxSingleFileTest.Raw(e.getKey(), "F32", torch, b.array()));
            }
            LtxSingleFileTest.write(dir.resolve("transformer/diffusion_pytorch_model.safetensors"), Map.of("format", "pt"), tensors);
        } finally {
            recorder.close();
        }
        return dir;
    }

    /**
     * A ComfyUI-GGUF transformer from a diffusers folder's transformer: original key names without
     * {@code model.diffusion_model.}, arch "ltxv", PyTorch shapes reversed, each tensor in the type
     * {@code typeOf(originalName, ggmlShape)} chooses.
     */
    static Path comfyGguf(Path checkpoint, Path out, BiFunction<String, long[], GgmlType> typeOf, Arena arena) throws IOException {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "ltxv");
        w.putUInt32("general.quantization_version", 2);
        try (SafetensorsFile f = SafetensorsFile.open(checkpoint.resolve("transformer/diffusion_pytorch_model.safetensors"))) {
            for (SafetensorsTensorInfo t : f.tensors()) {
                String original = LtxSingleFileTest.originalTransformer(t.name()).substring("model.diffusion_model.".length());
                long[] ne = ConversionPlan.ggmlShape(t.shape());
                GgmlType type = typeOf.apply(original, ne);
                MemorySegment src = arena.allocate(t.elementCount() * 4, 64);
                MemorySegment.copy(f.data(t), 0, src, 0, t.elementCount() * 4); // the fixtures are F32
                long rows = t.elementCount() / ne[0];
                MemorySegment dst = arena.allocate(type.rowBytes(ne[0]) * rows, 64);
                TensorEncoder.encode(type, src, rows, ne[0], dst);
                w.addTensor(original, type, ne, dst);
            }
        }
        w.write(out);
        return out;
    }

    private static GgmlType asStored(String name, long[] ne) {
        return GgmlType.F32;
    }

    /** As ComfyUI-GGUF's quantizer: block matrices in {@code type}, embedders, projections, tables and vectors not. */
    private static BiFunction<String, long[], GgmlType> quantizedAs(GgmlType type) {
        return (name, ne) -> name.startsWith("transformer_blocks.") && name.endsWith(".weight") && ne.length == 2
                && ne[0] % type.blockSize() == 0 ? type : GgmlType.F32;
    }

    private static LtxPipeline.Video run(LtxModel m, ComputeBackend backend) throws Exception {
        return LtxPipeline.generate(m, backend, List.of("a red car"), RUN, mmgp.api.ProgressListener.NONE);
    }

    private static void assertSame(LtxPipeline.Video a, LtxPipeline.Video b, String what) {
        assertThat(a.latents()).as("transformer output (final latents), " + what).containsExactly(b.latents());
        assertThat(a.pixels()).as("VAE decode, " + what).containsExactly(b.pixels());
    }

    private static double relativeRms(float[] a, float[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - ref[i]) * (double) (a[i] - ref[i]);
            den += ref[i] * (double) ref[i];
        }
        return Math.sqrt(num / den);
    }

    // ---- ComfyUI GGUF ----

    @Test
    void aComfyGgufGivesTheSameVideoAsTheFolder(@TempDir Path tmp) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Path gguf = comfyGguf(FIXTURE, tmp.resolve("ltx-video-095-F32.gguf"), LtxCheckpointFormatsTest::asStored, arena);
            try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel comfy = LtxModel.open(gguf, FIXTURE, backend);
                 LtxModel folder = LtxModel.open(FIXTURE, backend)) {
                // the fixture's 2 heads × 20 come from the T5 source's transformer config, which agrees with the shapes
                assertThat(comfy.transformer().config()).isEqualTo(folder.transformer().config());
                assertThat(comfy.hasVaeEncoder()).isTrue();
                assertSame(run(comfy, backend), run(folder, backend), "ComfyUI GGUF + diffusers T5/VAE");
            }
            try (ComputeBackend backend = ComputeBackend.cpu(1)) {
                assertThatThrownBy(() -> LtxModel.open(gguf, backend)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("ComfyUI-GGUF LTX-Video transformer").hasMessageContaining("--text-encoder");
            }
        }
    }

    @Test
    void kQuantizedComfyGgufsRunAndConvertUnchanged(@TempDir Path tmp) throws Exception {
        Path folder = folderWithTransformer(WIDE_32_HEADS, 7, tmp.resolve("wide"));
        try (Arena arena = Arena.ofConfined(); ComputeBackend backend = ComputeBackend.cpu(2); LtxModel reference = LtxModel.open(folder, backend)) {
            LtxPipeline.Video f32 = run(reference, backend);
            for (GgmlType type : List.of(GgmlType.Q4_K, GgmlType.Q8_0)) {
                Path gguf = comfyGguf(folder, tmp.resolve("wide-" + type + ".gguf"), quantizedAs(type), arena);
                Path converted = tmp.resolve("wide-" + type + "-mmgp.gguf");
                LtxPipeline.Video q;
                try (LtxComfyGguf g = LtxComfyGguf.open(gguf)) {
                    assertThat(g.types()).containsKey(type);
                }
                // the T5 source (the fixture folder) has a 2-head transformer config that does not fit: the releases' 32 heads apply
                try (LtxModel comfy = LtxModel.open(gguf, FIXTURE, backend)) {
                    assertThat(comfy.transformer().config().numAttentionHeads()).isEqualTo(32);
                    assertThat(comfy.transformer().config().numLayers()).isEqualTo(3);
                    assertThat(comfy.weights().all().get("transformer.transformer_blocks.0.attn1.to_q.weight").type()).isEqualTo(type);
                    q = run(comfy, backend);
                }
                // close to the F32 weights' video, as 4- and 8-bit weights go (a misread layout is off by ~100 %), yet not equal
                assertThat(relativeRms(q.latents(), f32.latents())).as(type + " latents vs F32")
                        .isLessThan(type == GgmlType.Q4_K ? 0.15 : 0.02).isGreaterThan(0);
                // converting keeps the quantized tensors as they are (F32 asked for the float ones): the same video from the converted file
                convert(gguf, FIXTURE, GgmlType.F32, converted);
                try (LtxModel m = LtxModel.open(converted, backend)) {
                    assertThat(m.weights().all().get("transformer.transformer_blocks.0.attn1.to_q.weight").type()).isEqualTo(type);
                    assertSame(run(m, backend), q, "converted " + type + " ComfyUI GGUF");
                }
            }
        }
    }

    static void convert(Path input, Path companion, GgmlType type, Path out) throws Exception {
        LtxConverter converter = new LtxConverter();
        TypePolicy policy = new TypePolicy(type);
        converter.adjust(policy);
        ConversionPlan plan = new ConversionPlan(policy);
        try (AutoCloseable sources = converter.planFile(input, companion, plan)) {
            plan.write(out, item -> { });
        }
    }

    // ---- sizes other than 2B ----

    @Test
    void otherSizesLoadFromTheirShapesThroughEveryFormat(@TempDir Path tmp) throws Exception {
        for (String config : List.of(WIDE_32_HEADS, EIGHT_HEADS)) {
            boolean releaseHeads = config.equals(WIDE_32_HEADS);
            Path folder = folderWithTransformer(config, 11, tmp.resolve(releaseHeads ? "wide" : "eight"));
            // a single file whose header has the VAE's diffusers config and, for 8 heads, the Lightricks transformer config
            ObjectNode t = null;
            if (!releaseHeads) {
                t = (ObjectNode) JSON.readTree(config);
                t.put("_class_name", "Transformer3DModel");
                t.put("qk_norm", "rms_norm");
            }
            Path single = singleFileOf(folder, t, tmp.resolve((releaseHeads ? "wide" : "eight") + ".safetensors"));
            try (LtxSingleFile f = LtxSingleFile.open(single)) {
                LtxTransformerConfig c = LtxTransformerConfig.from(f.transformerConfig());
                assertThat(c).isEqualTo(LtxTransformerConfig.from(JSON.readTree(config)));
            }
            try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel fromFolder = LtxModel.open(folder, backend);
                 LtxModel fromSingle = LtxModel.open(single, FIXTURE, backend)) {
                LtxPipeline.Video expected = run(fromFolder, backend);
                assertSame(run(fromSingle, backend), expected, "single file, " + config);
                Path converted = tmp.resolve((releaseHeads ? "wide" : "eight") + "-mmgp.gguf");
                convert(single, folder, GgmlType.F32, converted);
                try (LtxModel m = LtxModel.open(converted, backend)) {
                    assertSame(run(m, backend), expected, "converted single file, " + config);
                }
            }
        }
    }

    /** A single file of {@code folder}'s transformer and the fixture's VAE; its header has the VAE's diffusers config and {@code transformer} (or none). */
    private static Path singleFileOf(Path folder, ObjectNode transformer, Path out) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.set("vae", JSON.readTree(FIXTURE.resolve("vae/config.json").toFile()));
        if (transformer != null) header.set("transformer", transformer);
        List<LtxSingleFileTest.Raw> tensors = new ArrayList<>(LtxSingleFileTest.read(
                folder.resolve("transformer/diffusion_pytorch_model.safetensors"), LtxSingleFileTest::originalTransformer));
        tensors.addAll(LtxSingleFileTest.read(FIXTURE.resolve("vae/diffusion_pytorch_model.safetensors"),
                n -> LtxSingleFileTest.originalVae(n, LtxSingleFile.VaeLayout.V095)));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("config", JSON.writeValueAsString(header));
        LtxSingleFileTest.write(out, meta, tensors);
        return out;
    }

    @Test
    void aSingleFileWithoutTransformerHeaderTakesTheHeadsOfAMatchingCompanion(@TempDir Path tmp) throws Exception {
        Path folder = folderWithTransformer(EIGHT_HEADS, 13, tmp.resolve("eight"));
        Path single = singleFileOf(folder, null, tmp.resolve("eight.safetensors"));
        try (LtxSingleFile f = LtxSingleFile.open(single)) {
            assertThat(f.transformerConfig().path("num_attention_heads").asInt()).as("no header, no companion").isEqualTo(32);
            assertThat(f.transformerConfig(JSON.readTree(FIXTURE.resolve("transformer/config.json").toFile()))
                    .path("num_attention_heads").asInt()).as("a companion of another size").isEqualTo(32);
        }
        try (ComputeBackend backend = ComputeBackend.cpu(2); LtxModel fromFolder = LtxModel.open(folder, backend);
             LtxModel fromSingle = LtxModel.open(single, folder, backend)) {
            assertThat(fromSingle.transformer().config().numAttentionHeads()).isEqualTo(8);
            LtxPipeline.Video expected = run(fromFolder, backend);
            assertSame(run(fromSingle, backend), expected, "single file without header, heads from the companion");
            Path converted = tmp.resolve("eight-mmgp.gguf");
            convert(single, folder, GgmlType.F32, converted);
            try (LtxModel m = LtxModel.open(converted, backend)) {
                assertSame(run(m, backend), expected, "converted single file without header");
            }
        }
    }

    @Test
    void lowTypesKeepTheModulationTablesAndEmbeddersPrecise(@TempDir Path tmp) throws Exception {
        Path folder = folderWithTransformer(WIDE_32_HEADS, 17, tmp.resolve("wide")); // 256 wide: whole Q4_K rows
        try (Arena arena = Arena.ofConfined()) {
            Path gguf = comfyGguf(folder, tmp.resolve("wide-F32.gguf"), LtxCheckpointFormatsTest::asStored, arena);
            LtxConverter converter = new LtxConverter();
            TypePolicy policy = new TypePolicy(GgmlType.Q4_K);
            converter.adjust(policy);
            ConversionPlan comfy = new ConversionPlan(policy);
            ConversionPlan fromFolder = new ConversionPlan(policy);
            try (AutoCloseable sources = converter.planFile(gguf, FIXTURE, comfy); mmgp.convert.HfCheckpoint ck = mmgp.convert.HfCheckpoint.open(folder)) {
                converter.plan(ck, fromFolder);
                for (ConversionPlan plan : List.of(comfy, fromFolder)) {
                    Map<String, GgmlType> types = new LinkedHashMap<>();
                    for (ConversionPlan.Item i : plan.items()) types.put(i.ggufName(), i.type());
                    assertThat(types).containsEntry("transformer.transformer_blocks.0.attn1.to_q.weight", GgmlType.Q4_K)
                            .containsEntry("transformer.transformer_blocks.0.scale_shift_table", GgmlType.F32)
                            .containsEntry("transformer.scale_shift_table", GgmlType.F32)
                            .containsEntry("transformer.time_embed.linear.weight", GgmlType.F16)
                            .containsEntry("transformer.time_embed.emb.timestep_embedder.linear_2.weight", GgmlType.F16)
                            .containsEntry("transformer.caption_projection.linear_2.weight", GgmlType.F16)
                            .containsEntry("transformer.proj_out.weight", GgmlType.F16)
                            .containsEntry("transformer.proj_out.bias", GgmlType.F32);
                }
            }
        }
        TypePolicy f16 = new TypePolicy(GgmlType.F16);
        new LtxConverter().adjust(f16);
        assertThat(f16.typeFor("transformer.transformer_blocks.0.scale_shift_table", new long[] {256, 6})).isEqualTo(GgmlType.F32);
        assertThat(f16.typeFor("transformer.proj_out.weight", new long[] {256, 16})).isEqualTo(GgmlType.F16);
    }

    @Test
    void aComfyTransformerWhoseNameTellsAnotherVaeReleaseIsWarnedAbout(@TempDir Path tmp) throws Exception {
        com.fasterxml.jackson.databind.JsonNode vae095 = JSON.readTree(FIXTURE.resolve("vae/config.json").toFile());
        try (Arena arena = Arena.ofConfined()) {
            Path old = comfyGguf(FIXTURE, tmp.resolve("ltx-video-2b-v0.9.1-Q8_0.gguf"), LtxCheckpointFormatsTest::asStored, arena);
            Path same = comfyGguf(FIXTURE, tmp.resolve("ltxv-2b-0.9.8-distilled-Q8_0.gguf"), LtxCheckpointFormatsTest::asStored, arena);
            Path unnamed = comfyGguf(FIXTURE, tmp.resolve("transformer.gguf"), LtxCheckpointFormatsTest::asStored, arena);
            try (LtxComfyGguf g = LtxComfyGguf.open(old)) {
                assertThat(g.vaeMismatch(vae095, FIXTURE)).startsWith("warning: ").contains("0.9.1 VAE").contains("has the 0.9.5 one")
                        .doesNotContain("\n");
            }
            try (LtxComfyGguf g = LtxComfyGguf.open(same); LtxComfyGguf u = LtxComfyGguf.open(unnamed)) {
                assertThat(g.vaeMismatch(vae095, FIXTURE)).isNull();
                assertThat(u.vaeMismatch(vae095, FIXTURE)).as("nothing tells the release of a 2B transformer").isNull();
            }
        }
    }

    @Test
    void aHeaderThatContradictsTheTensorsIsRefused(@TempDir Path tmp) throws Exception {
        ObjectNode t = (ObjectNode) JSON.readTree(FIXTURE.resolve("transformer/config.json").toFile());
        t.put("_class_name", "Transformer3DModel");
        t.put("num_layers", 28);
        ObjectNode header = JSON.createObjectNode();
        header.set("transformer", t);
        List<LtxSingleFileTest.Raw> tensors = new ArrayList<>(LtxSingleFileTest.read(
                FIXTURE.resolve("transformer/diffusion_pytorch_model.safetensors"), LtxSingleFileTest::originalTransformer));
        tensors.addAll(LtxSingleFileTest.read(FIXTURE.resolve("vae/diffusion_pytorch_model.safetensors"),
                n -> LtxSingleFileTest.originalVae(n, LtxSingleFile.VaeLayout.V095)));
        Path single = tmp.resolve("bad.safetensors");
        LtxSingleFileTest.write(single, Map.of("config", JSON.writeValueAsString(header)), tensors);
        assertThatThrownBy(() -> LtxSingleFile.open(single)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("num_layers 28").hasMessageContaining("imply 2");
    }

    // ---- conversion of the fixture's own formats ----

    @Test
    void convertedSingleFilesAndComfyGgufsGiveTheSameVideo(@TempDir Path tmp) throws Exception {
        // formats are told by content: a renamed single file (.sft) and a GGUF without its extension
        Path single = LtxSingleFileTest.singleFileOf(FIXTURE, LtxSingleFile.VaeLayout.V095, tmp.resolve("ltx-095.sft"));
        try (Arena arena = Arena.ofConfined(); ComputeBackend backend = ComputeBackend.cpu(2); LtxModel folder = LtxModel.open(FIXTURE, backend)) {
            Path gguf = comfyGguf(FIXTURE, tmp.resolve("ltx-095-F32"), LtxCheckpointFormatsTest::asStored, arena);
            LtxPipeline.Video expected = run(folder, backend);
            Path fromSingle = tmp.resolve("single-mmgp.gguf");
            Path fromComfy = tmp.resolve("comfy-mmgp.gguf");
            convert(single, FIXTURE, GgmlType.F32, fromSingle);
            convert(gguf, FIXTURE, GgmlType.F32, fromComfy);
            for (Path p : List.of(fromSingle, fromComfy)) {
                try (LtxModel m = LtxModel.open(p, backend); mmgp.gguf.GgufFile g = mmgp.gguf.GgufFile.open(p)) {
                    assertThat(g.getString("general.architecture")).isEqualTo(LtxConverter.ARCH);
                    assertThat(g.getString("mmgp.ltx.version")).isEqualTo("0.9.5");
                    assertThat(JSON.readTree(g.getString("mmgp.config.transformer")).path("_class_name").asText()).isEqualTo("LTXVideoTransformer3DModel");
                    assertSame(run(m, backend), expected, "converted " + p.getFileName());
                }
            }
            // a ComfyUI transformer with the T5 and VAE of an mmgp GGUF (itself converted), and converted from there
            try (LtxModel m = LtxModel.open(gguf, fromSingle, backend)) {
                assertSame(run(m, backend), expected, "ComfyUI GGUF + mmgp GGUF T5/VAE");
            }
            try (LtxModel m = LtxModel.open(single, FIXTURE, backend)) {
                assertSame(run(m, backend), expected, "single file named .sft");
            }
        }
    }

    // ---- the CLI ----

    @Test
    void theCliTakesAComfyGgufWithATextEncoderSource(@TempDir Path tmp) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Path gguf = comfyGguf(FIXTURE, tmp.resolve("ltx-video-095-F32.gguf"), LtxCheckpointFormatsTest::asStored, arena);
            Path converted = tmp.resolve("out/ltx.gguf");
            mmgp.models.CliRun c = mmgp.models.CliRun.of("convert", "--model", "ltx", gguf.toString(), converted.toString(),
                    "--text-encoder", FIXTURE.toString(), "--type", "q8_0", "-q");
            assertThat(c.code()).as(c.err()).isZero();
            assertThat(c.out()).contains("wrote " + converted);
            mmgp.models.CliRun missing = mmgp.models.CliRun.of("convert", "--model", "ltx", gguf.toString(), tmp.resolve("x.gguf").toString(), "-q");
            assertThat(missing.code()).isNotZero();
            assertThat(missing.err()).contains("--text-encoder");
            mmgp.models.CliRun whole = mmgp.models.CliRun.of("convert", "--model", "ltx", converted.toString(), tmp.resolve("y.gguf").toString(), "-q");
            assertThat(whole.code()).isNotZero();
            assertThat(whole.err()).contains("an mmgp LTX-Video GGUF");
            mmgp.models.CliRun folderConverter = mmgp.models.CliRun.of("convert", "--model", "smolvlm", tmp.toString(), tmp.resolve("vlm").toString(),
                    "--text-encoder", FIXTURE.toString(), "-q");
            assertThat(folderConverter.code()).isNotZero();
            assertThat(folderConverter.err()).contains("--text-encoder is for one-file LTX-Video inputs").contains("'smolvlm'");
            String[] video = {"video", "--model", gguf.toString(), "--text-encoder", FIXTURE.toString(), "-p", "a red car", "--frames", "9",
                    "--width", "64", "--height", "64", "--steps", "2", "--max-sequence-length", "16", "-q", "-o", tmp.resolve("clip.gif").toString()};
            mmgp.models.CliRun v = mmgp.models.CliRun.of(video);
            assertThat(v.code()).as(v.err()).isZero();
            assertThat(tmp.resolve("clip.gif")).isNotEmptyFile();
            List<String> noSource = new ArrayList<>(List.of(video));
            noSource.subList(3, 5).clear(); // --text-encoder FIXTURE
            mmgp.models.CliRun without = mmgp.models.CliRun.of(noSource.toArray(String[]::new));
            assertThat(without.code()).isNotZero();
            assertThat(without.err()).contains("ComfyUI-GGUF LTX-Video transformer").contains("--text-encoder");
        }
    }

    // ---- refusals ----

    @Test
    void otherGgufsAreRefusedByWhatTheyAre(@TempDir Path tmp) throws Exception {
        Path flux = tmp.resolve("flux.gguf");
        tinyGguf(flux, "flux", "double_blocks.0.img_attn.proj.weight");
        Path ltx2 = tmp.resolve("ltx2.gguf");
        tinyGguf(ltx2, "ltxv", "av_ca_a2v_gate_adaln_single.linear.weight");
        Path t5 = tmp.resolve("t5.gguf");
        tinyGguf(t5, "t5", "enc.blk.0.attn_q.weight");
        Path broken = tmp.resolve("broken.gguf");
        tinyGguf(broken, "ltxv", "patchify_proj.weight");
        try (ComputeBackend backend = ComputeBackend.cpu(1)) {
            assertThatThrownBy(() -> LtxModel.open(flux, FIXTURE, backend)).hasMessageContaining("'flux' model GGUF");
            assertThatThrownBy(() -> LtxModel.open(flux, backend)).hasMessageContaining("'flux' model GGUF");
            assertThatThrownBy(() -> LtxModel.open(ltx2, FIXTURE, backend)).hasMessageContaining("LTX-2");
            assertThatThrownBy(() -> LtxModel.open(t5, FIXTURE, backend)).hasMessageContaining("'t5' text-model GGUF");
            assertThatThrownBy(() -> LtxModel.open(broken, FIXTURE, backend)).hasMessageContaining("lacks LTX-Video transformer tensors");
            assertThatThrownBy(() -> LtxModel.open(FIXTURE.resolve("x.gguf"), flux, backend)).hasMessageContaining("'flux' model");
        }
    }

    private static void tinyGguf(Path out, String arch, String tensor) throws IOException {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment d = arena.allocate(16, 64);
            d.fill((byte) 0);
            w.addTensor(tensor, GgmlType.F32, new long[] {4}, d);
            w.write(out);
        }
        assertThat(Files.size(out)).isPositive();
    }
}
