package mmgp.bindings.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.gguf.GgufNative;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loads a tiny generated llama model and runs the calls an engine's sampling loop makes. */
class LlamaModelTest {
    @TempDir
    static Path dir;

    static Path modelFile;
    static MemorySegment model;

    @BeforeAll
    static void load() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Llama.backendInit();
        LlamaLog.silence();
        modelFile = TinyLlamaModel.write(dir.resolve("tiny-llama.gguf"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.modelDefaultParams(arena);
            LlamaModelParams.nGpuLayers(params, 0);
            LlamaModelParams.loadMode(params, LlamaModelParams.LOAD_MODE_MMAP);
            model = Llama.modelLoadFromFile(modelFile, params);
        }
    }

    @AfterAll
    static void free() {
        if (model != null) Llama.modelFree(model);
        LlamaLog.silence();
    }

    @Test
    void systemInfoNamesTheCpuBackend() {
        assertThat(Llama.printSystemInfo()).isNotBlank().contains("CPU");
    }

    @Test
    void modelReportsItsHyperParametersAndMetadata() {
        assertThat(Llama.modelNEmbd(model)).isEqualTo(TinyLlamaModel.N_EMBD);
        assertThat(Llama.modelNEmbdInp(model)).isEqualTo(TinyLlamaModel.N_EMBD);
        assertThat(Llama.modelNLayer(model)).isEqualTo(TinyLlamaModel.N_LAYER);
        assertThat(Llama.modelNHead(model)).isEqualTo(TinyLlamaModel.N_HEAD);
        assertThat(Llama.modelNCtxTrain(model)).isEqualTo(TinyLlamaModel.N_CTX_TRAIN);
        assertThat(Llama.modelHasEncoder(model)).isFalse();
        assertThat(Llama.modelNParams(model)).isEqualTo(
                3L * 64 + 64L * 128 + 4L * 64 * 64 + 3L * 64 * 96);
        assertThat(Llama.modelSize(model)).isEqualTo(4 * Llama.modelNParams(model));
        assertThat(Llama.modelDesc(model)).startsWith("llama");
        assertThat(Llama.modelMetaValStr(model, "general.name")).isEqualTo("tiny-test-llama");
        assertThat(Llama.modelMetaValStr(model, "llama.embedding_length")).isEqualTo("64");
        assertThat(Llama.modelMetaValStr(model, "no.such.key")).isNull();
        assertThat(Llama.modelChatTemplate(model)).isNull();
    }

    @Test
    void vocabularyTokenizesAndRendersTokens() {
        MemorySegment vocab = Llama.modelGetVocab(model);
        assertThat(Llama.vocabNTokens(vocab)).isEqualTo(TinyLlamaModel.N_VOCAB);
        assertThat(Llama.vocabGetText(vocab, 5)).isEqualTo("tok_5");
        assertThat(Llama.vocabEos(vocab)).isEqualTo(TinyLlamaModel.EOS);
        assertThat(Llama.vocabIsEog(vocab, TinyLlamaModel.EOS)).isTrue();
        assertThat(Llama.vocabIsEog(vocab, 7)).isFalse();
        assertThat(Llama.vocabBos(vocab)).isEqualTo(Llama.TOKEN_NULL);

        // The test tokenizer hashes 5-byte chunks: 11 bytes make 3 tokens.
        int[] tokens = Llama.tokenize(vocab, "hello world", false, false);
        assertThat(tokens).hasSize(3);
        for (int t : tokens) assertThat(t).isBetween(0, TinyLlamaModel.N_VOCAB - 1);
        assertThat(Llama.tokenize(vocab, "hello world", false, false)).isEqualTo(tokens);
        // ...and renders each token as its id in hex.
        assertThat(new String(Llama.tokenToPiece(vocab, 26, false))).isEqualTo("1a");
        assertThat(Llama.detokenize(vocab, new int[] {26, 127}, false, false)).isEqualTo("1a7f");
        // A long text needs the retry with the size llama_tokenize asks for.
        assertThat(Llama.tokenize(vocab, "x".repeat(1000), false, false)).hasSize(200);
    }

    @Test
    void outOfRangeTokensAreRefusedBeforeTheyReachCpp() {
        MemorySegment vocab = Llama.modelGetVocab(model);
        assertThatThrownBy(() -> Llama.vocabGetText(vocab, TinyLlamaModel.N_VOCAB)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Llama.tokenToPiece(vocab, -1, false)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Llama.detokenize(vocab, new int[] {1, 999}, false, false)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void decodesBatchesAndManagesTheKvMemory() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cparams = Llama.contextDefaultParams(arena);
            LlamaContextParams.nCtx(cparams, 256);
            LlamaContextParams.nBatch(cparams, 64);
            LlamaContextParams.nUbatch(cparams, 64);
            LlamaContextParams.nSeqMax(cparams, 2);
            LlamaContextParams.nThreads(cparams, 2);
            LlamaContextParams.nThreadsBatch(cparams, 2);
            LlamaContextParams.kvUnified(cparams, true);
            MemorySegment ctx = Llama.initFromModel(model, cparams);
            try {
                assertThat(Llama.nCtx(ctx)).isEqualTo(256);
                assertThat(Llama.nBatch(ctx)).isEqualTo(64);
                assertThat(Llama.nUbatch(ctx)).isEqualTo(64);
                assertThat(Llama.nSeqMax(ctx)).isEqualTo(2);
                assertThat(Llama.nThreads(ctx)).isEqualTo(2);
                assertThat(Llama.getModel(ctx)).isEqualTo(model);
                Llama.setNThreads(ctx, 1, 2);
                assertThat(Llama.nThreads(ctx)).isEqualTo(1);

                int[] prompt = {1, 17, 42, 99, 5};
                MemorySegment tokens = arena.allocateFrom(ValueLayout.JAVA_INT, prompt);
                MemorySegment one = Llama.batchGetOne(arena, tokens, prompt.length);
                assertThat(LlamaBatch.nTokens(one)).isEqualTo(prompt.length);
                assertThat(LlamaBatch.token(one).address()).isEqualTo(tokens.address());
                assertThat(Llama.decode(ctx, one)).isZero();
                Llama.synchronize(ctx);
                float[] first = logits(Llama.getLogitsIth(ctx, -1));
                assertThat(first).hasSize(TinyLlamaModel.N_VOCAB);
                for (float f : first) assertThat(Float.isFinite(f)).isTrue();
                assertThat(logits(Llama.getLogits(ctx))).isEqualTo(first);

                MemorySegment mem = Llama.getMemory(ctx);
                assertThat(Llama.memorySeqPosMax(mem, 0)).isEqualTo(prompt.length - 1);
                assertThat(Llama.memorySeqPosMin(mem, 0)).isZero();

                // Same prompt through a heap batch, logits only for the last token: same logits.
                Llama.memoryClear(mem, true);
                assertThat(Llama.memorySeqPosMax(mem, 0)).isEqualTo(-1);
                MemorySegment batch = Llama.batchInit(arena, 16, 0, 2);
                try {
                    for (int i = 0; i < prompt.length; i++) LlamaBatch.add(batch, prompt[i], i, 0, i == prompt.length - 1);
                    assertThat(Llama.decode(ctx, batch)).isZero();
                    assertThat(logits(Llama.getLogitsIth(ctx, prompt.length - 1))).containsExactly(first);
                    assertThatThrownBy(() -> Llama.getLogitsIth(ctx, 0)).isInstanceOf(LlamaException.class);

                    // One generated token continues at the next position.
                    int next = argmax(first);
                    LlamaBatch.clear(batch);
                    LlamaBatch.add(batch, next, prompt.length, 0, true);
                    assertThat(Llama.decode(ctx, batch)).isZero();
                    assertThat(Llama.memorySeqPosMax(mem, 0)).isEqualTo(prompt.length);
                    assertThat(logits(Llama.getLogitsIth(ctx, 0))).isNotEqualTo(first);
                } finally {
                    Llama.batchFree(batch);
                }

                // Sequence operations on the KV memory.
                Llama.memorySeqCp(mem, 0, 1, -1, -1);
                assertThat(Llama.memorySeqPosMax(mem, 1)).isEqualTo(prompt.length);
                assertThat(Llama.memorySeqRm(mem, 1, 3, -1)).isTrue();
                assertThat(Llama.memorySeqPosMax(mem, 1)).isEqualTo(2);
                Llama.memorySeqKeep(mem, 1);
                assertThat(Llama.memorySeqPosMax(mem, 0)).isEqualTo(-1);
                assertThat(Llama.memorySeqPosMax(mem, 1)).isEqualTo(2);
            } finally {
                Llama.free(ctx);
            }
        }
    }

    @Test
    void embeddingsContextReturnsOneVectorPerOutput() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cparams = Llama.contextDefaultParams(arena);
            LlamaContextParams.nCtx(cparams, 256);
            LlamaContextParams.nThreads(cparams, 2);
            LlamaContextParams.nThreadsBatch(cparams, 2);
            LlamaContextParams.embeddings(cparams, true);
            LlamaContextParams.poolingType(cparams, LlamaContextParams.POOLING_NONE);
            MemorySegment ctx = Llama.initFromModel(model, cparams);
            try {
                MemorySegment tokens = arena.allocateFrom(ValueLayout.JAVA_INT, 3, 4, 5);
                assertThat(Llama.decode(ctx, Llama.batchGetOne(arena, tokens, 3))).isZero();
                float[] e = Llama.getEmbeddingsIth(ctx, -1).reinterpret(4L * TinyLlamaModel.N_EMBD).toArray(ValueLayout.JAVA_FLOAT);
                assertThat(e).hasSize(TinyLlamaModel.N_EMBD);
                double norm = 0;
                for (float f : e) norm += f * f;
                assertThat(norm).isGreaterThan(0).isFinite();
                assertThat(Llama.getEmbeddingsSeq(ctx, 0)).isEqualTo(MemorySegment.NULL);
            } finally {
                Llama.free(ctx);
            }
        }
    }

    @Test
    void encodeRunsACachelessPassOfAnEmbeddingModel() {
        // llama_encode needs a cache-less graph; on a causal LM with a KV cache it crashes in llama.cpp.
        Path embedFile = TinyLlamaModel.write(dir.resolve("tiny-llama-embed.gguf"), "llama-embed");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment embedModel = Llama.modelLoadFromFile(embedFile, Llama.modelDefaultParams(arena));
            try {
                MemorySegment cparams = Llama.contextDefaultParams(arena);
                LlamaContextParams.nCtx(cparams, 256);
                LlamaContextParams.nThreads(cparams, 2);
                LlamaContextParams.embeddings(cparams, true);
                LlamaContextParams.poolingType(cparams, LlamaContextParams.POOLING_MEAN);
                MemorySegment ctx = Llama.initFromModel(embedModel, cparams);
                try {
                    MemorySegment tokens = arena.allocateFrom(ValueLayout.JAVA_INT, 3, 4, 5, 6);
                    assertThat(Llama.encode(ctx, Llama.batchGetOne(arena, tokens, 4))).isZero();
                    MemorySegment pooled = Llama.getEmbeddingsSeq(ctx, 0);
                    assertThat(pooled).isNotEqualTo(MemorySegment.NULL);
                    float[] e = pooled.reinterpret(4L * TinyLlamaModel.N_EMBD).toArray(ValueLayout.JAVA_FLOAT);
                    double norm = 0;
                    for (float f : e) norm += f * f;
                    assertThat(norm).isGreaterThan(0).isFinite();
                } finally {
                    Llama.free(ctx);
                }
            } finally {
                Llama.modelFree(embedModel);
            }
        }
    }

    @Test
    void missingModelFileIsAJavaExceptionNamingTheFile() {
        Path missing = dir.resolve("does-not-exist.gguf");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.modelDefaultParams(arena);
            assertThatThrownBy(() -> Llama.modelLoadFromFile(missing, params))
                    .isInstanceOf(LlamaException.class)
                    .hasMessageContaining(missing.toString())
                    .hasMessageContaining("no such file");
        }
    }

    @Test
    void corruptModelFilesAreJavaExceptions() throws IOException {
        Path garbage = Files.write(dir.resolve("garbage.gguf"), "this is not a gguf file at all".getBytes());
        Path truncated = dir.resolve("truncated.gguf");
        byte[] whole = Files.readAllBytes(modelFile);
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 2));
        Path noArch = dir.resolve("no-arch.gguf");
        MemorySegment empty = GgufNative.initEmpty();
        GgufNative.setValStr(empty, "general.name", "nothing");
        GgufNative.writeToFile(empty, noArch, false);
        GgufNative.free(empty);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.modelDefaultParams(arena);
            for (Path bad : List.of(garbage, truncated, noArch)) {
                assertThatThrownBy(() -> Llama.modelLoadFromFile(bad, params))
                        .isInstanceOf(LlamaException.class)
                        .hasMessageContaining(bad.toString());
            }
        }
    }

    @Test
    void logMessagesReachAJavaSinkAndCanBeSilenced() {
        List<String> messages = new CopyOnWriteArrayList<>();
        List<Integer> levels = new CopyOnWriteArrayList<>();
        Path missing = dir.resolve("absent-for-logging.gguf");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.modelDefaultParams(arena);
            LlamaLog.forwardTo((level, text) -> { levels.add(level); messages.add(text); });
            assertThatThrownBy(() -> Llama.modelLoadFromFile(missing, params)).isInstanceOf(LlamaException.class);
            assertThat(String.join("", messages)).contains(missing.getFileName().toString());
            assertThat(levels).contains(LlamaLog.LEVEL_ERROR);

            // A sink that throws must not take the process down.
            LlamaLog.forwardTo((level, text) -> { throw new IllegalStateException("sink failure"); });
            assertThatThrownBy(() -> Llama.modelLoadFromFile(missing, params)).isInstanceOf(LlamaException.class);

            messages.clear();
            LlamaLog.silence();
            assertThatThrownBy(() -> Llama.modelLoadFromFile(missing, params)).isInstanceOf(LlamaException.class);
            assertThat(messages).isEmpty();
        } finally {
            LlamaLog.silence();
        }
    }

    @Test
    void addEmbeddingFillsOneRowOfAnEmbeddingBatch() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment batch = Llama.batchInit(arena, 4, 3, 1);
            try {
                float[] rows = {1, 2, 3, 4, 5, 6, 7, 8, 9};
                LlamaBatch.addEmbedding(batch, rows, 2, 3, 10, 5, false);
                LlamaBatch.addEmbedding(batch, rows, 0, 3, 11, 6, true);
                assertThat(LlamaBatch.nTokens(batch)).isEqualTo(2);
                assertThat(LlamaBatch.embd(batch).asSlice(0, 6 * 4).toArray(ValueLayout.JAVA_FLOAT)).containsExactly(7, 8, 9, 1, 2, 3);
                assertThat(LlamaBatch.pos(batch).getAtIndex(ValueLayout.JAVA_INT, 0)).isEqualTo(10);
                assertThat(LlamaBatch.pos(batch).getAtIndex(ValueLayout.JAVA_INT, 1)).isEqualTo(11);
                assertThat(LlamaBatch.nSeqId(batch).getAtIndex(ValueLayout.JAVA_INT, 1)).isEqualTo(1);
                assertThat(LlamaBatch.seqId(batch).getAtIndex(mmgp.bindings.CTypes.PTR, 0).reinterpret(4).get(ValueLayout.JAVA_INT, 0)).isEqualTo(5);
                assertThat(LlamaBatch.seqId(batch).getAtIndex(mmgp.bindings.CTypes.PTR, 1).reinterpret(4).get(ValueLayout.JAVA_INT, 0)).isEqualTo(6);
                assertThat(LlamaBatch.logits(batch).get(ValueLayout.JAVA_BYTE, 0)).isZero();
                assertThat(LlamaBatch.logits(batch).get(ValueLayout.JAVA_BYTE, 1)).isEqualTo((byte) 1);
            } finally {
                Llama.batchFree(batch);
            }
        }
    }

    private static float[] logits(MemorySegment row) {
        return row.reinterpret(4L * TinyLlamaModel.N_VOCAB).toArray(ValueLayout.JAVA_FLOAT);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
