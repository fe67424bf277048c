package mmgp.bindings.mtmd;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct mtmd_context_params} of the pinned mtmd.h (96 bytes), passed and returned by
 * value. Defaults come from {@link Mtmd#contextParamsDefault} (use_gpu true, 4 threads,
 * media_marker "&lt;__media__&gt;", warmup true, batch_max_tokens 1024).
 */
public final class MtmdContextParams {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            BOOL.withName("use_gpu"),
            MemoryLayout.paddingLayout(7),
            PTR.withName("device"),
            BOOL.withName("print_timings"),
            MemoryLayout.paddingLayout(3),
            INT.withName("n_threads"),
            PTR.withName("image_marker"),
            PTR.withName("media_marker"),
            ENUM.withName("flash_attn_type"),
            BOOL.withName("warmup"),
            MemoryLayout.paddingLayout(3),
            INT.withName("image_min_tokens"),
            INT.withName("image_max_tokens"),
            PTR.withName("cb_eval"),
            PTR.withName("cb_eval_user_data"),
            INT.withName("batch_max_tokens"),
            MemoryLayout.paddingLayout(4),
            PTR.withName("progress_callback"),
            PTR.withName("progress_callback_user_data")).withName("mtmd_context_params");

    private static final long USE_GPU = offset("use_gpu");
    private static final long PRINT_TIMINGS = offset("print_timings");
    private static final long N_THREADS = offset("n_threads");
    private static final long MEDIA_MARKER = offset("media_marker");
    private static final long FLASH_ATTN_TYPE = offset("flash_attn_type");
    private static final long WARMUP = offset("warmup");
    private static final long IMAGE_MIN_TOKENS = offset("image_min_tokens");
    private static final long IMAGE_MAX_TOKENS = offset("image_max_tokens");
    private static final long BATCH_MAX_TOKENS = offset("batch_max_tokens");

    private MtmdContextParams() {}

    public static long offset(String field) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static MemorySegment view(MemorySegment params) {
        return params.reinterpret(LAYOUT.byteSize());
    }

    public static void useGpu(MemorySegment p, boolean v) { view(p).set(BOOL, USE_GPU, v); }
    public static boolean useGpu(MemorySegment p) { return view(p).get(BOOL, USE_GPU); }

    public static void printTimings(MemorySegment p, boolean v) { view(p).set(BOOL, PRINT_TIMINGS, v); }
    public static boolean printTimings(MemorySegment p) { return view(p).get(BOOL, PRINT_TIMINGS); }

    public static void nThreads(MemorySegment p, int v) { view(p).set(INT, N_THREADS, v); }
    public static int nThreads(MemorySegment p) { return view(p).get(INT, N_THREADS); }

    /** The marker string in prompts that stands for one bitmap; must outlive mtmd_init_from_file. */
    public static void mediaMarker(MemorySegment p, MemorySegment cString) { view(p).set(PTR, MEDIA_MARKER, cString); }
    public static MemorySegment mediaMarker(MemorySegment p) { return view(p).get(PTR, MEDIA_MARKER); }

    /** LlamaContextParams.FLASH_ATTN_* for the vision encoder. */
    public static void flashAttnType(MemorySegment p, int v) { view(p).set(ENUM, FLASH_ATTN_TYPE, v); }
    public static int flashAttnType(MemorySegment p) { return view(p).get(ENUM, FLASH_ATTN_TYPE); }

    /** Run one encode at init so the first real image is not slowed by allocation. */
    public static void warmup(MemorySegment p, boolean v) { view(p).set(BOOL, WARMUP, v); }
    public static boolean warmup(MemorySegment p) { return view(p).get(BOOL, WARMUP); }

    /** Token budget per image for dynamic-resolution encoders; -1 reads it from the model. */
    public static void imageMinTokens(MemorySegment p, int v) { view(p).set(INT, IMAGE_MIN_TOKENS, v); }
    public static int imageMinTokens(MemorySegment p) { return view(p).get(INT, IMAGE_MIN_TOKENS); }
    public static void imageMaxTokens(MemorySegment p, int v) { view(p).set(INT, IMAGE_MAX_TOKENS, v); }
    public static int imageMaxTokens(MemorySegment p) { return view(p).get(INT, IMAGE_MAX_TOKENS); }

    public static void batchMaxTokens(MemorySegment p, int v) { view(p).set(INT, BATCH_MAX_TOKENS, v); }
    public static int batchMaxTokens(MemorySegment p) { return view(p).get(INT, BATCH_MAX_TOKENS); }
}
