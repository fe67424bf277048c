package mmgp.bindings.llama;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct llama_model_params} of the pinned llama.h (80 bytes), passed and returned by
 * value. Get one filled with llama.cpp's defaults from {@link Llama#modelDefaultParams}, then
 * change fields here.
 *
 * <p>This llama.cpp no longer has {@code use_mmap}/{@code use_mlock}: both became
 * {@code load_mode} (LOAD_MODE_MMAP, LOAD_MODE_MLOCK, LOAD_MODE_MMAP_MLOCK, ...).
 */
public final class LlamaModelParams {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            PTR.withName("devices"),
            PTR.withName("tensor_buft_overrides"),
            INT.withName("n_gpu_layers"),
            ENUM.withName("split_mode"),
            ENUM.withName("load_mode"),
            ENUM.withName("lazy_mode"),
            INT.withName("main_gpu"),
            MemoryLayout.paddingLayout(4),
            PTR.withName("tensor_split"),
            PTR.withName("progress_callback"),
            PTR.withName("progress_callback_user_data"),
            PTR.withName("kv_overrides"),
            BOOL.withName("vocab_only"),
            BOOL.withName("check_tensors"),
            BOOL.withName("use_extra_bufts"),
            BOOL.withName("no_host"),
            BOOL.withName("no_alloc"),
            BOOL.withName("load_mtp"),
            MemoryLayout.paddingLayout(2)).withName("llama_model_params");

    /** enum llama_split_mode */
    public static final int SPLIT_MODE_NONE = 0, SPLIT_MODE_LAYER = 1, SPLIT_MODE_ROW = 2, SPLIT_MODE_TENSOR = 3;
    /** enum llama_load_mode */
    public static final int LOAD_MODE_AUTO = -1, LOAD_MODE_NONE = 0, LOAD_MODE_MMAP = 1, LOAD_MODE_MLOCK = 2,
            LOAD_MODE_MMAP_MLOCK = 3, LOAD_MODE_DIRECT_IO = 4;
    /** enum llama_lazy_mode */
    public static final int LAZY_MODE_OFF = 0, LAZY_MODE_AUTO = 1, LAZY_MODE_ON = 2;

    private static final long DEVICES = offset("devices");
    private static final long N_GPU_LAYERS = offset("n_gpu_layers");
    private static final long SPLIT_MODE = offset("split_mode");
    private static final long LOAD_MODE = offset("load_mode");
    private static final long LAZY_MODE = offset("lazy_mode");
    private static final long MAIN_GPU = offset("main_gpu");
    private static final long PROGRESS_CALLBACK = offset("progress_callback");
    private static final long PROGRESS_CALLBACK_USER_DATA = offset("progress_callback_user_data");
    private static final long VOCAB_ONLY = offset("vocab_only");
    private static final long CHECK_TENSORS = offset("check_tensors");
    private static final long USE_EXTRA_BUFTS = offset("use_extra_bufts");
    private static final long NO_HOST = offset("no_host");
    private static final long NO_ALLOC = offset("no_alloc");

    private LlamaModelParams() {}

    /** Byte offset of a named field, for the fields without an accessor here. */
    public static long offset(String field) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static MemorySegment view(MemorySegment params) {
        return params.reinterpret(LAYOUT.byteSize());
    }

    /** NULL-terminated list of ggml_backend_dev_t to offload to; NULL means all devices. */
    public static void devices(MemorySegment p, MemorySegment devices) { view(p).set(PTR, DEVICES, devices); }
    public static MemorySegment devices(MemorySegment p) { return view(p).get(PTR, DEVICES); }

    /** Layers stored on the GPU; negative means all. */
    public static void nGpuLayers(MemorySegment p, int v) { view(p).set(INT, N_GPU_LAYERS, v); }
    public static int nGpuLayers(MemorySegment p) { return view(p).get(INT, N_GPU_LAYERS); }

    public static void splitMode(MemorySegment p, int v) { view(p).set(ENUM, SPLIT_MODE, v); }
    public static int splitMode(MemorySegment p) { return view(p).get(ENUM, SPLIT_MODE); }

    /** How the weights are read: LOAD_MODE_* (mmap, mlock, direct I/O); replaces use_mmap/use_mlock. */
    public static void loadMode(MemorySegment p, int v) { view(p).set(ENUM, LOAD_MODE, v); }
    public static int loadMode(MemorySegment p) { return view(p).get(ENUM, LOAD_MODE); }

    public static void lazyMode(MemorySegment p, int v) { view(p).set(ENUM, LAZY_MODE, v); }
    public static int lazyMode(MemorySegment p) { return view(p).get(ENUM, LAZY_MODE); }

    public static void mainGpu(MemorySegment p, int v) { view(p).set(INT, MAIN_GPU, v); }
    public static int mainGpu(MemorySegment p) { return view(p).get(INT, MAIN_GPU); }

    /** {@code bool (*)(float progress, void * user_data)}; returning false aborts the load. */
    public static void progressCallback(MemorySegment p, MemorySegment callback, MemorySegment userData) {
        view(p).set(PTR, PROGRESS_CALLBACK, callback);
        view(p).set(PTR, PROGRESS_CALLBACK_USER_DATA, userData);
    }

    /** Load only the vocabulary, no weights (tokenizer use). */
    public static void vocabOnly(MemorySegment p, boolean v) { view(p).set(BOOL, VOCAB_ONLY, v); }
    public static boolean vocabOnly(MemorySegment p) { return view(p).get(BOOL, VOCAB_ONLY); }

    public static void checkTensors(MemorySegment p, boolean v) { view(p).set(BOOL, CHECK_TENSORS, v); }
    public static boolean checkTensors(MemorySegment p) { return view(p).get(BOOL, CHECK_TENSORS); }

    /** Extra buffer types (AMX, CPU_REPACK): weights are re-laid-out for faster kernels. */
    public static void useExtraBufts(MemorySegment p, boolean v) { view(p).set(BOOL, USE_EXTRA_BUFTS, v); }
    public static boolean useExtraBufts(MemorySegment p) { return view(p).get(BOOL, USE_EXTRA_BUFTS); }

    public static void noHost(MemorySegment p, boolean v) { view(p).set(BOOL, NO_HOST, v); }
    public static boolean noHost(MemorySegment p) { return view(p).get(BOOL, NO_HOST); }

    /** Only read metadata and simulate allocations (memory estimates). */
    public static void noAlloc(MemorySegment p, boolean v) { view(p).set(BOOL, NO_ALLOC, v); }
    public static boolean noAlloc(MemorySegment p) { return view(p).get(BOOL, NO_ALLOC); }
}
