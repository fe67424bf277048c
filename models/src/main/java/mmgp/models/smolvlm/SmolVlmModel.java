package mmgp.models.smolvlm;

import static mmgp.bindings.CTypes.PTR;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Arrays;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.NativeLibrary;
import mmgp.bindings.llama.Llama;
import mmgp.bindings.llama.LlamaBatch;
import mmgp.bindings.llama.LlamaContextParams;
import mmgp.bindings.llama.LlamaException;
import mmgp.bindings.mtmd.Mtmd;
import mmgp.bindings.mtmd.MtmdContextParams;
import mmgp.gguf.GgufFile;

/**
 * A SmolVLM2 model run by llama.cpp: the llama text model through libllama and the idefics3
 * vision encoder + connector through libmtmd, from the two files {@link SmolVlmConverter} writes.
 * Java only orchestrates: it places text tokens and image embeddings at their positions,
 * requests logits, and runs the greedy loop on llama.cpp's logits buffer in place.
 *
 * <p>Numerics are kept at F32 where llama.cpp allows it (unless {@link Options} asks for the fast
 * routes): KV cache F32, flash attention off (text and vision), no GPU offload; with F32 weights the results then differ from PyTorch only by
 * summation order.
 *
 * <p>{@link #encodePixels} feeds already-normalized float pixels to the vision encoder. mtmd's C
 * API only takes 8-bit RGB bitmaps, so at load it tokenizes a placeholder bitmap, keeps a copy of one
 * image chunk (mtmd's chunk list is freed at once) and overwrites that copy's preprocessed float buffer
 * (the {@code clip_image_f32} inside the chunk's {@code mtmd_image_tokens}) before each
 * {@code mtmd_encode_chunk}. That relies on the struct
 * layout of the pinned libmtmd (commit de3ff81); the layout is checked (sizes, counts, and the
 * placeholder's known normalized values) before anything is written, and a mismatch throws.
 */
public final class SmolVlmModel implements AutoCloseable {
    /**
     * Runtime options. {@code visionFlashAttention}: the vision encoder's attention through
     * ggml's flash kernel (F16 K/V, about 1.6× faster per tile here) instead of the F32 path the
     * goldens are checked with. {@code textFastNumerics}: the text model's context as
     * {@link SmolVlmUnderstanding} runs it by default (flash attention when available, F16 KV
     * cache) instead of F32 KV and materialised attention. {@code nCtx} 0: no text context of its
     * own (the vision encoder and the weights only), for a caller that runs the text model in its
     * own context, as {@link SmolVlmUnderstanding} does; the text-model methods then refuse.
     */
    public record Options(int nCtx, int nBatch, int nSeqMax, int nThreads, boolean visionFlashAttention, boolean textFastNumerics) {
        public Options(int nCtx, int nBatch, int nSeqMax, int nThreads) {
            this(nCtx, nBatch, nSeqMax, nThreads, false, false);
        }

        public Options(int nCtx, int nBatch, int nSeqMax, int nThreads, boolean visionFlashAttention) {
            this(nCtx, nBatch, nSeqMax, nThreads, visionFlashAttention, false);
        }

        public static Options defaults() {
            return new Options(512, 512, 2, 2);
        }
    }

    /** A greedy generation: the full sequence (prompt + new tokens) and the processed logits of each step. */
    public record Generation(int[] sequence, float[][] scores) {}

    private static final int GGML_TYPE_F32 = 0, GGML_TYPE_F16 = 1;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment model, ctx, mctx;
    private final int nEmbd, nVocab, nBatch, imageSize, imageTokenId;
    private final float[] imageMean, imageStd;
    private final SmolVlmCost.VisionTower visionTower;
    /** {@link #encodePixels}' reused image chunk (owned here, see {@link #placeholderChunk}) and its float pixels. */
    private final MemorySegment pixelChunk, pixelBuffer;
    private final int pixelTokens;
    private final float[] pixelScratch;
    private boolean closed;

    private SmolVlmModel(Path textModel, Path mmproj, Options o) throws IOException {
        try (GgufFile mm = GgufFile.open(mmproj); GgufFile text = GgufFile.open(textModel)) {
            imageSize = mm.metadata().getInt("clip.vision.image_size");
            imageMean = mm.metadata().getFloatArray("clip.vision.image_mean");
            imageStd = mm.metadata().getFloatArray("clip.vision.image_std");
            imageTokenId = text.metadata().getStringArray("tokenizer.ggml.tokens").indexOf(SmolVlmVocab.IMAGE);
            visionTower = new SmolVlmCost.VisionTower(imageSize, mm.metadata().getInt("clip.vision.patch_size"),
                    mm.metadata().getInt("clip.vision.embedding_length"), mm.metadata().getInt("clip.vision.block_count"),
                    mm.tensors().stream().mapToLong(mmgp.gguf.TensorInfo::elementCount).sum());
        }
        Llama.backendInit();
        MemorySegment mp = Llama.modelDefaultParams(arena);
        mmgp.bindings.llama.LlamaModelParams.nGpuLayers(mp, 0);
        model = Llama.modelLoadFromFile(textModel, mp);
        MemorySegment c = null, m = null, chunk = null;
        try {
            if (o.nCtx() > 0) {
                MemorySegment cp = Llama.contextDefaultParams(arena);
                LlamaContextParams.nCtx(cp, o.nCtx());
                LlamaContextParams.nBatch(cp, o.nBatch());
                LlamaContextParams.nUbatch(cp, o.nBatch());
                LlamaContextParams.nSeqMax(cp, o.nSeqMax());
                LlamaContextParams.nThreads(cp, o.nThreads());
                LlamaContextParams.nThreadsBatch(cp, o.nThreads());
                LlamaContextParams.flashAttnType(cp, o.textFastNumerics() ? LlamaContextParams.FLASH_ATTN_AUTO : LlamaContextParams.FLASH_ATTN_DISABLED);
                LlamaContextParams.typeK(cp, o.textFastNumerics() ? GGML_TYPE_F16 : GGML_TYPE_F32);
                LlamaContextParams.typeV(cp, o.textFastNumerics() ? GGML_TYPE_F16 : GGML_TYPE_F32);
                LlamaContextParams.offloadKqv(cp, false);
                LlamaContextParams.noPerf(cp, true);
                c = Llama.initFromModel(model, cp);
            }
            m = Mtmd.initFromFile(mmproj, model, visionParams(arena, o));
            // Like the encoder's warm-up: the placeholder's preprocessing is paid at load, not by the first tile.
            chunk = placeholderChunk(m);
            pixelTokens = (int) Mtmd.inputChunkGetNTokens(chunk);
            pixelBuffer = imageBuffer(chunk, pixelTokens);
        } catch (RuntimeException e) {
            if (chunk != null) Mtmd.inputChunkFree(chunk);
            if (m != null) Mtmd.free(m);
            if (c != null) Llama.free(c);
            Llama.modelFree(model);
            arena.close();
            throw e;
        }
        ctx = c; // null without a text context of its own
        mctx = m;
        pixelChunk = chunk;
        pixelScratch = new float[3 * imageSize * imageSize];
        nEmbd = Llama.modelNEmbdInp(model);
        nVocab = Llama.vocabNTokens(Llama.modelGetVocab(model));
        nBatch = ctx != null ? Llama.nBatch(ctx) : 0;
    }

    /** The vision encoder's context parameters for {@code o}. */
    static MemorySegment visionParams(SegmentAllocator allocator, Options o) {
        MemorySegment vp = Mtmd.contextParamsDefault(allocator);
        MtmdContextParams.useGpu(vp, false);
        MtmdContextParams.printTimings(vp, false);
        // As llama-mtmd-cli: the encoder's compute buffers are reserved at load, not inside the first image's encode.
        MtmdContextParams.warmup(vp, true);
        MtmdContextParams.nThreads(vp, o.nThreads());
        MtmdContextParams.flashAttnType(vp, o.visionFlashAttention() ? LlamaContextParams.FLASH_ATTN_ENABLED : LlamaContextParams.FLASH_ATTN_DISABLED);
        return vp;
    }

    /** Loads the text model and its mmproj (CPU, F32 KV cache). */
    public static SmolVlmModel load(Path textModel, Path mmproj) throws IOException {
        return load(textModel, mmproj, Options.defaults());
    }

    public static SmolVlmModel load(Path textModel, Path mmproj, Options options) throws IOException {
        return new SmolVlmModel(textModel, mmproj, options);
    }

    public int nEmbd() { return nEmbd; }
    /** The vision tower's shape, its connector's parameters included (every tensor of the mmproj). */
    public SmolVlmCost.VisionTower visionTower() { return visionTower; }
    /** Parameters of the text model (llama.cpp's count: every tensor, the token table included). */
    public long textParams() { return Llama.modelNParams(model); }
    public int nVocab() { return nVocab; }
    public int imageSize() { return imageSize; }
    /** Id of {@code <image>} in the vocabulary, -1 when absent. */
    public int imageTokenId() { return imageTokenId; }
    public MemorySegment llamaModel() { return model; }
    public MemorySegment llamaContext() { return context(); }
    public MemorySegment mtmdContext() { return mctx; }

    // ---- vision

    private static final MethodHandle MTMD_INPUT_CHUNK_GET_TOKENS_IMAGE =
            Downcalls.bind(NativeLibrary.MTMD, "mtmd_input_chunk_get_tokens_image", PTR, PTR);

    // Layout of the pinned libmtmd (x86-64, libstdc++): struct mtmd_image_tokens { uint32 nx, ny; enum pos;
    // uint32 image_idx, n_temporal_merge; clip_image_f32_batch batch_f32 { std::vector<clip_image_f32> entries; ... } ... }
    // struct clip_image_f32 { bool add_viewsep, add_newline; int32 lead_pad; int anyres[4]; std::vector<float> buf; int nx_, ny_; }
    private static final long TOKENS_NX = 0, TOKENS_NY = 4, TOKENS_TEMPORAL_MERGE = 16, TOKENS_ENTRIES = 24;
    private static final long F32_IMAGE_SIZE = 56, F32_IMAGE_BUF = 24, F32_IMAGE_NX = 48, F32_IMAGE_NY = 52;
    private static final int PLACEHOLDER_GRAY = 128;
    private static final String LAYOUT_COMMIT = "de3ff815ea7d559ee917f063901b8986f038abc6";

    /**
     * Image features (n_tokens × n_embd, row-major) of one image given as normalized float
     * pixels, channel-first {@code [3][size][size]} as the Hugging Face processor produces them.
     */
    public float[] encodePixels(float[] chw) {
        return encodePixels(chw, 0);
    }

    /**
     * {@link #encodePixels(float[])} of the image starting at {@code offset} in {@code pixels} (one tile or
     * frame of a processor batch, read in place).
     */
    public synchronized float[] encodePixels(float[] pixels, int offset) {
        if (closed) throw new IllegalStateException("SmolVLM2 model is closed");
        int s = imageSize;
        int n = 3 * s * s;
        if (offset < 0 || pixels.length - offset < n) {
            throw new IllegalArgumentException("expected 3x" + s + "x" + s + " pixels at offset " + offset + ", got " + (pixels.length - Math.max(0, offset)) + " values");
        }
        // mtmd's buffer is interleaved (HWC): transposed on the heap, then one bulk copy.
        float[] hwc = pixelScratch;
        int plane = s * s;
        for (int c = 0; c < 3; c++) {
            int from = offset + c * plane;
            for (int i = 0; i < plane; i++) hwc[i * 3 + c] = pixels[from + i];
        }
        MemorySegment.copy(hwc, 0, pixelBuffer, ValueLayout.JAVA_FLOAT, 0, n);
        int rc = Mtmd.encodeChunk(mctx, pixelChunk);
        if (rc != 0) throw new LlamaException("mtmd_encode_chunk failed (" + rc + ")");
        return Mtmd.getOutputEmbd(mctx).reinterpret(4L * pixelTokens * nEmbd).toArray(ValueLayout.JAVA_FLOAT);
    }

    /**
     * The placeholder bitmap's first image chunk, copied out of the list mtmd tokenizes it into, for every
     * {@link #encodePixels}: mtmd's idefics3 preprocessing of a bitmap (resize to its preprocessing size,
     * 17 slices, normalisation) costs a tenth of a tile's encode, and the chunk's buffer is only read by
     * the encoder, so overwriting it per image is all a new image needs. The list (every slice's float
     * pixels) is freed here; the copy owns its own buffer and is freed on {@link #close}.
     */
    private MemorySegment placeholderChunk(MemorySegment mtmd) {
        int s = imageSize;
        byte[] gray = new byte[3 * s * s];
        Arrays.fill(gray, (byte) PLACEHOLDER_GRAY);
        MemorySegment bitmap = Mtmd.bitmapInit(s, s, gray);
        MemorySegment chunks = Mtmd.inputChunksInit();
        try {
            Mtmd.tokenize(mtmd, chunks, Mtmd.getMarker(mtmd), false, false, bitmap);
            for (long i = 0; i < Mtmd.inputChunksSize(chunks); i++) {
                MemorySegment ci = Mtmd.inputChunksGet(chunks, i);
                if (Mtmd.inputChunkGetType(ci) == Mtmd.CHUNK_TYPE_IMAGE) return Mtmd.inputChunkCopy(ci);
            }
            throw new LlamaException("mtmd produced no image chunk for a " + s + "x" + s + " bitmap");
        } finally {
            Mtmd.inputChunksFree(chunks);
            Mtmd.bitmapFree(bitmap);
        }
    }

    /** The preprocessed float pixels (HWC) of the chunk's single image, after checking the layout assumptions. */
    private MemorySegment imageBuffer(MemorySegment chunk, int nTokens) {
        MemorySegment tokens;
        try {
            tokens = (MemorySegment) MTMD_INPUT_CHUNK_GET_TOKENS_IMAGE.invokeExact(chunk);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        String layout = "the mtmd_image_tokens layout of this libmtmd differs from the pinned one (commit " + LAYOUT_COMMIT + "): ";
        String commit = NativeLibraries.get().buildInfo().get("commit");
        if (!LAYOUT_COMMIT.equals(commit)) {
            throw new IllegalStateException("encodePixels writes into libmtmd's internal image buffer, whose layout was verified for llama.cpp "
                    + LAYOUT_COMMIT + "; this native build is " + commit + ": re-check mtmd_image_tokens / clip_image_f32 and update SmolVlmModel");
        }
        if (tokens.equals(MemorySegment.NULL)) throw new IllegalStateException(layout + "no image tokens");
        tokens = tokens.reinterpret(TOKENS_ENTRIES + 24);
        int nx = tokens.get(ValueLayout.JAVA_INT, TOKENS_NX), ny = tokens.get(ValueLayout.JAVA_INT, TOKENS_NY);
        int merge = tokens.get(ValueLayout.JAVA_INT, TOKENS_TEMPORAL_MERGE);
        long begin = tokens.get(ValueLayout.JAVA_LONG, TOKENS_ENTRIES), end = tokens.get(ValueLayout.JAVA_LONG, TOKENS_ENTRIES + 8);
        long cap = tokens.get(ValueLayout.JAVA_LONG, TOKENS_ENTRIES + 16);
        if ((long) nx * ny != nTokens || merge != 1 || begin == 0 || begin % 8 != 0 || end - begin != F32_IMAGE_SIZE || cap < end) {
            throw new IllegalStateException(layout + "nx " + nx + " ny " + ny + " merge " + merge + " entries " + (end - begin) + " bytes");
        }
        MemorySegment entry = MemorySegment.ofAddress(begin).reinterpret(F32_IMAGE_SIZE);
        long bufBegin = entry.get(ValueLayout.JAVA_LONG, F32_IMAGE_BUF), bufEnd = entry.get(ValueLayout.JAVA_LONG, F32_IMAGE_BUF + 8);
        int w = entry.get(ValueLayout.JAVA_INT, F32_IMAGE_NX), h = entry.get(ValueLayout.JAVA_INT, F32_IMAGE_NY);
        long expected = 3L * imageSize * imageSize * 4;
        if (w != imageSize || h != imageSize || bufBegin == 0 || bufBegin % 4 != 0 || bufEnd - bufBegin != expected) {
            throw new IllegalStateException(layout + "image " + w + "x" + h + ", buffer " + (bufEnd - bufBegin) + " bytes, expected " + expected);
        }
        MemorySegment pixels = MemorySegment.ofAddress(bufBegin).reinterpret(expected);
        // The placeholder is uniform gray: every value must be a normalized gray level near it (resampling may move it by a level).
        for (long i = 0; i < expected / 4; i++) {
            float v = pixels.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            int ch = (int) (i % 3);
            boolean ok = false;
            for (int g = PLACEHOLDER_GRAY - 2; g <= PLACEHOLDER_GRAY + 2 && !ok; g++) ok = v == ((float) g / 255.0f - imageMean[ch]) / imageStd[ch];
            if (!ok) throw new IllegalStateException(layout + "pixel " + i + " holds " + v + ", not the placeholder's gray");
        }
        return pixels;
    }

    // ---- text model

    /** Forgets every sequence in the KV cache. */
    public void clear() {
        Llama.memoryClear(Llama.getMemory(context()), true);
    }

    /**
     * Logits of every position of one sequence, decoded from position 0 into a cleared cache:
     * each {@code <image>} id takes the next row of {@code imageFeatures} (n_image_tokens × n_embd)
     * as its input embedding, the other ids their token embedding.
     *
     * @return [n_tokens][n_vocab]
     */
    public float[][] forward(int[] ids, float[] imageFeatures) {
        clear();
        float[][] logits = new float[ids.length][];
        decodeSequence(ids, imageFeatures, 0, 0, true, logits);
        return logits;
    }

    /**
     * Logits of a text-only batch, one llama.cpp sequence per row, decoded together. Entries with
     * mask 0 (padding) are skipped; the others keep their column index as position, like the
     * Hugging Face forward without position shifting. Padded entries get null rows.
     */
    public float[][][] forwardBatch(int[][] ids, int[][] mask) {
        clear();
        int total = 0;
        for (int[] m : mask) for (int v : m) total += v != 0 ? 1 : 0;
        if (total > nBatch) throw new IllegalArgumentException(total + " tokens exceed n_batch " + nBatch);
        float[][][] out = new float[ids.length][][];
        try (Arena local = Arena.ofConfined()) {
            MemorySegment batch = Llama.batchInit(local, total, 0, 1);
            try {
                for (int r = 0; r < ids.length; r++) {
                    out[r] = new float[ids[r].length][];
                    for (int t = 0; t < ids[r].length; t++) if (mask[r][t] != 0) LlamaBatch.add(batch, checkToken(ids[r][t]), t, r, true);
                }
                decodeOrThrow(batch);
                int i = 0;
                for (int r = 0; r < ids.length; r++) {
                    for (int t = 0; t < ids[r].length; t++) if (mask[r][t] != 0) out[r][t] = logitsOf(i++).toArray(ValueLayout.JAVA_FLOAT);
                }
            } finally {
                Llama.batchFree(batch);
            }
        }
        return out;
    }

    /**
     * Greedy decoding with the KV cache: prefill the prompt (as {@link #forward}), then take the
     * argmax of the processed logits each step. The end-of-sequence logit is -inf while fewer than
     * {@code minNewTokens} tokens exist (Hugging Face's MinNewTokensLengthLogitsProcessor); generation
     * stops at {@code maxNewTokens} or at EOS. The argmax reads llama.cpp's logits buffer in place.
     */
    public Generation generateGreedy(int[] ids, float[] imageFeatures, int maxNewTokens, int minNewTokens) {
        clear();
        int eos = Llama.vocabEos(Llama.modelGetVocab(model));
        decodeSequence(ids, imageFeatures, 0, 0, false, null);
        int[] seq = Arrays.copyOf(ids, ids.length + maxNewTokens);
        float[][] scores = new float[maxNewTokens][];
        int n = ids.length;
        try (Arena local = Arena.ofConfined()) {
            MemorySegment batch = Llama.batchInit(local, 1, 0, 1);
            try {
                for (int step = 0; step < maxNewTokens; step++) {
                    MemorySegment logits = Llama.getLogitsIth(context(), -1).reinterpret(4L * nVocab);
                    if (step < minNewTokens && eos >= 0) logits.setAtIndex(ValueLayout.JAVA_FLOAT, eos, Float.NEGATIVE_INFINITY);
                    int best = 0;
                    float bestValue = logits.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
                    for (int v = 1; v < nVocab; v++) {
                        float x = logits.getAtIndex(ValueLayout.JAVA_FLOAT, v);
                        if (x > bestValue) { bestValue = x; best = v; }
                    }
                    scores[step] = logits.toArray(ValueLayout.JAVA_FLOAT);
                    seq[n] = best;
                    if (best == eos || step == maxNewTokens - 1) {
                        n++;
                        return new Generation(Arrays.copyOf(seq, n), Arrays.copyOf(scores, step + 1));
                    }
                    LlamaBatch.clear(batch);
                    LlamaBatch.add(batch, best, n, 0, true);
                    n++;
                    decodeOrThrow(batch);
                }
            } finally {
                Llama.batchFree(batch);
            }
        }
        return new Generation(Arrays.copyOf(seq, n), scores);
    }

    /**
     * Decodes {@code ids} of sequence {@code seq} from position {@code pos0}: runs of text tokens as
     * token batches, runs of {@code <image>} as embedding batches. With {@code allLogits}, fills
     * {@code out[i]}; otherwise only the last entry produces logits.
     */
    private void decodeSequence(int[] ids, float[] imageFeatures, int pos0, int seq, boolean allLogits, float[][] out) {
        int nImage = 0;
        for (int id : ids) if (id == imageTokenId) nImage++;
        int have = imageFeatures == null ? 0 : imageFeatures.length / nEmbd;
        if (nImage != have || (imageFeatures != null && imageFeatures.length % nEmbd != 0)) {
            throw new IllegalArgumentException(nImage + " <image> tokens but " + have + " image feature rows of width " + nEmbd);
        }
        int imageRow = 0;
        try (Arena local = Arena.ofConfined()) {
            MemorySegment tokens = Llama.batchInit(local, nBatch, 0, 1);
            MemorySegment embd = Llama.batchInit(local, nBatch, nEmbd, 1);
            try {
                int i = 0;
                while (i < ids.length) {
                    boolean image = ids[i] == imageTokenId;
                    int j = i;
                    while (j < ids.length && (ids[j] == imageTokenId) == image && j - i < nBatch) j++;
                    MemorySegment batch = image ? embd : tokens;
                    LlamaBatch.clear(batch);
                    for (int k = i; k < j; k++) {
                        boolean output = allLogits || k == ids.length - 1;
                        if (image) {
                            int e = k - i;
                            MemorySegment.copy(imageFeatures, imageRow++ * nEmbd, LlamaBatch.embd(batch), ValueLayout.JAVA_FLOAT, (long) e * nEmbd * 4, nEmbd);
                            LlamaBatch.pos(batch).setAtIndex(ValueLayout.JAVA_INT, e, pos0 + k);
                            LlamaBatch.nSeqId(batch).setAtIndex(ValueLayout.JAVA_INT, e, 1);
                            LlamaBatch.seqId(batch).getAtIndex(PTR, e).reinterpret(4).set(ValueLayout.JAVA_INT, 0, seq);
                            LlamaBatch.output(batch, e, output);
                            LlamaBatch.nTokens(batch, e + 1);
                        } else {
                            LlamaBatch.add(batch, checkToken(ids[k]), pos0 + k, seq, output);
                        }
                    }
                    decodeOrThrow(batch);
                    if (allLogits) for (int k = i; k < j; k++) out[k] = logitsOf(k - i).toArray(ValueLayout.JAVA_FLOAT);
                    i = j;
                }
            } finally {
                Llama.batchFree(tokens);
                Llama.batchFree(embd);
            }
        }
    }

    private int checkToken(int id) {
        if (id < 0 || id >= nVocab) throw new IndexOutOfBoundsException("token " + id + " outside the vocabulary of " + nVocab);
        return id;
    }

    private MemorySegment logitsOf(int batchIndex) {
        return Llama.getLogitsIth(context(), batchIndex).reinterpret(4L * nVocab);
    }

    private MemorySegment context() {
        if (ctx == null) throw new IllegalStateException("this SmolVlmModel was loaded without a text context (Options.nCtx 0)");
        return ctx;
    }

    private void decodeOrThrow(MemorySegment batch) {
        int rc = Llama.decode(context(), batch);
        if (rc != 0) throw new LlamaException("llama_decode failed (" + rc + ")");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Mtmd.inputChunkFree(pixelChunk);
        Mtmd.free(mctx);
        if (ctx != null) Llama.free(ctx);
        Llama.modelFree(model);
        arena.close();
    }
}
