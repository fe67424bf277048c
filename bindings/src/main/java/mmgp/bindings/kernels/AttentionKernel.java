package mmgp.bindings.kernels;

import java.lang.foreign.MemorySegment;
import mmgp.bindings.Downcalls;

/**
 * mmgp's fused attention op ({@code mmgp_attention}, mmgp_attention.c), optional like the group
 * norm: a kernels library that predates it still loads and the graph keeps ggml's flash attention.
 */
public final class AttentionKernel {
    /** {@code MMGP_ATTENTION_BIAS}: src[3] is a per-head F32 bias [Tk, ≥Tq, heads, 1|B]. */
    public static final int BIAS = 1;
    /** {@code MMGP_ATTENTION_MASK}: the next src is an F32 mask [Tk, ≥Tq, 1, 1|B]. */
    public static final int MASK = 2;
    /** {@code MMGP_ATTENTION_PORTABLE}: the plain C path, as CPUs without AVX2/FMA run it (for tests). */
    public static final int PORTABLE = 4;

    private AttentionKernel() {}

    /** Whether the loaded kernels library has the attention op; never throws. */
    public static boolean available() {
        return MmgpKernels.isAvailable() && !OptionalSymbols.ATTENTION.op().equals(MemorySegment.NULL);
    }

    /**
     * The address of {@code mmgp_attention}, a {@code ggml_custom_op_t}: q [D, Tq, B], k and v
     * [D, Tk, B] F32 (then the optional bias and mask) → softmax(scale·q·kᵀ + bias + mask)·v per
     * head, contiguous F32 [D, Tq, B]. params: {int32 heads, float scale, int32 flags ({@link #BIAS},
     * {@link #MASK}, {@link #PORTABLE}), int32 0, then four int32 0 the op
     * uses as its thread scheduler (one params block per op, living as long as the graph)}. Throws IllegalStateException when the library is
     * unavailable or predates the op.
     */
    public static MemorySegment function() {
        if (!MmgpKernels.isAvailable()) throw new IllegalStateException("the mmgp kernels are unavailable: " + MmgpKernels.unavailableReason());
        if (!available()) throw new IllegalStateException("the mmgp kernels in " + MmgpKernels.directory() + " lack mmgp_attention or its helpers (mmgp_attention_path, mmgp_attention_thread_bytes); rebuild with native/build-native.sh");
        return OptionalSymbols.ATTENTION.op();
    }

    /** What {@link #path()} returns for a build without the op's SIMD path (not x86 with AVX2 and FMA). */
    public static final String PLAIN_PATH = "plain C";

    /** The instruction path compiled in for the attention op, e.g. "avx2+fma 6x16 tiles", or {@link #PLAIN_PATH}. */
    public static String path() {
        String p = path; // a constant of the loaded library, read once (graph builds ask at every attention)
        if (p == null) {
            function();
            try {
                p = ((MemorySegment) OptionalSymbols.ATTENTION.helper(0).invokeExact()).reinterpret(256).getString(0);
            } catch (Throwable t) {
                throw Downcalls.rethrow(t);
            }
            path = p;
        }
        return p;
    }

    private static volatile String path;

    /**
     * {@code mmgp_attention_thread_bytes}: the bytes each thread of the op mallocs outside ggml's
     * plan for {@code keys} keys of head dim {@code headDim} (the op allocates exactly this).
     */
    public static long threadBytes(long keys, long headDim) {
        if (keys < 1 || headDim < 1) throw new IllegalArgumentException("attention needs keys ≥ 1 and head dim ≥ 1, got " + keys + " and " + headDim);
        function();
        try {
            return (long) OptionalSymbols.ATTENTION.helper(1).invokeExact(keys, headDim);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
