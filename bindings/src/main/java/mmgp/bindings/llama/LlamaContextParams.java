package mmgp.bindings.llama;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct llama_context_params} of the pinned llama.h (160 bytes), passed and returned
 * by value. Get llama.cpp's defaults from {@link Llama#contextDefaultParams} (n_ctx 512,
 * n_batch 2048, n_ubatch 512, n_seq_max 1, 4 threads, flash attention AUTO, no_perf true),
 * then change fields here.
 */
public final class LlamaContextParams {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            INT.withName("n_ctx"),
            INT.withName("n_batch"),
            INT.withName("n_ubatch"),
            INT.withName("n_seq_max"),
            INT.withName("n_rs_seq"),
            INT.withName("n_outputs_max"),
            INT.withName("n_outputs_max_per_seq"),
            INT.withName("n_threads"),
            INT.withName("n_threads_batch"),
            ENUM.withName("ctx_type"),
            ENUM.withName("rope_scaling_type"),
            ENUM.withName("pooling_type"),
            ENUM.withName("attention_type"),
            ENUM.withName("flash_attn_type"),
            FLOAT.withName("rope_freq_base"),
            FLOAT.withName("rope_freq_scale"),
            FLOAT.withName("yarn_ext_factor"),
            FLOAT.withName("yarn_attn_factor"),
            FLOAT.withName("yarn_beta_fast"),
            FLOAT.withName("yarn_beta_slow"),
            INT.withName("yarn_orig_ctx"),
            FLOAT.withName("defrag_thold"),
            PTR.withName("cb_eval"),
            PTR.withName("cb_eval_user_data"),
            ENUM.withName("type_k"),
            ENUM.withName("type_v"),
            PTR.withName("abort_callback"),
            PTR.withName("abort_callback_data"),
            BOOL.withName("embeddings"),
            BOOL.withName("offload_kqv"),
            BOOL.withName("no_perf"),
            BOOL.withName("op_offload"),
            BOOL.withName("swa_full"),
            BOOL.withName("kv_unified"),
            MemoryLayout.paddingLayout(2),
            PTR.withName("samplers"),
            SIZE_T.withName("n_samplers"),
            PTR.withName("ctx_other")).withName("llama_context_params");

    /** enum llama_flash_attn_type */
    public static final int FLASH_ATTN_AUTO = -1, FLASH_ATTN_DISABLED = 0, FLASH_ATTN_ENABLED = 1;
    /** enum llama_pooling_type */
    public static final int POOLING_UNSPECIFIED = -1, POOLING_NONE = 0, POOLING_MEAN = 1, POOLING_CLS = 2,
            POOLING_LAST = 3, POOLING_RANK = 4;
    /** enum llama_attention_type */
    public static final int ATTENTION_UNSPECIFIED = -1, ATTENTION_CAUSAL = 0, ATTENTION_NON_CAUSAL = 1;
    /** enum llama_rope_scaling_type */
    public static final int ROPE_SCALING_UNSPECIFIED = -1, ROPE_SCALING_NONE = 0, ROPE_SCALING_LINEAR = 1,
            ROPE_SCALING_YARN = 2, ROPE_SCALING_LONGROPE = 3;

    private static final long N_CTX = offset("n_ctx");
    private static final long N_BATCH = offset("n_batch");
    private static final long N_UBATCH = offset("n_ubatch");
    private static final long N_SEQ_MAX = offset("n_seq_max");
    private static final long N_THREADS = offset("n_threads");
    private static final long N_THREADS_BATCH = offset("n_threads_batch");
    private static final long POOLING_TYPE = offset("pooling_type");
    private static final long ATTENTION_TYPE = offset("attention_type");
    private static final long FLASH_ATTN_TYPE = offset("flash_attn_type");
    private static final long TYPE_K = offset("type_k");
    private static final long TYPE_V = offset("type_v");
    private static final long ABORT_CALLBACK = offset("abort_callback");
    private static final long ABORT_CALLBACK_DATA = offset("abort_callback_data");
    private static final long EMBEDDINGS = offset("embeddings");
    private static final long OFFLOAD_KQV = offset("offload_kqv");
    private static final long NO_PERF = offset("no_perf");
    private static final long OP_OFFLOAD = offset("op_offload");
    private static final long SWA_FULL = offset("swa_full");
    private static final long KV_UNIFIED = offset("kv_unified");

    private LlamaContextParams() {}

    /** Byte offset of a named field, for the fields without an accessor here. */
    public static long offset(String field) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static MemorySegment view(MemorySegment params) {
        return params.reinterpret(LAYOUT.byteSize());
    }

    /** Text context in tokens; 0 takes the model's training context. llama.cpp rounds it up to a multiple of 256. */
    public static void nCtx(MemorySegment p, int v) { view(p).set(INT, N_CTX, v); }
    public static int nCtx(MemorySegment p) { return view(p).get(INT, N_CTX); }

    /** Largest batch one llama_decode call accepts. */
    public static void nBatch(MemorySegment p, int v) { view(p).set(INT, N_BATCH, v); }
    public static int nBatch(MemorySegment p) { return view(p).get(INT, N_BATCH); }

    /** Physical batch: how many tokens one compute graph holds. */
    public static void nUbatch(MemorySegment p, int v) { view(p).set(INT, N_UBATCH, v); }
    public static int nUbatch(MemorySegment p) { return view(p).get(INT, N_UBATCH); }

    /** Distinct sequences (parallel states) the memory keeps. */
    public static void nSeqMax(MemorySegment p, int v) { view(p).set(INT, N_SEQ_MAX, v); }
    public static int nSeqMax(MemorySegment p) { return view(p).get(INT, N_SEQ_MAX); }

    public static void nThreads(MemorySegment p, int v) { view(p).set(INT, N_THREADS, v); }
    public static int nThreads(MemorySegment p) { return view(p).get(INT, N_THREADS); }

    public static void nThreadsBatch(MemorySegment p, int v) { view(p).set(INT, N_THREADS_BATCH, v); }
    public static int nThreadsBatch(MemorySegment p) { return view(p).get(INT, N_THREADS_BATCH); }

    public static void poolingType(MemorySegment p, int v) { view(p).set(ENUM, POOLING_TYPE, v); }
    public static int poolingType(MemorySegment p) { return view(p).get(ENUM, POOLING_TYPE); }

    public static void attentionType(MemorySegment p, int v) { view(p).set(ENUM, ATTENTION_TYPE, v); }
    public static int attentionType(MemorySegment p) { return view(p).get(ENUM, ATTENTION_TYPE); }

    /** FLASH_ATTN_*: this llama.cpp replaced the old bool flash_attn with this enum. */
    public static void flashAttnType(MemorySegment p, int v) { view(p).set(ENUM, FLASH_ATTN_TYPE, v); }
    public static int flashAttnType(MemorySegment p) { return view(p).get(ENUM, FLASH_ATTN_TYPE); }

    /** KV cache element types (enum ggml_type; default F16). */
    public static void typeK(MemorySegment p, int ggmlType) { view(p).set(ENUM, TYPE_K, ggmlType); }
    public static int typeK(MemorySegment p) { return view(p).get(ENUM, TYPE_K); }
    public static void typeV(MemorySegment p, int ggmlType) { view(p).set(ENUM, TYPE_V, ggmlType); }
    public static int typeV(MemorySegment p) { return view(p).get(ENUM, TYPE_V); }

    /** {@code bool (*)(void * data)}, polled during compute; true aborts llama_decode. */
    public static void abortCallback(MemorySegment p, MemorySegment callback, MemorySegment data) {
        view(p).set(PTR, ABORT_CALLBACK, callback);
        view(p).set(PTR, ABORT_CALLBACK_DATA, data);
    }

    /** Also extract embeddings (llama_get_embeddings*). */
    public static void embeddings(MemorySegment p, boolean v) { view(p).set(BOOL, EMBEDDINGS, v); }
    public static boolean embeddings(MemorySegment p) { return view(p).get(BOOL, EMBEDDINGS); }

    public static void offloadKqv(MemorySegment p, boolean v) { view(p).set(BOOL, OFFLOAD_KQV, v); }
    public static boolean offloadKqv(MemorySegment p) { return view(p).get(BOOL, OFFLOAD_KQV); }

    /** True skips llama.cpp's own timing counters. */
    public static void noPerf(MemorySegment p, boolean v) { view(p).set(BOOL, NO_PERF, v); }
    public static boolean noPerf(MemorySegment p) { return view(p).get(BOOL, NO_PERF); }

    public static void opOffload(MemorySegment p, boolean v) { view(p).set(BOOL, OP_OFFLOAD, v); }
    public static boolean opOffload(MemorySegment p) { return view(p).get(BOOL, OP_OFFLOAD); }

    public static void swaFull(MemorySegment p, boolean v) { view(p).set(BOOL, SWA_FULL, v); }
    public static boolean swaFull(MemorySegment p) { return view(p).get(BOOL, SWA_FULL); }

    public static void kvUnified(MemorySegment p, boolean v) { view(p).set(BOOL, KV_UNIFIED, v); }
    public static boolean kvUnified(MemorySegment p) { return view(p).get(BOOL, KV_UNIFIED); }
}
