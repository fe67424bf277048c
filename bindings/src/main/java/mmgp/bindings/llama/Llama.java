package mmgp.bindings.llama;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibrary;

/**
 * Downcalls into libllama (llama.h): what an engine needs to load a GGUF model, create a
 * context, tokenize, decode batches and read logits/embeddings for its own Java sampling loop,
 * and manage the KV memory per sequence. The struct parameters live in
 * {@link LlamaModelParams}, {@link LlamaContextParams} and {@link LlamaBatch}; logging in
 * {@link LlamaLog}.
 *
 * <p>Handles are raw {@link MemorySegment}s. Functions that return a struct by value take a
 * {@link SegmentAllocator} for the result. llama.cpp throws C++ exceptions through its C API
 * when a token id is out of range (std::out_of_range, which terminates the process), so the
 * token-taking wrappers check the id first.
 */
public final class Llama {
    /** LLAMA_TOKEN_NULL */
    public static final int TOKEN_NULL = -1;

    private Llama() {}

    private static MethodHandle bind(String name, MemoryLayout result, MemoryLayout... args) {
        return Downcalls.bind(NativeLibrary.LLAMA, name, result, args);
    }

    // ---- process setup

    private static final MethodHandle LLAMA_BACKEND_INIT = bind("llama_backend_init", null);
    /** Once per process, before anything else. */
    public static void backendInit() {
        try { LLAMA_BACKEND_INIT.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_BACKEND_FREE = bind("llama_backend_free", null);
    /** Frees the backend; the log sink's unterminated lines are written out first. */
    public static void backendFree() {
        LlamaLog.flush();
        try { LLAMA_BACKEND_FREE.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_PRINT_SYSTEM_INFO = bind("llama_print_system_info", PTR);
    /** The CPU features and backends llama.cpp was built with, e.g. "CPU : SSE3 = 1 | AVX2 = 1 | ...". */
    public static String printSystemInfo() {
        try { return string((MemorySegment) LLAMA_PRINT_SYSTEM_INFO.invokeExact()); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** In a holder of its own, as {@code Ggml}'s: the first class to load the libraries is still initializing when the log callback is installed. */
    private static final class LogSet {
        static final MethodHandle HANDLE = bind("llama_log_set", null, PTR, PTR);
    }
    /**
     * Sets the {@code ggml_log_callback} for llama.cpp and ggml (NULL restores stderr). The
     * callback must outlive every later llama.cpp call; {@link LlamaLog} provides one.
     */
    public static void logSet(MemorySegment callback, MemorySegment userData) {
        try { LogSet.HANDLE.invokeExact(callback, userData); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- default parameters (structs returned by value)

    private static final MethodHandle LLAMA_MODEL_DEFAULT_PARAMS = bind("llama_model_default_params", LlamaModelParams.LAYOUT);
    /** A {@link LlamaModelParams} filled with llama.cpp's defaults, allocated by {@code allocator}. */
    public static MemorySegment modelDefaultParams(SegmentAllocator allocator) {
        try { return (MemorySegment) LLAMA_MODEL_DEFAULT_PARAMS.invokeExact(allocator); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_CONTEXT_DEFAULT_PARAMS = bind("llama_context_default_params", LlamaContextParams.LAYOUT);
    /** A {@link LlamaContextParams} filled with llama.cpp's defaults, allocated by {@code allocator}. */
    public static MemorySegment contextDefaultParams(SegmentAllocator allocator) {
        try { return (MemorySegment) LLAMA_CONTEXT_DEFAULT_PARAMS.invokeExact(allocator); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- model

    private static final MethodHandle LLAMA_MODEL_LOAD_FROM_FILE = bind("llama_model_load_from_file", PTR, PTR, LlamaModelParams.LAYOUT);
    /**
     * Loads a GGUF model (split files follow the {@code name-00001-of-0000N.gguf} pattern).
     *
     * @throws LlamaException naming the file when llama.cpp returns NULL (missing, corrupt,
     *         unsupported architecture; llama.cpp logs the reason)
     */
    public static MemorySegment modelLoadFromFile(Path file, MemorySegment params) {
        MemorySegment model;
        try (Arena arena = Arena.ofConfined()) {
            model = (MemorySegment) LLAMA_MODEL_LOAD_FROM_FILE.invokeExact(arena.allocateFrom(file.toString()), params);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
        if (model.equals(MemorySegment.NULL)) {
            throw new LlamaException("llama.cpp could not load the model " + file
                    + (Files.exists(file) ? " (not a GGUF model llama.cpp supports, or corrupt; see llama.cpp's log)" : " (no such file)"));
        }
        return model;
    }

    private static final MethodHandle LLAMA_MODEL_FREE = bind("llama_model_free", null, PTR);
    public static void modelFree(MemorySegment model) {
        try { LLAMA_MODEL_FREE.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_GET_VOCAB = bind("llama_model_get_vocab", PTR, PTR);
    public static MemorySegment modelGetVocab(MemorySegment model) {
        try { return (MemorySegment) LLAMA_MODEL_GET_VOCAB.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_N_EMBD = bind("llama_model_n_embd", INT, PTR);
    public static int modelNEmbd(MemorySegment model) {
        try { return (int) LLAMA_MODEL_N_EMBD.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_N_EMBD_INP = bind("llama_model_n_embd_inp", INT, PTR);
    /** Width of input embeddings: what mtmd_get_output_embd produces per token. */
    public static int modelNEmbdInp(MemorySegment model) {
        try { return (int) LLAMA_MODEL_N_EMBD_INP.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_N_CTX_TRAIN = bind("llama_model_n_ctx_train", INT, PTR);
    public static int modelNCtxTrain(MemorySegment model) {
        try { return (int) LLAMA_MODEL_N_CTX_TRAIN.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_N_LAYER = bind("llama_model_n_layer", INT, PTR);
    public static int modelNLayer(MemorySegment model) {
        try { return (int) LLAMA_MODEL_N_LAYER.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_N_HEAD = bind("llama_model_n_head", INT, PTR);
    public static int modelNHead(MemorySegment model) {
        try { return (int) LLAMA_MODEL_N_HEAD.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_SIZE = bind("llama_model_size", I64, PTR);
    /** Total bytes of all weights. */
    public static long modelSize(MemorySegment model) {
        try { return (long) LLAMA_MODEL_SIZE.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_N_PARAMS = bind("llama_model_n_params", I64, PTR);
    public static long modelNParams(MemorySegment model) {
        try { return (long) LLAMA_MODEL_N_PARAMS.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_HAS_ENCODER = bind("llama_model_has_encoder", BOOL, PTR);
    /** True for encoder-decoder models (T5...), which need llama_encode first. */
    public static boolean modelHasEncoder(MemorySegment model) {
        try { return (boolean) LLAMA_MODEL_HAS_ENCODER.invokeExact(model); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_DESC = bind("llama_model_desc", INT, PTR, PTR, SIZE_T);
    /** A short description of the model type, e.g. "llama 8B Q4_K - Medium". */
    public static String modelDesc(MemorySegment model) {
        try (Arena arena = Arena.ofConfined()) {
            for (int size = 128; ; ) {
                MemorySegment buf = arena.allocate(size);
                int n = (int) LLAMA_MODEL_DESC.invokeExact(model, buf, (long) size);
                if (n < size) return n < 0 ? "" : buf.getString(0);
                size = n + 1;
            }
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_META_VAL_STR = bind("llama_model_meta_val_str", INT, PTR, PTR, PTR, SIZE_T);
    /** A scalar GGUF metadata value rendered as a string, or null when the key is absent (arrays are not supported). */
    public static String modelMetaValStr(MemorySegment model, String key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cKey = arena.allocateFrom(key);
            for (int size = 256; ; ) {
                MemorySegment buf = arena.allocate(size);
                int n = (int) LLAMA_MODEL_META_VAL_STR.invokeExact(model, cKey, buf, (long) size);
                if (n < 0) return null;
                if (n < size) return buf.getString(0);
                size = n + 1;
            }
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MODEL_CHAT_TEMPLATE = bind("llama_model_chat_template", PTR, PTR, PTR);
    /** The model's default chat template (Jinja source), or null when it has none. */
    public static String modelChatTemplate(MemorySegment model) {
        try { return string((MemorySegment) LLAMA_MODEL_CHAT_TEMPLATE.invokeExact(model, MemorySegment.NULL)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- context

    private static final MethodHandle LLAMA_INIT_FROM_MODEL = bind("llama_init_from_model", PTR, PTR, LlamaContextParams.LAYOUT);
    /**
     * A context (KV memory, compute buffers) over {@code model}.
     *
     * @throws LlamaException when llama.cpp returns NULL (e.g. out of memory, invalid parameters)
     */
    public static MemorySegment initFromModel(MemorySegment model, MemorySegment params) {
        MemorySegment ctx;
        try { ctx = (MemorySegment) LLAMA_INIT_FROM_MODEL.invokeExact(model, params); } catch (Throwable t) { throw Downcalls.rethrow(t); }
        if (ctx.equals(MemorySegment.NULL)) {
            throw new LlamaException("llama.cpp could not create a context (n_ctx " + LlamaContextParams.nCtx(params)
                    + ", n_batch " + LlamaContextParams.nBatch(params) + ", n_seq_max " + LlamaContextParams.nSeqMax(params)
                    + "); see llama.cpp's log");
        }
        return ctx;
    }

    private static final MethodHandle LLAMA_FREE = bind("llama_free", null, PTR);
    public static void free(MemorySegment ctx) {
        try { LLAMA_FREE.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_GET_MODEL = bind("llama_get_model", PTR, PTR);
    public static MemorySegment getModel(MemorySegment ctx) {
        try { return (MemorySegment) LLAMA_GET_MODEL.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_N_CTX = bind("llama_n_ctx", INT, PTR);
    /** The context size actually used (llama.cpp pads the requested one to a multiple of 256). */
    public static int nCtx(MemorySegment ctx) {
        try { return (int) LLAMA_N_CTX.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_N_BATCH = bind("llama_n_batch", INT, PTR);
    public static int nBatch(MemorySegment ctx) {
        try { return (int) LLAMA_N_BATCH.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_N_UBATCH = bind("llama_n_ubatch", INT, PTR);
    public static int nUbatch(MemorySegment ctx) {
        try { return (int) LLAMA_N_UBATCH.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_N_SEQ_MAX = bind("llama_n_seq_max", INT, PTR);
    public static int nSeqMax(MemorySegment ctx) {
        try { return (int) LLAMA_N_SEQ_MAX.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_SET_N_THREADS = bind("llama_set_n_threads", null, PTR, INT, INT);
    /** Threads for single-token generation and for prompt/batch processing. */
    public static void setNThreads(MemorySegment ctx, int nThreads, int nThreadsBatch) {
        try { LLAMA_SET_N_THREADS.invokeExact(ctx, nThreads, nThreadsBatch); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_N_THREADS = bind("llama_n_threads", INT, PTR);
    public static int nThreads(MemorySegment ctx) {
        try { return (int) LLAMA_N_THREADS.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_SET_EMBEDDINGS = bind("llama_set_embeddings", null, PTR, BOOL);
    public static void setEmbeddings(MemorySegment ctx, boolean embeddings) {
        try { LLAMA_SET_EMBEDDINGS.invokeExact(ctx, embeddings); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_SET_CAUSAL_ATTN = bind("llama_set_causal_attn", null, PTR, BOOL);
    /** Non-causal attention for image-embedding batches of some vision models (mtmd_decode_use_non_causal). */
    public static void setCausalAttn(MemorySegment ctx, boolean causal) {
        try { LLAMA_SET_CAUSAL_ATTN.invokeExact(ctx, causal); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_SYNCHRONIZE = bind("llama_synchronize", null, PTR);
    /** Waits for pending computation (the getters below already do). */
    public static void synchronize(MemorySegment ctx) {
        try { LLAMA_SYNCHRONIZE.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- vocabulary

    private static final MethodHandle LLAMA_VOCAB_N_TOKENS = bind("llama_vocab_n_tokens", INT, PTR);
    public static int vocabNTokens(MemorySegment vocab) {
        try { return (int) LLAMA_VOCAB_N_TOKENS.invokeExact(vocab); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_BOS = bind("llama_vocab_bos", INT, PTR);
    /** Beginning-of-sequence token, or {@link #TOKEN_NULL}. */
    public static int vocabBos(MemorySegment vocab) {
        try { return (int) LLAMA_VOCAB_BOS.invokeExact(vocab); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_EOS = bind("llama_vocab_eos", INT, PTR);
    public static int vocabEos(MemorySegment vocab) {
        try { return (int) LLAMA_VOCAB_EOS.invokeExact(vocab); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_EOT = bind("llama_vocab_eot", INT, PTR);
    public static int vocabEot(MemorySegment vocab) {
        try { return (int) LLAMA_VOCAB_EOT.invokeExact(vocab); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_NL = bind("llama_vocab_nl", INT, PTR);
    public static int vocabNl(MemorySegment vocab) {
        try { return (int) LLAMA_VOCAB_NL.invokeExact(vocab); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_IS_EOG = bind("llama_vocab_is_eog", BOOL, PTR, INT);
    /** True for tokens that end generation (EOS, EOT, ...). */
    public static boolean vocabIsEog(MemorySegment vocab, int token) {
        try { return (boolean) LLAMA_VOCAB_IS_EOG.invokeExact(vocab, token); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_IS_CONTROL = bind("llama_vocab_is_control", BOOL, PTR, INT);
    public static boolean vocabIsControl(MemorySegment vocab, int token) {
        try { return (boolean) LLAMA_VOCAB_IS_CONTROL.invokeExact(vocab, token); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_GET_ADD_BOS = bind("llama_vocab_get_add_bos", BOOL, PTR);
    /** Whether the model wants BOS prepended (what tokenize's addSpecial does). */
    public static boolean vocabGetAddBos(MemorySegment vocab) {
        try { return (boolean) LLAMA_VOCAB_GET_ADD_BOS.invokeExact(vocab); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_GET_ADD_EOS = bind("llama_vocab_get_add_eos", BOOL, PTR);
    public static boolean vocabGetAddEos(MemorySegment vocab) {
        try { return (boolean) LLAMA_VOCAB_GET_ADD_EOS.invokeExact(vocab); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_VOCAB_GET_TEXT = bind("llama_vocab_get_text", PTR, PTR, INT);
    /** The token's vocabulary entry as stored (e.g. "▁the" for SPM), not its rendered text. */
    public static String vocabGetText(MemorySegment vocab, int token) {
        requireToken(vocab, token);
        try { return string((MemorySegment) LLAMA_VOCAB_GET_TEXT.invokeExact(vocab, token)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_TOKENIZE = bind("llama_tokenize", INT, PTR, PTR, INT, PTR, INT, BOOL, BOOL);
    /**
     * The raw call: tokens written to {@code tokens}; returns their count, or minus the count
     * needed when {@code nTokensMax} is too small (Integer.MIN_VALUE on overflow).
     */
    public static int tokenize(MemorySegment vocab, MemorySegment text, int textLen, MemorySegment tokens, int nTokensMax,
                               boolean addSpecial, boolean parseSpecial) {
        try {
            return (int) LLAMA_TOKENIZE.invokeExact(vocab, text, textLen, tokens, nTokensMax, addSpecial, parseSpecial);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /**
     * Tokenizes {@code text}. {@code addSpecial} adds BOS/EOS as the model is configured;
     * {@code parseSpecial} turns special-token text (e.g. "&lt;|im_start|&gt;") into its token.
     */
    public static int[] tokenize(MemorySegment vocab, String text, boolean addSpecial, boolean parseSpecial) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cText = arena.allocate(utf8.length + 1L);
            MemorySegment.copy(utf8, 0, cText, ValueLayout.JAVA_BYTE, 0, utf8.length);
            int capacity = utf8.length + 2;
            while (true) {
                MemorySegment tokens = arena.allocate(ValueLayout.JAVA_INT, capacity);
                int n = tokenize(vocab, cText, utf8.length, tokens, capacity, addSpecial, parseSpecial);
                if (n == Integer.MIN_VALUE) throw new LlamaException("tokenizing " + utf8.length + " bytes overflows int32 tokens");
                if (n >= 0) return tokens.asSlice(0, n * 4L).toArray(ValueLayout.JAVA_INT);
                capacity = -n;
            }
        }
    }

    private static final MethodHandle LLAMA_TOKEN_TO_PIECE = bind("llama_token_to_piece", INT, PTR, INT, PTR, INT, INT, BOOL);
    /**
     * The raw call: writes the token's text (no terminator) to {@code buf}; returns the byte
     * count, or minus the size needed. {@code lstrip} skips up to that many leading spaces;
     * {@code special} renders special tokens.
     */
    public static int tokenToPiece(MemorySegment vocab, int token, MemorySegment buf, int length, int lstrip, boolean special) {
        requireToken(vocab, token);
        try { return (int) LLAMA_TOKEN_TO_PIECE.invokeExact(vocab, token, buf, length, lstrip, special); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /**
     * The token's text as UTF-8 bytes. A piece can end inside a multi-byte character, so
     * streaming callers join bytes before decoding.
     */
    public static byte[] tokenToPiece(MemorySegment vocab, int token, boolean special) {
        try (Arena arena = Arena.ofConfined()) {
            for (int size = 64; ; ) {
                MemorySegment buf = arena.allocate(size);
                int n = tokenToPiece(vocab, token, buf, size, 0, special);
                if (n >= 0) return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
                size = -n;
            }
        }
    }

    private static final MethodHandle LLAMA_DETOKENIZE = bind("llama_detokenize", INT, PTR, PTR, INT, PTR, INT, BOOL, BOOL);
    /** The raw call: returns the byte count written, or minus the size needed. */
    public static int detokenize(MemorySegment vocab, MemorySegment tokens, int nTokens, MemorySegment text, int textLenMax,
                                 boolean removeSpecial, boolean unparseSpecial) {
        try {
            return (int) LLAMA_DETOKENIZE.invokeExact(vocab, tokens, nTokens, text, textLenMax, removeSpecial, unparseSpecial);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** Text of a token sequence (the inverse of {@link #tokenize(MemorySegment, String, boolean, boolean)}). */
    public static String detokenize(MemorySegment vocab, int[] tokens, boolean removeSpecial, boolean unparseSpecial) {
        int nVocab = vocabNTokens(vocab);
        for (int token : tokens) {
            if (token < 0 || token >= nVocab) throw new IndexOutOfBoundsException("token " + token + " outside the vocabulary of " + nVocab);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cTokens = arena.allocateFrom(ValueLayout.JAVA_INT, tokens);
            for (int size = Math.max(16, tokens.length * 8); ; ) {
                MemorySegment buf = arena.allocate(size);
                int n = detokenize(vocab, cTokens, tokens.length, buf, size, removeSpecial, unparseSpecial);
                if (n >= 0) return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                size = -n;
            }
        }
    }

    // ---- batches (struct llama_batch by value)

    private static final MethodHandle LLAMA_BATCH_INIT = bind("llama_batch_init", LlamaBatch.LAYOUT, INT, INT, INT);
    /**
     * A heap batch for up to {@code nTokens} entries: token ids when {@code embd} is 0, else
     * {@code embd} floats per entry; each entry may belong to {@code nSeqMax} sequences. Free
     * with {@link #batchFree}. The struct itself is allocated by {@code allocator}.
     */
    public static MemorySegment batchInit(SegmentAllocator allocator, int nTokens, int embd, int nSeqMax) {
        try { return (MemorySegment) LLAMA_BATCH_INIT.invokeExact(allocator, nTokens, embd, nSeqMax); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_BATCH_FREE = bind("llama_batch_free", null, LlamaBatch.LAYOUT);
    /** Frees the arrays of a {@link #batchInit} batch (not of a {@link #batchGetOne} one). */
    public static void batchFree(MemorySegment batch) {
        try { LLAMA_BATCH_FREE.invokeExact(batch); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_BATCH_GET_ONE = bind("llama_batch_get_one", LlamaBatch.LAYOUT, PTR, INT);
    /**
     * A batch over caller-owned {@code tokens} for sequence 0, positions tracked by llama.cpp,
     * logits for the last token only. Nothing to free; {@code tokens} must outlive the decode.
     */
    public static MemorySegment batchGetOne(SegmentAllocator allocator, MemorySegment tokens, int nTokens) {
        try { return (MemorySegment) LLAMA_BATCH_GET_ONE.invokeExact(allocator, tokens, nTokens); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- evaluation

    private static final MethodHandle LLAMA_DECODE = bind("llama_decode", INT, PTR, LlamaBatch.LAYOUT);
    /**
     * Runs the decoder over {@code batch}, appending to the KV memory. Returns 0 on success,
     * 1 when no KV slot was free, 2 when aborted, -1 for an invalid batch, below -1 on fatal
     * errors; the engine decides what each means for it.
     */
    public static int decode(MemorySegment ctx, MemorySegment batch) {
        try { return (int) LLAMA_DECODE.invokeExact(ctx, batch); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_ENCODE = bind("llama_encode", INT, PTR, LlamaBatch.LAYOUT);
    /** Runs the encoder (encoder-decoder models) or a cache-less pass; 0 on success, negative on error. */
    public static int encode(MemorySegment ctx, MemorySegment batch) {
        try { return (int) LLAMA_ENCODE.invokeExact(ctx, batch); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_GET_LOGITS = bind("llama_get_logits", PTR, PTR);
    /** All output rows of the last decode, n_outputs x n_vocab floats, as an unsized pointer. */
    public static MemorySegment getLogits(MemorySegment ctx) {
        try { return (MemorySegment) LLAMA_GET_LOGITS.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_GET_LOGITS_ITH = bind("llama_get_logits_ith", PTR, PTR, INT);
    /**
     * Logits of batch entry {@code i} (negative counts from the last output), n_vocab floats,
     * as an unsized pointer to reinterpret; valid until the next decode.
     *
     * @throws LlamaException when entry {@code i} produced no logits (a debug build of
     *         llama.cpp aborts instead; the pinned build is a release build)
     */
    public static MemorySegment getLogitsIth(MemorySegment ctx, int i) {
        MemorySegment logits;
        try { logits = (MemorySegment) LLAMA_GET_LOGITS_ITH.invokeExact(ctx, i); } catch (Throwable t) { throw Downcalls.rethrow(t); }
        if (logits.equals(MemorySegment.NULL)) throw new LlamaException("no logits for batch entry " + i + " (was its logits flag set?)");
        return logits;
    }

    private static final MethodHandle LLAMA_GET_EMBEDDINGS = bind("llama_get_embeddings", PTR, PTR);
    /** All output embeddings (n_outputs x n_embd) when pooling is NONE, else NULL. */
    public static MemorySegment getEmbeddings(MemorySegment ctx) {
        try { return (MemorySegment) LLAMA_GET_EMBEDDINGS.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_GET_EMBEDDINGS_ITH = bind("llama_get_embeddings_ith", PTR, PTR, INT);
    /**
     * The embedding (n_embd floats) of batch entry {@code i}, as an unsized pointer.
     *
     * @throws LlamaException when there is none (embeddings off, or entry not an output)
     */
    public static MemorySegment getEmbeddingsIth(MemorySegment ctx, int i) {
        MemorySegment embd;
        try { embd = (MemorySegment) LLAMA_GET_EMBEDDINGS_ITH.invokeExact(ctx, i); } catch (Throwable t) { throw Downcalls.rethrow(t); }
        if (embd.equals(MemorySegment.NULL)) throw new LlamaException("no embedding for batch entry " + i + " (embeddings enabled? output flag set?)");
        return embd;
    }

    private static final MethodHandle LLAMA_GET_EMBEDDINGS_SEQ = bind("llama_get_embeddings_seq", PTR, PTR, INT);
    /** The pooled embedding of a sequence (pooling MEAN/CLS/LAST/RANK), or NULL with pooling NONE. */
    public static MemorySegment getEmbeddingsSeq(MemorySegment ctx, int seqId) {
        try { return (MemorySegment) LLAMA_GET_EMBEDDINGS_SEQ.invokeExact(ctx, seqId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- KV memory (llama_memory_t)

    private static final MethodHandle LLAMA_GET_MEMORY = bind("llama_get_memory", PTR, PTR);
    public static MemorySegment getMemory(MemorySegment ctx) {
        try { return (MemorySegment) LLAMA_GET_MEMORY.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MEMORY_CLEAR = bind("llama_memory_clear", null, PTR, BOOL);
    /** Forgets every sequence; {@code data} also zeroes the buffers. */
    public static void memoryClear(MemorySegment mem, boolean data) {
        try { LLAMA_MEMORY_CLEAR.invokeExact(mem, data); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MEMORY_SEQ_RM = bind("llama_memory_seq_rm", BOOL, PTR, INT, INT, INT);
    /**
     * Removes positions [p0, p1) of a sequence (seqId &lt; 0: all sequences; p0 &lt; 0: from 0;
     * p1 &lt; 0: to the end). False when a partial removal is impossible (recurrent models).
     */
    public static boolean memorySeqRm(MemorySegment mem, int seqId, int p0, int p1) {
        try { return (boolean) LLAMA_MEMORY_SEQ_RM.invokeExact(mem, seqId, p0, p1); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MEMORY_SEQ_CP = bind("llama_memory_seq_cp", null, PTR, INT, INT, INT, INT);
    /** Shares positions [p0, p1) of {@code src} with {@code dst} (no copy of the cells for the KV cache). */
    public static void memorySeqCp(MemorySegment mem, int src, int dst, int p0, int p1) {
        try { LLAMA_MEMORY_SEQ_CP.invokeExact(mem, src, dst, p0, p1); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MEMORY_SEQ_KEEP = bind("llama_memory_seq_keep", null, PTR, INT);
    /** Removes every sequence except {@code seqId}. */
    public static void memorySeqKeep(MemorySegment mem, int seqId) {
        try { LLAMA_MEMORY_SEQ_KEEP.invokeExact(mem, seqId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MEMORY_SEQ_ADD = bind("llama_memory_seq_add", null, PTR, INT, INT, INT, INT);
    /** Shifts positions [p0, p1) of a sequence by {@code delta} (context shifting). */
    public static void memorySeqAdd(MemorySegment mem, int seqId, int p0, int p1, int delta) {
        try { LLAMA_MEMORY_SEQ_ADD.invokeExact(mem, seqId, p0, p1, delta); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MEMORY_SEQ_POS_MIN = bind("llama_memory_seq_pos_min", INT, PTR, INT);
    /** Smallest position held for the sequence, -1 when empty. */
    public static int memorySeqPosMin(MemorySegment mem, int seqId) {
        try { return (int) LLAMA_MEMORY_SEQ_POS_MIN.invokeExact(mem, seqId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle LLAMA_MEMORY_SEQ_POS_MAX = bind("llama_memory_seq_pos_max", INT, PTR, INT);
    /** Largest position held for the sequence, -1 when empty. */
    public static int memorySeqPosMax(MemorySegment mem, int seqId) {
        try { return (int) LLAMA_MEMORY_SEQ_POS_MAX.invokeExact(mem, seqId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static void requireToken(MemorySegment vocab, int token) {
        int n = vocabNTokens(vocab);
        if (token < 0 || token >= n) throw new IndexOutOfBoundsException("token " + token + " outside the vocabulary of " + n);
    }

    private static String string(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? null : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
