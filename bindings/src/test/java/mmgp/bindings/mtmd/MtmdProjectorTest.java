package mmgp.bindings.mtmd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.llama.Llama;
import mmgp.bindings.llama.LlamaContextParams;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.llama.TinyLlamaModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny text model plus a tiny projector: tokenize a prompt with an image, encode it, evaluate it. */
class MtmdProjectorTest {
    @TempDir
    static Path dir;

    static MemorySegment model, lctx, mctx;
    static Arena arena;

    @BeforeAll
    static void load() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        LlamaLog.silence();
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
        Llama.backendInit();
        arena = Arena.ofShared();
        model = Llama.modelLoadFromFile(TinyLlamaModel.write(dir.resolve("text.gguf")), Llama.modelDefaultParams(arena));
        MemorySegment cparams = Llama.contextDefaultParams(arena);
        LlamaContextParams.nCtx(cparams, 256);
        LlamaContextParams.nBatch(cparams, 64);
        LlamaContextParams.nThreads(cparams, 2);
        LlamaContextParams.nThreadsBatch(cparams, 2);
        lctx = Llama.initFromModel(model, cparams);
        MemorySegment mparams = Mtmd.contextParamsDefault(arena);
        MtmdContextParams.useGpu(mparams, false);
        MtmdContextParams.printTimings(mparams, false);
        MtmdContextParams.nThreads(mparams, 2);
        mctx = Mtmd.initFromFile(TinyMmproj.write(dir.resolve("mmproj.gguf"), TinyLlamaModel.N_EMBD), model, mparams);
    }

    @AfterAll
    static void free() {
        if (mctx != null) Mtmd.free(mctx);
        if (lctx != null) Llama.free(lctx);
        if (model != null) Llama.modelFree(model);
        if (arena != null) arena.close();
    }

    @Test
    void projectorSupportsVisionOnly() {
        assertThat(Mtmd.supportVision(mctx)).isTrue();
        assertThat(Mtmd.supportAudio(mctx)).isFalse();
        assertThat(Mtmd.decodeUseMrope(mctx)).isFalse();
    }

    @Test
    void promptWithAnImageBecomesTextImageTextChunks() {
        MemorySegment bitmap = Mtmd.bitmapInit(TinyMmproj.IMAGE_SIZE, TinyMmproj.IMAGE_SIZE, rgb());
        MemorySegment chunks = Mtmd.inputChunksInit();
        try {
            Mtmd.tokenize(mctx, chunks, "look at " + Mtmd.defaultMarker() + " and tell me", false, false, bitmap);
            assertThat(Mtmd.inputChunksSize(chunks)).isEqualTo(3);
            MemorySegment before = Mtmd.inputChunksGet(chunks, 0);
            MemorySegment image = Mtmd.inputChunksGet(chunks, 1);
            MemorySegment after = Mtmd.inputChunksGet(chunks, 2);
            assertThat(Mtmd.inputChunkGetType(before)).isEqualTo(Mtmd.CHUNK_TYPE_TEXT);
            assertThat(Mtmd.inputChunkGetType(image)).isEqualTo(Mtmd.CHUNK_TYPE_IMAGE);
            assertThat(Mtmd.inputChunkGetType(after)).isEqualTo(Mtmd.CHUNK_TYPE_TEXT);
            // "look at " is 8 bytes: two 5-byte test-tokenizer chunks.
            assertThat(Mtmd.inputChunkGetTokensText(before)).hasSize(2);
            assertThat(Mtmd.inputChunkGetTokensText(before)).isEqualTo(Llama.tokenize(Llama.modelGetVocab(model), "look at ", false, false));
            assertThat(Mtmd.inputChunkGetNTokens(image)).isEqualTo(TinyMmproj.N_PATCHES);
            assertThat(Mtmd.inputChunkGetNPos(image)).isEqualTo(TinyMmproj.N_PATCHES);
            assertThat(Mtmd.helperGetNTokens(chunks)).isEqualTo(2 + TinyMmproj.N_PATCHES + Mtmd.inputChunkGetNTokens(after));

            // The image chunk encodes to one text-model-wide embedding per image token.
            assertThat(Mtmd.encodeChunk(mctx, image)).isZero();
            float[] embd = Mtmd.getOutputEmbd(mctx).reinterpret(4L * TinyMmproj.N_PATCHES * TinyLlamaModel.N_EMBD).toArray(ValueLayout.JAVA_FLOAT);
            double norm = 0;
            for (float f : embd) norm += f * f;
            assertThat(norm).isGreaterThan(0).isFinite();
        } finally {
            Mtmd.inputChunksFree(chunks);
            Mtmd.bitmapFree(bitmap);
        }
    }

    @Test
    void aCopiedImageChunkOutlivesItsListAndEncodesAlike() {
        MemorySegment bitmap = Mtmd.bitmapInit(TinyMmproj.IMAGE_SIZE, TinyMmproj.IMAGE_SIZE, rgb());
        MemorySegment chunks = Mtmd.inputChunksInit();
        MemorySegment copy = null;
        try {
            Mtmd.tokenize(mctx, chunks, "see " + Mtmd.defaultMarker(), false, false, bitmap);
            MemorySegment image = Mtmd.inputChunksGet(chunks, 1);
            assertThat(Mtmd.encodeChunk(mctx, image)).isZero();
            float[] expected = embeddings();
            copy = Mtmd.inputChunkCopy(image);
            assertThat(copy.address()).isNotEqualTo(image.address());
            Mtmd.inputChunksFree(chunks);
            chunks = null;
            // the copy owns its own preprocessed pixels: the list's are gone
            assertThat(Mtmd.inputChunkGetType(copy)).isEqualTo(Mtmd.CHUNK_TYPE_IMAGE);
            assertThat(Mtmd.inputChunkGetNTokens(copy)).isEqualTo(TinyMmproj.N_PATCHES);
            assertThat(Mtmd.encodeChunk(mctx, copy)).isZero();
            assertThat(embeddings()).containsExactly(expected);
        } finally {
            if (chunks != null) Mtmd.inputChunksFree(chunks);
            if (copy != null) Mtmd.inputChunkFree(copy);
            Mtmd.bitmapFree(bitmap);
        }
        Mtmd.inputChunkFree(MemorySegment.NULL);
    }

    private static float[] embeddings() {
        return Mtmd.getOutputEmbd(mctx).reinterpret(4L * TinyMmproj.N_PATCHES * TinyLlamaModel.N_EMBD).toArray(ValueLayout.JAVA_FLOAT);
    }

    @Test
    void evalChunksFillsTheContextAndLeavesLogits() {
        MemorySegment bitmap = Mtmd.bitmapInit(TinyMmproj.IMAGE_SIZE, TinyMmproj.IMAGE_SIZE, rgb());
        MemorySegment chunks = Mtmd.inputChunksInit();
        try {
            Mtmd.tokenize(mctx, chunks, "frame: " + Mtmd.defaultMarker() + " next", false, false, bitmap);
            Llama.memoryClear(Llama.getMemory(lctx), true);
            int nPast = Mtmd.helperEvalChunks(mctx, lctx, chunks, 0, 0, 64, true);
            assertThat(nPast).isEqualTo(Mtmd.helperGetNPos(chunks));
            assertThat(Llama.memorySeqPosMax(Llama.getMemory(lctx), 0)).isEqualTo(nPast - 1);
            float[] logits = Llama.getLogitsIth(lctx, -1).reinterpret(4L * TinyLlamaModel.N_VOCAB).toArray(ValueLayout.JAVA_FLOAT);
            for (float f : logits) assertThat(Float.isFinite(f)).isTrue();
        } finally {
            Mtmd.inputChunksFree(chunks);
            Mtmd.bitmapFree(bitmap);
        }
    }

    @Test
    void markerAndBitmapCountsMustAgree() {
        MemorySegment chunks = Mtmd.inputChunksInit();
        try {
            assertThatThrownBy(() -> Mtmd.tokenize(mctx, chunks, "two " + Mtmd.defaultMarker() + Mtmd.defaultMarker(), false, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 media markers").hasMessageContaining("0 bitmaps");
            assertThat(Mtmd.getMarker(mctx)).isEqualTo(Mtmd.defaultMarker());
            // The raw call reports the mismatch as a failure code instead.
            try (Arena local = Arena.ofConfined()) {
                MemorySegment text = MtmdInputText.allocate(local, "one " + Mtmd.defaultMarker(), false, false);
                assertThat(Mtmd.tokenize(mctx, chunks, text, local.allocate(8), 0)).isNotZero();
            }
        } finally {
            Mtmd.inputChunksFree(chunks);
        }
    }

    private static byte[] rgb() {
        byte[] rgb = new byte[3 * TinyMmproj.IMAGE_SIZE * TinyMmproj.IMAGE_SIZE];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) (i * 31);
        return rgb;
    }
}
