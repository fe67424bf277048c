package mmgp.bindings.mtmd;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibrary;
import mmgp.bindings.llama.LlamaException;

/**
 * Downcalls into libmtmd (mtmd.h, mtmd-helper.h): load a multimodal projector next to a
 * llama model, turn RGB images or video frames into bitmaps, tokenize a prompt with media
 * markers into text and image chunks, encode image chunks into embeddings and feed them to
 * the llama context.
 *
 * <p>Handles are raw {@link MemorySegment}s; chunk pointers returned by
 * {@link #inputChunksGet} belong to their chunk list, those of {@link #inputChunkCopy} to the caller.
 */
public final class Mtmd {
    /** enum mtmd_input_chunk_type */
    public static final int CHUNK_TYPE_TEXT = 0, CHUNK_TYPE_IMAGE = 1, CHUNK_TYPE_AUDIO = 2;

    /** {@code struct mtmd_helper_video_init_params} (24 bytes): {float fps_target; const char * ffmpeg_bin_dir; int64_t timestamp_interval_ms;}. */
    public static final StructLayout HELPER_VIDEO_INIT_PARAMS = MemoryLayout.structLayout(
            FLOAT.withName("fps_target"),
            MemoryLayout.paddingLayout(4),
            PTR.withName("ffmpeg_bin_dir"),
            I64.withName("timestamp_interval_ms")).withName("mtmd_helper_video_init_params");

    /** {@code struct mtmd_helper_init_opt}, passed by value to the helper bitmap loaders. */
    public static final StructLayout HELPER_INIT_OPT = MemoryLayout.structLayout(
            HELPER_VIDEO_INIT_PARAMS.withName("video_params")).withName("mtmd_helper_init_opt");

    /** {@code struct mtmd_helper_bitmap_wrapper}, returned by value: the bitmap, and a video context for video files. */
    public static final StructLayout HELPER_BITMAP_WRAPPER = MemoryLayout.structLayout(
            PTR.withName("bitmap"),
            PTR.withName("video_ctx")).withName("mtmd_helper_bitmap_wrapper");

    private Mtmd() {}

    private static MethodHandle bind(String name, MemoryLayout result, MemoryLayout... args) {
        return Downcalls.bind(NativeLibrary.MTMD, name, result, args);
    }

    // ---- context

    private static final MethodHandle MTMD_DEFAULT_MARKER = bind("mtmd_default_marker", PTR);
    /** The prompt marker replaced by each bitmap, "&lt;__media__&gt;". */
    public static String defaultMarker() {
        try { return string((MemorySegment) MTMD_DEFAULT_MARKER.invokeExact()); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_CONTEXT_PARAMS_DEFAULT = bind("mtmd_context_params_default", MtmdContextParams.LAYOUT);
    /** An {@link MtmdContextParams} with mtmd's defaults, allocated by {@code allocator}. */
    public static MemorySegment contextParamsDefault(SegmentAllocator allocator) {
        try { return (MemorySegment) MTMD_CONTEXT_PARAMS_DEFAULT.invokeExact(allocator); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INIT_FROM_FILE = bind("mtmd_init_from_file", PTR, PTR, PTR, MtmdContextParams.LAYOUT);
    /**
     * Loads the projector ("mmproj") GGUF for {@code textModel}.
     *
     * @throws LlamaException naming the file when mtmd returns NULL (missing or invalid file,
     *         projector not matching the text model; mtmd logs the reason)
     */
    public static MemorySegment initFromFile(Path mmproj, MemorySegment textModel, MemorySegment params) {
        MemorySegment ctx;
        try (Arena arena = Arena.ofConfined()) {
            ctx = (MemorySegment) MTMD_INIT_FROM_FILE.invokeExact(arena.allocateFrom(mmproj.toString()), textModel, params);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
        if (ctx.equals(MemorySegment.NULL)) {
            throw new LlamaException("mtmd could not load the projector " + mmproj
                    + (Files.exists(mmproj) ? " (not an mmproj GGUF mtmd supports, or it does not fit the text model; see the log)" : " (no such file)"));
        }
        return ctx;
    }

    private static final MethodHandle MTMD_FREE = bind("mtmd_free", null, PTR);
    public static void free(MemorySegment ctx) {
        try { MTMD_FREE.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_SUPPORT_VISION = bind("mtmd_support_vision", BOOL, PTR);
    public static boolean supportVision(MemorySegment ctx) {
        try { return (boolean) MTMD_SUPPORT_VISION.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_SUPPORT_AUDIO = bind("mtmd_support_audio", BOOL, PTR);
    public static boolean supportAudio(MemorySegment ctx) {
        try { return (boolean) MTMD_SUPPORT_AUDIO.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_DECODE_USE_NON_CAUSAL = bind("mtmd_decode_use_non_causal", BOOL, PTR, PTR);
    /** Whether image embeddings of {@code chunk} must be decoded with non-causal attention (own eval loops). */
    public static boolean decodeUseNonCausal(MemorySegment ctx, MemorySegment chunk) {
        try { return (boolean) MTMD_DECODE_USE_NON_CAUSAL.invokeExact(ctx, chunk); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_DECODE_USE_MROPE = bind("mtmd_decode_use_mrope", BOOL, PTR);
    /** Whether the text model uses M-RoPE positions (then n_pos differs from n_tokens). */
    public static boolean decodeUseMrope(MemorySegment ctx) {
        try { return (boolean) MTMD_DECODE_USE_MROPE.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_LOG_SET = bind("mtmd_log_set", null, PTR, PTR);
    /** Log callback of mtmd's core (clip); {@code LlamaLog.callback()} fits. NULL restores stderr. */
    public static void logSet(MemorySegment callback, MemorySegment userData) {
        try { MTMD_LOG_SET.invokeExact(callback, userData); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_HELPER_LOG_SET = bind("mtmd_helper_log_set", null, PTR, PTR);
    /** Log callback of the helpers and, through them, of mtmd's core. */
    public static void helperLogSet(MemorySegment callback, MemorySegment userData) {
        try { MTMD_HELPER_LOG_SET.invokeExact(callback, userData); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- bitmaps

    private static final MethodHandle MTMD_BITMAP_INIT = bind("mtmd_bitmap_init", PTR, INT, INT, PTR);
    /** The raw call: {@code rgb} is nx*ny*3 bytes RGBRGB..., copied; NULL data makes a placeholder for counting tokens. */
    public static MemorySegment bitmapInit(int nx, int ny, MemorySegment rgb) {
        try { return (MemorySegment) MTMD_BITMAP_INIT.invokeExact(nx, ny, rgb); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** A bitmap copied from packed RGB bytes (row-major, 3 bytes per pixel); free with {@link #bitmapFree}. */
    public static MemorySegment bitmapInit(int nx, int ny, byte[] rgb) {
        if (nx <= 0 || ny <= 0 || rgb.length != 3L * nx * ny) {
            throw new IllegalArgumentException("an RGB bitmap of " + nx + "x" + ny + " needs " + 3L * nx * ny + " bytes, got " + rgb.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            return bitmapInit(nx, ny, arena.allocateFrom(ValueLayout.JAVA_BYTE, rgb));
        }
    }

    private static final MethodHandle MTMD_BITMAP_FREE = bind("mtmd_bitmap_free", null, PTR);
    public static void bitmapFree(MemorySegment bitmap) {
        try { MTMD_BITMAP_FREE.invokeExact(bitmap); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_BITMAP_GET_NX = bind("mtmd_bitmap_get_nx", INT, PTR);
    public static int bitmapGetNx(MemorySegment bitmap) {
        try { return (int) MTMD_BITMAP_GET_NX.invokeExact(bitmap); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_BITMAP_GET_NY = bind("mtmd_bitmap_get_ny", INT, PTR);
    public static int bitmapGetNy(MemorySegment bitmap) {
        try { return (int) MTMD_BITMAP_GET_NY.invokeExact(bitmap); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_BITMAP_GET_DATA = bind("mtmd_bitmap_get_data", PTR, PTR);
    private static final MethodHandle MTMD_BITMAP_GET_N_BYTES = bind("mtmd_bitmap_get_n_bytes", SIZE_T, PTR);
    /** The bitmap's pixels (or PCM floats), in place, sized by mtmd_bitmap_get_n_bytes. */
    public static MemorySegment bitmapGetData(MemorySegment bitmap) {
        try {
            long n = (long) MTMD_BITMAP_GET_N_BYTES.invokeExact(bitmap);
            return ((MemorySegment) MTMD_BITMAP_GET_DATA.invokeExact(bitmap)).reinterpret(n);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_BITMAP_SET_ID = bind("mtmd_bitmap_set_id", null, PTR, PTR);
    /** An id (e.g. a content hash) carried into the chunk, for KV cache reuse; mtmd copies it. */
    public static void bitmapSetId(MemorySegment bitmap, String id) {
        try (Arena arena = Arena.ofConfined()) {
            MTMD_BITMAP_SET_ID.invokeExact(bitmap, arena.allocateFrom(id));
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_BITMAP_SET_MERGEABLE = bind("mtmd_bitmap_set_mergeable", null, PTR, BOOL);
    /** Marks a video frame that video-capable models (Qwen-VL) may merge with its neighbour into one chunk. */
    public static void bitmapSetMergeable(MemorySegment bitmap, boolean mergeable) {
        try { MTMD_BITMAP_SET_MERGEABLE.invokeExact(bitmap, mergeable); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- chunks

    private static final MethodHandle MTMD_INPUT_CHUNKS_INIT = bind("mtmd_input_chunks_init", PTR);
    /** An empty chunk list for {@link #tokenize}; free with {@link #inputChunksFree}. */
    public static MemorySegment inputChunksInit() {
        try { return (MemorySegment) MTMD_INPUT_CHUNKS_INIT.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INPUT_CHUNKS_FREE = bind("mtmd_input_chunks_free", null, PTR);
    public static void inputChunksFree(MemorySegment chunks) {
        try { MTMD_INPUT_CHUNKS_FREE.invokeExact(chunks); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INPUT_CHUNKS_SIZE = bind("mtmd_input_chunks_size", SIZE_T, PTR);
    public static long inputChunksSize(MemorySegment chunks) {
        try { return (long) MTMD_INPUT_CHUNKS_SIZE.invokeExact(chunks); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INPUT_CHUNKS_GET = bind("mtmd_input_chunks_get", PTR, PTR, SIZE_T);
    /** Chunk {@code idx}, owned by the list. */
    public static MemorySegment inputChunksGet(MemorySegment chunks, long idx) {
        MemorySegment chunk;
        try { chunk = (MemorySegment) MTMD_INPUT_CHUNKS_GET.invokeExact(chunks, idx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
        if (chunk.equals(MemorySegment.NULL)) throw new IndexOutOfBoundsException("chunk " + idx + " of " + inputChunksSize(chunks));
        return chunk;
    }

    private static final MethodHandle MTMD_INPUT_CHUNK_GET_TYPE = bind("mtmd_input_chunk_get_type", ENUM, PTR);
    /** CHUNK_TYPE_TEXT, CHUNK_TYPE_IMAGE or CHUNK_TYPE_AUDIO. */
    public static int inputChunkGetType(MemorySegment chunk) {
        try { return (int) MTMD_INPUT_CHUNK_GET_TYPE.invokeExact(chunk); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INPUT_CHUNK_GET_N_TOKENS = bind("mtmd_input_chunk_get_n_tokens", SIZE_T, PTR);
    /** Tokens (text) or embedding rows (media) of the chunk: the KV cells it takes. */
    public static long inputChunkGetNTokens(MemorySegment chunk) {
        try { return (long) MTMD_INPUT_CHUNK_GET_N_TOKENS.invokeExact(chunk); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INPUT_CHUNK_GET_TOKENS_TEXT = bind("mtmd_input_chunk_get_tokens_text", PTR, PTR, PTR);
    /** The token ids of a text chunk; empty for media chunks. */
    public static int[] inputChunkGetTokensText(MemorySegment chunk) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(SIZE_T);
            MemorySegment tokens = (MemorySegment) MTMD_INPUT_CHUNK_GET_TOKENS_TEXT.invokeExact(chunk, n);
            long count = n.get(SIZE_T, 0);
            if (tokens.equals(MemorySegment.NULL) || count == 0) return new int[0];
            return tokens.reinterpret(count * 4).toArray(ValueLayout.JAVA_INT);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INPUT_CHUNK_GET_N_POS = bind("mtmd_input_chunk_get_n_pos", INT, PTR);
    /** Positions the chunk advances n_past by (differs from n_tokens under M-RoPE). */
    public static int inputChunkGetNPos(MemorySegment chunk) {
        try { return (int) MTMD_INPUT_CHUNK_GET_N_POS.invokeExact(chunk); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INPUT_CHUNK_GET_ID = bind("mtmd_input_chunk_get_id", PTR, PTR);
    /** The media id of an image/audio chunk, null for text. */
    public static String inputChunkGetId(MemorySegment chunk) {
        try { return string((MemorySegment) MTMD_INPUT_CHUNK_GET_ID.invokeExact(chunk)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_INPUT_CHUNK_COPY = bind("mtmd_input_chunk_copy", PTR, PTR);
    /**
     * A deep copy of {@code chunk} (text tokens, or the image's preprocessed pixels in a new allocation)
     * owned by the caller, which outlives the chunk's list; free with {@link #inputChunkFree}.
     *
     * @throws LlamaException when mtmd returns NULL
     */
    public static MemorySegment inputChunkCopy(MemorySegment chunk) {
        MemorySegment copy;
        try { copy = (MemorySegment) MTMD_INPUT_CHUNK_COPY.invokeExact(chunk); } catch (Throwable t) { throw Downcalls.rethrow(t); }
        if (copy.equals(MemorySegment.NULL)) throw new LlamaException("mtmd_input_chunk_copy returned NULL");
        return copy;
    }

    private static final MethodHandle MTMD_INPUT_CHUNK_FREE = bind("mtmd_input_chunk_free", null, PTR);
    /** Frees a chunk from {@link #inputChunkCopy}; never one owned by a chunk list. NULL is ignored. */
    public static void inputChunkFree(MemorySegment chunk) {
        try { MTMD_INPUT_CHUNK_FREE.invokeExact(chunk); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- tokenize and encode

    private static final MethodHandle MTMD_TOKENIZE = bind("mtmd_tokenize", INT, PTR, PTR, PTR, PTR, SIZE_T);
    /**
     * The raw call: {@code text} points to an {@link MtmdInputText}, {@code bitmaps} to an
     * array of {@code nBitmaps} bitmap pointers, one per marker in the text. Returns 0 on
     * success; 1 or 2 on failure (this version returns 2 also when the marker and bitmap
     * counts differ).
     */
    public static int tokenize(MemorySegment ctx, MemorySegment output, MemorySegment text, MemorySegment bitmaps, long nBitmaps) {
        try { return (int) MTMD_TOKENIZE.invokeExact(ctx, output, text, bitmaps, nBitmaps); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /**
     * Splits {@code prompt} at its media markers into text and media chunks, appended to
     * {@code output} (from {@link #inputChunksInit}); one bitmap per marker, in order.
     *
     * @throws IllegalArgumentException when the marker count differs from {@code bitmaps.length}
     * @throws LlamaException when mtmd cannot tokenize (e.g. a bitmap cannot be preprocessed)
     */
    public static void tokenize(MemorySegment ctx, MemorySegment output, String prompt, boolean addSpecial, boolean parseSpecial,
                                MemorySegment... bitmaps) {
        // mtmd reports a marker/bitmap mismatch only as a generic failure (2) in this version; say it precisely.
        String marker = getMarker(ctx);
        int markers = 0;
        for (int at = prompt.indexOf(marker); at >= 0; at = prompt.indexOf(marker, at + marker.length())) markers++;
        if (markers != bitmaps.length) {
            throw new IllegalArgumentException("the prompt has " + markers + " media markers " + marker + " but " + bitmaps.length + " bitmaps were given");
        }
        int rc;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = MtmdInputText.allocate(arena, prompt, addSpecial, parseSpecial);
            MemorySegment array = arena.allocate(PTR, Math.max(1, bitmaps.length));
            for (int i = 0; i < bitmaps.length; i++) array.setAtIndex(PTR, i, bitmaps[i]);
            rc = tokenize(ctx, output, text, array, bitmaps.length);
        }
        if (rc != 0) throw new LlamaException("mtmd_tokenize failed (" + rc + "): a bitmap could not be preprocessed; see the log");
    }

    private static final MethodHandle MTMD_GET_MARKER = bind("mtmd_get_marker", PTR, PTR);
    /** The media marker this context splits prompts at (the params' media_marker). */
    public static String getMarker(MemorySegment ctx) {
        try { return string((MemorySegment) MTMD_GET_MARKER.invokeExact(ctx)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_ENCODE_CHUNK = bind("mtmd_encode_chunk", INT, PTR, PTR);
    /** Runs the vision/audio encoder on a media chunk (text chunks are skipped); 0 on success. */
    public static int encodeChunk(MemorySegment ctx, MemorySegment chunk) {
        try { return (int) MTMD_ENCODE_CHUNK.invokeExact(ctx, chunk); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_GET_OUTPUT_EMBD = bind("mtmd_get_output_embd", PTR, PTR);
    /**
     * Embeddings of the last encode, n_tokens(chunk) x llama_model_n_embd_inp floats, as an
     * unsized pointer; valid until the next encode.
     */
    public static MemorySegment getOutputEmbd(MemorySegment ctx) {
        try { return (MemorySegment) MTMD_GET_OUTPUT_EMBD.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- helpers

    private static final MethodHandle MTMD_HELPER_GET_N_TOKENS = bind("mtmd_helper_get_n_tokens", SIZE_T, PTR);
    /** KV cells all chunks take. */
    public static long helperGetNTokens(MemorySegment chunks) {
        try { return (long) MTMD_HELPER_GET_N_TOKENS.invokeExact(chunks); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_HELPER_GET_N_POS = bind("mtmd_helper_get_n_pos", INT, PTR);
    /** Positions all chunks advance n_past by. */
    public static int helperGetNPos(MemorySegment chunks) {
        try { return (int) MTMD_HELPER_GET_N_POS.invokeExact(chunks); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_HELPER_EVAL_CHUNKS = bind("mtmd_helper_eval_chunks", INT, PTR, PTR, PTR, INT, INT, INT, BOOL, PTR);
    /**
     * Decodes text chunks and encodes then decodes media chunks into {@code lctx}, starting
     * at position {@code nPast} of sequence {@code seqId}, {@code nBatch} tokens per decode;
     * {@code logitsLast} leaves logits for the last token. Returns the new n_past.
     *
     * @throws LlamaException when an encode or decode fails
     */
    public static int helperEvalChunks(MemorySegment ctx, MemorySegment lctx, MemorySegment chunks, int nPast, int seqId,
                                       int nBatch, boolean logitsLast) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment newNPast = arena.allocate(INT);
            int rc = (int) MTMD_HELPER_EVAL_CHUNKS.invokeExact(ctx, lctx, chunks, nPast, seqId, nBatch, logitsLast, newNPast);
            if (rc != 0) throw new LlamaException("mtmd_helper_eval_chunks failed (" + rc + ") at n_past " + nPast + "; see the log");
            return newNPast.get(INT, 0);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_HELPER_INIT_OPT_DEFAULT = bind("mtmd_helper_init_opt_default", HELPER_INIT_OPT);
    /** A {@link #HELPER_INIT_OPT} with the helper defaults (4 fps, timestamps every 5 s). */
    public static MemorySegment helperInitOptDefault(SegmentAllocator allocator) {
        try { return (MemorySegment) MTMD_HELPER_INIT_OPT_DEFAULT.invokeExact(allocator); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle MTMD_HELPER_BITMAP_INIT_FROM_FILE = bind("mtmd_helper_bitmap_init_from_file",
            HELPER_BITMAP_WRAPPER, PTR, PTR, BOOL, HELPER_INIT_OPT);
    /**
     * The raw call, returning a {@link #HELPER_BITMAP_WRAPPER}: the bitmap (NULL on failure)
     * and, for a video file, the video context behind the lazy bitmap, which the caller frees
     * with {@link #helperVideoFree} after the bitmap.
     */
    public static MemorySegment helperBitmapInitFromFile(SegmentAllocator allocator, MemorySegment ctx, MemorySegment fname,
                                                         boolean placeholder, MemorySegment opt) {
        try {
            return (MemorySegment) MTMD_HELPER_BITMAP_INIT_FROM_FILE.invokeExact(allocator, ctx, fname, placeholder, opt);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /**
     * Decodes an image (jpg, png, bmp, gif... via stb_image) or audio file (wav, mp3, flac)
     * into a bitmap whose id is the file's SHA-256. {@code ctx} is needed for audio only
     * (sample rate) and may be NULL for images.
     *
     * @throws LlamaException naming the file when it cannot be decoded, or is a video
     */
    public static MemorySegment helperBitmapInitFromFile(MemorySegment ctx, Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment wrapper = helperBitmapInitFromFile(arena, ctx, arena.allocateFrom(file.toString()), false, helperInitOptDefault(arena));
            MemorySegment bitmap = wrapper.get(PTR, HELPER_BITMAP_WRAPPER.byteOffset(MemoryLayout.PathElement.groupElement("bitmap")));
            MemorySegment video = wrapper.get(PTR, HELPER_BITMAP_WRAPPER.byteOffset(MemoryLayout.PathElement.groupElement("video_ctx")));
            if (!video.equals(MemorySegment.NULL)) {
                if (!bitmap.equals(MemorySegment.NULL)) bitmapFree(bitmap);
                helperVideoFree(video);
                throw new LlamaException(file + " is a video; decode its frames and pass them as RGB bitmaps (bitmapInit + bitmapSetMergeable)");
            }
            if (bitmap.equals(MemorySegment.NULL)) {
                throw new LlamaException("mtmd could not decode " + file + (Files.exists(file) ? " as an image or audio file" : " (no such file)"));
            }
            return bitmap;
        }
    }

    private static final MethodHandle MTMD_HELPER_VIDEO_FREE = bind("mtmd_helper_video_free", null, PTR);
    public static void helperVideoFree(MemorySegment video) {
        try { MTMD_HELPER_VIDEO_FREE.invokeExact(video); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static String string(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? null : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
