package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.Llama;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.mtmd.Mtmd;
import mmgp.bindings.mtmd.MtmdContextParams;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.convert.ModelConverter;
import mmgp.convert.TypePolicy;
import mmgp.gguf.GgufFile;
import mmgp.gguf.GgufMetadata;
import mmgp.gguf.GgufValueType;
import mmgp.gguf.TensorInfo;
import mmgp.models.QuietLlama;
import mmgp.safetensors.SafetensorsCheckpoint;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SmolVLM2 converter: the two files carry llama.cpp's names, keys and types, llama.cpp and
 * mtmd load them, the tokenizer reproduces the fixture's tokenization, and llama-mtmd-cli runs.
 */
class SmolVlmConverterTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/smolvlm2/checkpoint");
    static final Path PROCESSOR_FIXTURE = Path.of("src/test/resources/fixtures/smolvlm2_processor/checkpoint");

    @TempDir
    static Path dir;

    static SmolVlmConverter.Output f32, q8, processor;

    @BeforeAll
    static void convert() throws IOException {
        f32 = SmolVlmConverter.convert(FIXTURE, dir.resolve("f32"), GgmlType.F32, "smolvlm2");
        q8 = SmolVlmConverter.convert(FIXTURE, dir.resolve("q8"), GgmlType.Q8_0, "smolvlm2");
        processor = SmolVlmConverter.convert(PROCESSOR_FIXTURE, dir.resolve("proc"), GgmlType.F16, "smolvlm2-proc");
    }

    @Test
    void registeredAndPointsToTheTwoFileConversion() throws IOException {
        ModelConverter c = ModelConverter.byId("smolvlm");
        assertThat(c).isInstanceOf(SmolVlmConverter.class);
        try (HfCheckpoint ckpt = HfCheckpoint.open(FIXTURE)) {
            assertThatThrownBy(() -> c.plan(ckpt, new ConversionPlan(new TypePolicy(GgmlType.F16))))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("two GGUF files").hasMessageContaining("mmgp convert --model smolvlm");
            // mmgp convert's multi-file path: OUT is a directory
            assertThat(c.writesDirectory()).isTrue();
            List<Path> files = c.convertInto(ckpt, new TypePolicy(GgmlType.F16), dir.resolve("into"));
            assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("checkpoint-F16.gguf", "mmproj-checkpoint-F16.gguf");
            assertThat(files).allMatch(Files::isRegularFile);
        }
        assertThat(f32.textModel().getFileName().toString()).isEqualTo("smolvlm2-F32.gguf");
        assertThat(f32.mmproj().getFileName().toString()).isEqualTo("mmproj-smolvlm2-F32.gguf");
        assertThatThrownBy(() -> SmolVlmConverter.convert(FIXTURE, dir.resolve("q4"), GgmlType.Q4_0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q8_0");
    }

    @Test
    void textModelKeysAreLlamaCpps() throws IOException {
        try (GgufFile f = GgufFile.open(f32.textModel())) {
            GgufMetadata m = f.metadata();
            Map<String, Object> expected = new LinkedHashMap<>();
            expected.put("general.architecture", "llama");
            expected.put("general.type", "model");
            expected.put("general.name", "Checkpoint");
            expected.put("general.file_type", 0L);
            expected.put("general.quantization_version", 2L);
            expected.put("llama.block_count", 2L);
            expected.put("llama.context_length", 512L);
            expected.put("llama.embedding_length", 48L);
            expected.put("llama.feed_forward_length", 96L);
            expected.put("llama.attention.head_count", 3L);
            expected.put("llama.attention.head_count_kv", 1L);
            expected.put("llama.attention.key_length", 16L);
            expected.put("llama.attention.value_length", 16L);
            expected.put("llama.rope.dimension_count", 16L);
            expected.put("llama.vocab_size", 128L);
            expected.put("tokenizer.ggml.model", "gpt2");
            expected.put("tokenizer.ggml.pre", "gpt-2");
            expected.put("tokenizer.ggml.bos_token_id", 1L);
            expected.put("tokenizer.ggml.eos_token_id", 2L);
            expected.put("tokenizer.ggml.padding_token_id", 2L);
            for (var e : expected.entrySet()) assertThat(m.get(e.getKey()).value()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(m.type("llama.block_count")).isEqualTo(GgufValueType.UINT32);
            assertThat(m.getFloat("llama.rope.freq_base")).isEqualTo(100000f);
            assertThat(m.getFloat("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
            assertThat(m.getString("general.description")).contains("synthetic placeholder vocabulary");
            List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(128).doesNotHaveDuplicates();
            assertThat(tokens.get(120)).isEqualTo("<image>");
            assertThat(tokens.get(121)).isEqualTo("<fake_token_around_image>");
            assertThat(tokens.get(122)).isEqualTo("<global-img>");
            assertThat(tokens).contains("\u010A", "\u010A\u010A", "\u0120");
            assertThat(m.getIntArray("tokenizer.ggml.token_type")[120]).isEqualTo(SmolVlmVocab.CONTROL);

            Map<String, String> types = tensorTypes(f);
            assertThat(types).containsOnlyKeys(textTensorNames());
            assertThat(types.values()).containsOnly("F32");
            assertThat(f.tensor("blk.0.attn_k.weight").shape()).containsExactly(48, 16);
            assertThat(f.tensor("token_embd.weight").shape()).containsExactly(48, 128);
        }
    }

    @Test
    void queryAndKeyRowsArePermutedLikeLlamaCpp() throws IOException {
        try (GgufFile f = GgufFile.open(f32.textModel()); SafetensorsCheckpoint w = SafetensorsCheckpoint.open(FIXTURE)) {
            for (String proj : List.of("q", "k")) {
                float[] hf = w.readFloats("model.text_model.layers.1.self_attn." + proj + "_proj.weight");
                float[] gg = f.readFloats("blk.1.attn_" + proj + ".weight");
                int heads = proj.equals("q") ? 3 : 1, headDim = 16, cols = 48;
                for (int h = 0; h < heads; h++) {
                    for (int j = 0; j < headDim / 2; j++) {
                        for (int t = 0; t < 2; t++) {
                            int from = h * headDim + t * headDim / 2 + j, to = h * headDim + j * 2 + t;
                            for (int c = 0; c < cols; c++) assertThat(gg[to * cols + c]).isEqualTo(hf[from * cols + c]);
                        }
                    }
                }
            }
            // everything else is copied as is
            assertThat(f.readFloats("blk.0.attn_v.weight")).containsExactly(w.readFloats("model.text_model.layers.0.self_attn.v_proj.weight"));
            assertThat(f.readFloats("output.weight")).containsExactly(w.readFloats("lm_head.weight"));
        }
    }

    @Test
    void mmprojKeysAndTensorsAreIdefics3s() throws IOException {
        try (GgufFile f = GgufFile.open(f32.mmproj()); SafetensorsCheckpoint w = SafetensorsCheckpoint.open(FIXTURE)) {
            GgufMetadata m = f.metadata();
            Map<String, Object> expected = new LinkedHashMap<>();
            expected.put("general.architecture", "clip");
            expected.put("general.type", "mmproj");
            expected.put("general.file_type", 0L);
            expected.put("clip.has_vision_encoder", true);
            expected.put("clip.projector_type", "idefics3");
            expected.put("clip.use_gelu", true);
            expected.put("clip.vision.projection_dim", 48L);
            expected.put("clip.vision.image_size", 96L);
            expected.put("clip.vision.patch_size", 8L);
            expected.put("clip.vision.embedding_length", 32L);
            expected.put("clip.vision.feed_forward_length", 64L);
            expected.put("clip.vision.block_count", 2L);
            expected.put("clip.vision.attention.head_count", 4L);
            expected.put("clip.vision.projector.scale_factor", 4L);
            expected.put("clip.vision.preproc_image_size", 96L);
            for (var e : expected.entrySet()) assertThat(m.get(e.getKey()).value()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(m.getFloat("clip.vision.attention.layer_norm_epsilon")).isEqualTo(1e-6f);
            assertThat(m.getFloatArray("clip.vision.image_mean")).containsExactly(0.5f, 0.5f, 0.5f);
            assertThat(m.getFloatArray("clip.vision.image_std")).containsExactly(0.5f, 0.5f, 0.5f);
            assertThat(tensorTypes(f)).containsOnlyKeys(visionTensorNames());
            assertThat(f.tensor("v.patch_embd.weight").shape()).containsExactly(8, 8, 3, 32);
            assertThat(f.tensor("mm.model.fc.weight").shape()).containsExactly(512, 48);
            assertThat(f.readFloats("v.blk.1.ffn_down.weight")).containsExactly(w.readFloats("model.vision_model.encoder.layers.1.mlp.fc2.weight"));
        }
    }

    @Test
    void q8FollowsLlamaCppsTypeRules() throws IOException {
        try (GgufFile text = GgufFile.open(q8.textModel()); GgufFile mm = GgufFile.open(q8.mmproj())) {
            assertThat(text.metadata().getLong("general.file_type")).isEqualTo(7);
            assertThat(mm.metadata().getLong("general.file_type")).isEqualTo(7);
            Map<String, String> t = tensorTypes(text);
            // rows of 48 are not whole Q8_0 blocks: gguf-py falls back to F16 there
            assertThat(t.get("token_embd.weight")).isEqualTo("F16");
            assertThat(t.get("output.weight")).isEqualTo("F16");
            assertThat(t.get("blk.0.attn_q.weight")).isEqualTo("F16");
            assertThat(t.get("blk.0.ffn_up.weight")).isEqualTo("F16");
            assertThat(t.get("blk.0.ffn_down.weight")).isEqualTo("Q8_0");
            assertThat(t.get("blk.0.attn_norm.weight")).isEqualTo("F32");
            assertThat(t.get("output_norm.weight")).isEqualTo("F32");
            Map<String, String> v = tensorTypes(mm);
            assertThat(v.get("v.patch_embd.weight")).isEqualTo("F32");
            assertThat(v.get("v.patch_embd.bias")).isEqualTo("F32");
            assertThat(v.get("v.position_embd.weight")).isEqualTo("F32");
            assertThat(v.get("v.blk.0.attn_q.weight")).isEqualTo("Q8_0");
            assertThat(v.get("v.blk.0.attn_q.bias")).isEqualTo("F32");
            assertThat(v.get("v.blk.0.ffn_up.weight")).isEqualTo("Q8_0");
            assertThat(v.get("v.blk.0.ln1.weight")).isEqualTo("F32");
            assertThat(v.get("v.post_ln.weight")).isEqualTo("F32");
            assertThat(v.get("mm.model.fc.weight")).isEqualTo("Q8_0");
        }
        try (GgufFile text = GgufFile.open(processor.textModel()); GgufFile mm = GgufFile.open(processor.mmproj())) {
            assertThat(text.metadata().getLong("general.file_type")).isEqualTo(1);
            assertThat(tensorTypes(text).get("blk.0.attn_q.weight")).isEqualTo("F16");
            assertThat(tensorTypes(text).get("blk.0.ffn_norm.weight")).isEqualTo("F32");
            assertThat(tensorTypes(mm).get("v.patch_embd.weight")).isEqualTo("F32");
            assertThat(tensorTypes(mm).get("mm.model.fc.weight")).isEqualTo("F16");
        }
    }

    @Test
    void realTokenizerIsConvertedFully() throws IOException {
        try (GgufFile f = GgufFile.open(processor.textModel()); GgufFile mm = GgufFile.open(processor.mmproj())) {
            GgufMetadata m = f.metadata();
            List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
            int[] types = m.getIntArray("tokenizer.ggml.token_type");
            assertThat(tokens).hasSize(409);
            assertThat(tokens.subList(0, 3)).containsExactly("<|endoftext|>", "<|im_start|>", "<|im_end|>");
            assertThat(tokens.get(369)).isEqualTo("<end_of_utterance>");
            assertThat(tokens.get(371)).isEqualTo("<image>");
            assertThat(tokens.get(408)).isEqualTo("<row_6_col_6>");
            assertThat(types[0]).isEqualTo(SmolVlmVocab.CONTROL);
            assertThat(types[3]).isEqualTo(SmolVlmVocab.NORMAL);
            assertThat(types[370]).isEqualTo(SmolVlmVocab.CONTROL);
            assertThat(m.getStringArray("tokenizer.ggml.merges")).hasSize(110).startsWith("\u0120 t", "h e");
            assertThat(m.getLong("tokenizer.ggml.bos_token_id")).isEqualTo(1);
            assertThat(m.getLong("tokenizer.ggml.eos_token_id")).isEqualTo(369);
            assertThat(m.getLong("tokenizer.ggml.unknown_token_id")).isEqualTo(0);
            assertThat(m.getLong("tokenizer.ggml.padding_token_id")).isEqualTo(2);
            assertThat(m.getBoolean("tokenizer.ggml.add_bos_token")).isFalse();
            assertThat(m.getBoolean("tokenizer.ggml.add_space_prefix")).isFalse();
            assertThat(m.getString("tokenizer.chat_template")).startsWith("<|im_start|>{% for message in messages %}");
            assertThat(m.contains("general.description")).isFalse();
            assertThat(m.getLong("llama.context_length")).isEqualTo(1024);
            assertThat(mm.metadata().getLong("clip.vision.preproc_image_size")).isEqualTo(288);
        }
    }

    @Test
    void llamaCppTokenizesLikeTheFixturesGpt2Tokenizer() throws IOException {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        LlamaLog.silence();
        Llama.backendInit();
        String prompt = "<|im_start|>User: What is the capital of France?<end_of_utterance>\nAssistant:";
        long[] golden;
        try (SafetensorsCheckpoint g = SafetensorsCheckpoint.open(PROCESSOR_FIXTURE.resolveSibling("golden").resolve("chat_text.safetensors"))) {
            golden = g.readLongs("input_ids");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.modelDefaultParams(arena);
            mmgp.bindings.llama.LlamaModelParams.vocabOnly(params, true);
            MemorySegment model = Llama.modelLoadFromFile(processor.textModel(), params);
            try {
                MemorySegment vocab = Llama.modelGetVocab(model);
                int[] ids = Llama.tokenize(vocab, prompt, false, true);
                assertThat(ids).containsExactly(java.util.Arrays.stream(golden).mapToInt(x -> (int) x).toArray());
                assertThat(Llama.vocabBos(vocab)).isEqualTo(1);
                assertThat(Llama.vocabEos(vocab)).isEqualTo(369);
                assertThat(Llama.modelChatTemplate(model)).contains("Assistant:");
            } finally {
                Llama.modelFree(model);
            }
        }
    }

    @Test
    void llamaCppAndMtmdLoadBothFiles() {
        QuietLlama.require();
        Llama.backendInit();
        for (SmolVlmConverter.Output out : List.of(f32, q8, processor)) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment model = Llama.modelLoadFromFile(out.textModel(), Llama.modelDefaultParams(arena));
                try {
                    assertThat(Llama.modelNLayer(model)).isEqualTo(2);
                    assertThat(Llama.modelNEmbd(model)).isEqualTo(48);
                    MemorySegment mp = Mtmd.contextParamsDefault(arena);
                    MtmdContextParams.useGpu(mp, false);
                    MtmdContextParams.warmup(mp, false);
                    MtmdContextParams.printTimings(mp, false);
                    MtmdContextParams.nThreads(mp, 2);
                    MemorySegment mctx = Mtmd.initFromFile(out.mmproj(), model, mp);
                    try {
                        assertThat(Mtmd.supportVision(mctx)).isTrue();
                        assertThat(Mtmd.decodeUseMrope(mctx)).isFalse();
                    } finally {
                        Mtmd.free(mctx);
                    }
                } finally {
                    Llama.modelFree(model);
                }
            }
        }
    }

    /**
     * llama.cpp's own CLI runs the converted files end to end: image preprocessing and slicing,
     * vision encoder, text decode, 4 greedy tokens. The fixture has no chat template (no tokenizer
     * files), so the built-in "smolvlm" template is named. The smolvlm2_processor conversion cannot
     * take this path: mtmd wraps idefics3 images in a "\n\n" token it looks up by text, and that
     * fixture's 110-merge BPE has no such token (the real SmolVLM2 vocabulary has one).
     */
    @Test
    void llamaMtmdCliDescribesAnImage() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Path cli = NativeLibraries.get().binDirectory().resolve("llama-mtmd-cli");
        assumeTrue(Files.isExecutable(cli), "llama-mtmd-cli not built: " + cli);
        Path image = PROCESSOR_FIXTURE.resolveSibling("golden").resolve("image.png").toAbsolutePath();
        for (SmolVlmConverter.Output out : List.of(f32, q8)) {
            Path log = dir.resolve("cli-" + out.textModel().getFileName() + ".log");
            List<String> cmd = List.of(cli.toString(), "-m", out.textModel().toString(), "--mmproj", out.mmproj().toString(),
                    "--image", image.toString(), "-p", "Describe this image.", "-n", "4", "--temp", "0", "--seed", "1",
                    "--chat-template", "smolvlm", "-ngl", "0", "--no-mmproj-offload", "-t", "2", "-c", "512", "--no-warmup");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.getOutputStream().close(); // no interactive input
            boolean done = p.waitFor(120, TimeUnit.SECONDS);
            if (!done) p.destroyForcibly().waitFor();
            String text = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(done).as("llama-mtmd-cli finished within 120 s:\n" + text).isTrue();
            assertThat(p.exitValue()).as("exit code, log:\n" + text).isZero();
            // 200x90 image at 96 px: one slice + the overview, both encoded, then text
            assertThat(text).contains("encoding mtmd batch", "mtmd batch encoding done").doesNotContain(" E ");
        }
    }

    // ---- helpers

    static Map<String, String> tensorTypes(GgufFile f) {
        Map<String, String> m = new LinkedHashMap<>();
        for (TensorInfo t : f.tensors()) m.put(t.name(), t.type().name());
        return m;
    }

    static List<String> textTensorNames() {
        List<String> n = new ArrayList<>(List.of("token_embd.weight", "output_norm.weight", "output.weight"));
        for (int i = 0; i < 2; i++) {
            for (String t : List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")) {
                n.add("blk." + i + "." + t + ".weight");
            }
        }
        return n;
    }

    static List<String> visionTensorNames() {
        List<String> n = new ArrayList<>(List.of("v.patch_embd.weight", "v.patch_embd.bias", "v.position_embd.weight",
                "v.post_ln.weight", "v.post_ln.bias", "mm.model.fc.weight"));
        for (int i = 0; i < 2; i++) {
            for (String t : List.of("ln1", "ln2", "attn_q", "attn_k", "attn_v", "attn_out", "ffn_up", "ffn_down")) {
                n.add("v.blk." + i + "." + t + ".weight");
                n.add("v.blk." + i + "." + t + ".bias");
            }
        }
        return n;
    }
}
