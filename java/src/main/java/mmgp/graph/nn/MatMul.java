package mmgp.graph.nn;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import mmgp.bindings.ggml.GgmlBackend;
import mmgp.bindings.ggml.GgmlTensorStruct;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.tensor.GgmlType;

/**
 * The one place where a weight meets an activation in a matrix product. Every weight matmul
 * the models build ({@link Linear}, and the convolutions written as one matmul over patches)
 * comes through {@link #apply}, so the kernel route of a weight product is chosen here and
 * nowhere else.
 */
public final class MatMul {
    private MatMul() {}

    /**
     * Fewer activation columns than this stay on ggml's route: mmgp's Q8_0 GEMM computes 8
     * columns per vector and was slower than ggml's vector-dot path below 32 columns
     * (0.24x at 1 column, 0.96x at 16, 1.5x at 32; 2 threads, AMD EPYC Zen 3).
     */
    static final long Q8_MIN_COLUMNS = 32;

    /**
     * weight [K, M] (any stored type) times x [K, N, ...] (F32) → [M, N, ...]: PyTorch's
     * {@code x @ Wᵀ} for a W of shape (M, K).
     *
     * <p>The route point. Under {@link Numerics#FAST}, a 2-D Q8_0 weight in a plain CPU buffer
     * times at least {@link #Q8_MIN_COLUMNS} F32 columns goes through mmgp's Q8_0 GEMM
     * ({@link #q8Gemm}): the same quantization of x as ggml's, 1.3–1.8× faster on AVX2, equal to
     * ggml's result up to fp32 summation order (not bit-identical, hence FAST only). Everything
     * else is ggml's mul_mat as is.
     */
    public static Tensor apply(Graph g, Tensor weight, Tensor x) {
        if (g.backend().numerics() == Numerics.FAST && Q8Route.enabled() && q8Fits(weight, x) && inPlainCpuBuffer(weight)
                && x.ne(1) * x.ne(2) * x.ne(3) >= Q8_MIN_COLUMNS) {
            return q8Gemm(g, weight, x);
        }
        return g.mulMat(weight, x);
    }

    /**
     * mmgp's Q8_0 GEMM as two custom ops ({@code mmgp_gemm_q8.c}): x quantized to Q8_0 exactly
     * as ggml's mul_mat quantizes it (into an 8-column interleaved I8 buffer), then multiplied
     * with the weight's blocks read in place. Result as ggml_mul_mat(weight, x); weight and x must
     * satisfy {@link #q8Fits}, and the weight hold ggml's block_q8_0 rows as stored (not an AMX or CPU_REPACK
     * buffer; a graph input is fine). {@code params} (or null): {@code struct mmgp_q8_params} as int32
     * {flags, kcBlocks, ncGroups, 0}, e.g. {@link MmgpKernels#Q8_PORTABLE} for the plain C path.
     */
    public static Tensor q8Gemm(Graph g, Tensor weight, Tensor x, int... params) {
        if (!q8Fits(weight, x)) {
            throw new IllegalArgumentException("mmgp Q8_0 GEMM needs a 2-D Q8_0 weight [K, M] (K % 32 == 0) and F32 x [K, ...] "
                    + "with contiguous rows; got " + weight + " and " + x);
        }
        int[] p = params == null || params.length == 0 ? null : params;
        long k = weight.ne(0), n = x.ne(1) * x.ne(2) * x.ne(3);
        Tensor qa = g.customOp("mmgp_q8_act", GgmlType.I8, new long[] {MmgpKernels.q8ActBytes(k, n), 1, 1, 1},
                MmgpKernels.q8QuantizeActFunction(), p, x);
        return g.customOp("mmgp_q8_gemm", GgmlType.F32, new long[] {weight.ne(1), x.ne(1), x.ne(2), x.ne(3)},
                MmgpKernels.q8GemmFunction(), p, weight, qa);
    }

    /**
     * Whether {@link #q8Gemm} can compute weight × x by shapes and types. The weight's bytes must
     * also be ggml's block_q8_0 rows as stored, which {@link #apply} checks by its buffer and a
     * direct caller must ensure.
     */
    public static boolean q8Fits(Tensor weight, Tensor x) {
        return MmgpKernels.isAvailable() && weight.type() == GgmlType.Q8_0 && weight.ne(2) == 1 && weight.ne(3) == 1
                && weight.ne(0) % 32 == 0 && weight.nb(0) == GgmlType.Q8_0.bytesPerBlock()
                && x.type() == GgmlType.F32 && x.nb(0) == 4 && x.ne(0) == weight.ne(0);
    }

    /**
     * The weight's bytes are ggml's block_q8_0 rows as stored: a CPU or CPU_Mapped buffer. The
     * extra buffer types (AMX, CPU_REPACK) re-lay weights out on upload, and a weight not yet
     * allocated (a view before allocation) cannot be checked; both stay on ggml's route.
     */
    private static boolean inPlainCpuBuffer(Tensor weight) {
        MemorySegment buffer = GgmlTensorStruct.buffer(weight.ptr());
        if (buffer.equals(MemorySegment.NULL)) return false;
        String name = GgmlBackend.bufferName(buffer).reinterpret(64).getString(0);
        return PLAIN_CPU_BUFFERS.contains(name);
    }

    private static final Set<String> PLAIN_CPU_BUFFERS = Set.of("CPU", "CPU_Mapped");

    /**
     * Whether {@link #apply} may take the Q8_0 GEMM under FAST: when the kernels library is loaded
     * with its AVX2 path (the plain C path is slower than ggml; decided once per JVM), unless
     * {@code -Dmmgp.q8gemm=ggml} or {@code MMGP_Q8GEMM=ggml} asks for ggml's. The property is read
     * at every graph build, so a test or benchmark can compare the two routes in one JVM.
     */
    private static final class Q8Route {
        static final boolean AVAILABLE;

        static {
            AVAILABLE = MmgpKernels.isAvailable() && !MmgpKernels.q8Path().equals("scalar");
            System.getLogger(MatMul.class.getName()).log(System.Logger.Level.DEBUG, AVAILABLE
                    ? "Q8_0 matmul under numerics=fast: mmgp's GEMM (" + MmgpKernels.q8Path() + ") unless mmgp.q8gemm=ggml"
                    : "Q8_0 matmul: ggml's" + (MmgpKernels.isAvailable() ? " (no SIMD path compiled in)"
                            : "; the mmgp kernels are unavailable: " + MmgpKernels.unavailableReason()));
        }

        static boolean enabled() {
            return AVAILABLE && !"ggml".equalsIgnoreCase(System.getProperty("mmgp.q8gemm", System.getenv("MMGP_Q8GEMM")));
        }
    }
}
