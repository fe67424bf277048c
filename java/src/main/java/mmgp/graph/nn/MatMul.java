package mmgp.graph.nn;

import java.lang.foreign.MemorySegment;
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
     * a [K, M] (a weight of any stored type, or conv patches) times b [K, N, ...] → [M, N, ...],
     * ggml_mul_mat's contract: PyTorch's {@code x @ Wᵀ} for a W of shape (M, K) and x = b.
     *
     * <p>The route point. Under {@link Numerics#FAST}:
     * <ul>
     *   <li>a 2-D Q8_0 weight in a plain CPU buffer times F32 columns goes through mmgp's Q8_0
     *       GEMM ({@link #q8Gemm}): the same quantization of x as ggml's, equal to ggml's result up
     *       to fp32 summation order (not bit-identical, hence FAST only). Every column count takes
     *       it, though a few columns are slower than ggml's dot products (README, Performance):
     *       the count grows with the batch, and a request must take the same route alone and in
     *       a batch to keep its bits;</li>
     *   <li>when asked for ({@code mmgp.f32gemm=mmgp}; off by default, see {@link F32Route}), F16 or
     *       F32 operands (F16 weights and activations, the convolutions' F16 patches and
     *       kernels) go through mmgp's FP32 GEMM ({@link #f32Gemm}) whatever their sizes: F16
     *       values widened exactly and summed in fp32, where ggml's F16 route rounds the F32
     *       operand to F16 and sums in a different order. No size threshold, because sizes grow
     *       with the batch: a threshold would send a request alone and the same request in a
     *       batch down different routes, and the engine promises them the same bits. Only a 2-D
     *       first operand takes it: the Winograd products ({@link Winograd#product}, a 3-D U)
     *       stay ggml's under this switch.</li>
     * </ul>
     * Everything else, and everything under {@link Numerics#EXACT}, is ggml's mul_mat as is, except
     * that a weight in one of the CPU's extra buffer types (AMX, CPU_REPACK) is multiplied with
     * x as one 2-D F32 matrix ({@link #extraBufferProduct}).
     */
    public static Tensor apply(Graph g, Tensor weight, Tensor x) {
        if (weight.inExtraBuffer()) return extraBufferProduct(g, weight, x);
        if (g.backend().numerics() == Numerics.FAST) {
            if (Q8Route.enabled() && q8Fits(weight, x) && inPlainCpuBuffer(weight)) {
                return Q8Route.amx() ? q8Gemm(g, weight, x) : q8Gemm(g, weight, x, MmgpKernels.Q8_NO_AMX);
            }
            if (takesF32Gemm(g, weight, x)) return f32Gemm(g, weight, x);
        }
        return g.mulMat(weight, x);
    }

    /**
     * Whether {@link #apply} computes a × b with {@link #f32Gemm}: FAST numerics, the route on,
     * and F16/F32 operands that fit, whatever their sizes (see {@link #apply}).
     */
    public static boolean takesF32Gemm(Graph g, Tensor a, Tensor b) {
        return g.backend().numerics() == Numerics.FAST && F32Route.enabled() && f32Fits(a, b) && inPlainCpuLayout(a) && inPlainCpuLayout(b);
    }

    /**
     * mmgp's FP32 GEMM as one custom op ({@code mmgp_gemm_f32.c}): a [K, M] and b [K, N1, N2, N3],
     * each F16 or F32 with contiguous rows (a 2-D), → F32 [M, N1, N2, N3], every element one fp32
     * fma chain over k in order. {@code params} (or none): int32 {flags, kc, mc, nc}, e.g.
     * {@link MmgpKernels#F32GEMM_PORTABLE} for the plain C path.
     */
    public static Tensor f32Gemm(Graph g, Tensor a, Tensor b, int... params) {
        String misfit = f32Misfit(a, b);
        if (misfit != null) throw new IllegalArgumentException("mmgp F32 GEMM of " + a + " and " + b + ": " + misfit);
        int[] p = kernelParams(params);
        return g.customOp("mmgp_f32gemm", GgmlType.F32, new long[] {a.ne(1), b.ne(1), b.ne(2), b.ne(3)}, MmgpKernels.f32GemmFunction(), p, a, b);
    }

    /** Whether {@link #f32Gemm} can compute a × b by shapes and types (the kernels library loaded). */
    public static boolean f32Fits(Tensor a, Tensor b) {
        return MmgpKernels.isAvailable() && f32Misfit(a, b) == null;
    }

    /** Why {@link #f32Gemm} cannot compute a × b, or null when it can. */
    private static String f32Misfit(Tensor a, Tensor b) {
        if (!MmgpKernels.isAvailable()) return "the mmgp kernels are unavailable: " + MmgpKernels.unavailableReason();
        for (Tensor t : new Tensor[] {a, b}) {
            if (t.type() != GgmlType.F16 && t.type() != GgmlType.F32) return "operands must be F16/F32, not " + t.type();
            if (!halfOrFloatRows(t)) return "operands need contiguous rows (nb[0] = element size), " + t + " has nb[0] = " + t.nb(0);
        }
        if (a.ne(2) != 1 || a.ne(3) != 1) return "the first operand must be 2-D [K, M]";
        if (a.ne(0) != b.ne(0)) return "the operands must have the same K (ne[0]): " + a.ne(0) + " vs " + b.ne(0);
        if (a.ne(0) < 1) return "K (ne[0]) must be at least 1";
        return null;
    }

    /**
     * The kernels' params struct (four int32: flags and three block sizes, 0 meaning the default)
     * from the caller's leading values: null for none, else padded with zeros to four, as the C side
     * always reads four.
     */
    static int[] kernelParams(int[] params) {
        if (params == null || params.length == 0) return null;
        if (params.length > 4) throw new IllegalArgumentException("the kernels take at most 4 params (flags and three block sizes), got " + params.length);
        return java.util.Arrays.copyOf(params, 4);
    }

    private static boolean halfOrFloatRows(Tensor t) {
        return (t.type() == GgmlType.F16 && t.nb(0) == 2) || (t.type() == GgmlType.F32 && t.nb(0) == 4);
    }

    /**
     * mmgp's Q8_0 GEMM as two custom ops ({@code mmgp_gemm_q8.c}): x quantized to Q8_0 exactly
     * as ggml's mul_mat quantizes it (into an interleaved I8 buffer of column groups, 8 or 16 wide:
     * {@link MmgpKernels#q8GroupCols}), then multiplied with the weight's blocks read in place.
     * Result as ggml_mul_mat(weight, x); weight and x must satisfy {@link #q8Fits}, and the weight hold ggml's block_q8_0 rows as stored (not an AMX or CPU_REPACK
     * buffer; a graph input is fine). {@code params} (or null): {@code struct mmgp_q8_params} as int32
     * {flags, kcBlocks, ncGroups, 0}, e.g. {@link MmgpKernels#Q8_PORTABLE} for the plain C path.
     */
    public static Tensor q8Gemm(Graph g, Tensor weight, Tensor x, int... params) {
        if (!q8Fits(weight, x)) {
            throw new IllegalArgumentException("mmgp Q8_0 GEMM needs a 2-D Q8_0 weight [K, M] (K % 32 == 0) and F32 x [K, ...] "
                    + "with contiguous rows; got " + weight + " and " + x);
        }
        int[] p = kernelParams(params);
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
        return Tensor.isPlainCpuBuffer(GgmlBackend.bufferName(buffer).reinterpret(64).getString(0));
    }

    /**
     * The tensor's bytes will be laid out as its shape and strides say: the tensor it views (or
     * itself) is not allocated yet, so the graph allocator places it in the plain compute buffer,
     * or it lives in a plain CPU buffer (not re-laid out by an extra buffer type).
     */
    private static boolean inPlainCpuLayout(Tensor t) {
        return !t.inExtraBuffer();
    }

    /**
     * weight × x for a weight in an extra buffer type. Those kernels (ggml's AMX and repacked
     * routes) are picked for every mul_mat whose first operand lives there, whatever the second
     * one is, yet they read it as one contiguous F32 matrix and the weight as one 2-D matrix:
     * with x batched over dims 2-3 the AMX kernel read past the weight and the process died, and
     * a permuted or F16 x would be misread. So x goes in as contiguous F32 [K, N1·N2·N3] (the same
     * product: a 2-D weight is broadcast over x's batch dims) and the result is shaped back. A
     * view of such a weight (re-laid out on upload, so its bytes are not the view's) is refused.
     */
    static Tensor extraBufferProduct(Graph g, Tensor weight, Tensor x) {
        boolean view = !GgmlTensorStruct.viewSrc(weight.ptr()).equals(MemorySegment.NULL);
        if (view || weight.ne(2) != 1 || weight.ne(3) != 1) {
            throw new IllegalArgumentException("weight " + weight + " lives in an extra buffer type (" + weight.bufferName()
                    + "), which re-lays weights out: only a whole 2-D weight can be multiplied, "
                    + (view ? "not a view of it" : "not one with " + weight.ne(2) + "×" + weight.ne(3) + " matrices"));
        }
        long n1 = x.ne(1), n2 = x.ne(2), n3 = x.ne(3);
        Tensor flat = x.type() == GgmlType.F32 ? x : g.cast(x, GgmlType.F32);
        // reshape makes a non-contiguous x contiguous first
        if (n2 * n3 != 1 || !mmgp.bindings.ggml.Ggml.isContiguous(flat.ptr())) flat = g.reshape(flat, x.ne(0), n1 * n2 * n3);
        Tensor y = g.mulMat(weight, flat);
        return n2 == 1 && n3 == 1 ? y : g.reshape(y, weight.ne(1), n1, n2, n3);
    }

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
            return AVAILABLE && !"ggml".equals(routeSetting("mmgp.q8gemm", "MMGP_Q8GEMM"));
        }

        /**
         * Whether the GEMM may take its AMX path where the CPU has one (the same bits either way):
         * yes unless {@code -Dmmgp.q8amx=off} or {@code MMGP_Q8AMX=off}, read at every graph build
         * so that one JVM can compare the two.
         */
        static boolean amx() {
            String p = System.getProperty("mmgp.q8amx");
            String v = p != null && !p.isBlank() ? p : System.getenv("MMGP_Q8AMX");
            String value = v == null ? "" : v.strip().toLowerCase(java.util.Locale.ROOT);
            return switch (value) {
                case "", "on" -> true;
                case "off" -> false;
                default -> throw new IllegalArgumentException((p != null && !p.isBlank() ? "-Dmmgp.q8amx" : "MMGP_Q8AMX") + "=" + v
                        + " is not a setting: use on or off");
            };
        }
    }

    /**
     * Whether {@link #apply} may take the F32 GEMM under FAST: only when asked for with
     * {@code -Dmmgp.f32gemm=mmgp} or {@code MMGP_F32GEMM=mmgp}, and the kernels library has a SIMD
     * path (decided once per JVM). Off by default: on AVX2 ggml's F16 matmul was faster at every
     * decoder shape on an idle machine (README, Performance); the AVX-512 tile is unmeasured. The
     * property is read at every graph build, so a test or benchmark can compare the two routes in
     * one JVM.
     */
    private static final class F32Route {
        static final boolean AVAILABLE;

        static {
            AVAILABLE = MmgpKernels.isAvailable() && !MmgpKernels.f32GemmPath().startsWith("scalar");
            System.getLogger(MatMul.class.getName()).log(System.Logger.Level.DEBUG, AVAILABLE
                    ? "F16/F32 matmul under numerics=fast: ggml's unless mmgp.f32gemm=mmgp (mmgp's GEMM: " + MmgpKernels.f32GemmPath() + ")"
                    : "F16/F32 matmul: ggml's" + (MmgpKernels.isAvailable() ? " (no SIMD path compiled in)"
                            : "; the mmgp kernels are unavailable: " + MmgpKernels.unavailableReason()));
        }

        static boolean enabled() {
            return AVAILABLE && "mmgp".equals(routeSetting("mmgp.f32gemm", "MMGP_F32GEMM"));
        }
    }

    /**
     * A route switch: the system property, else the environment variable, trimmed and lower-cased;
     * "" when neither is set (or the property is blank). A value other than mmgp or ggml is
     * refused, so a typo does not silently pick a route.
     */
    static String routeSetting(String property, String variable) {
        String p = System.getProperty(property);
        String v = p != null && !p.isBlank() ? p : System.getenv(variable);
        String value = v == null ? "" : v.strip().toLowerCase(java.util.Locale.ROOT);
        if (!value.isEmpty() && !value.equals("mmgp") && !value.equals("ggml")) {
            throw new IllegalArgumentException((p != null && !p.isBlank() ? "-D" + property : variable) + "=" + v
                    + " is not a route: use mmgp or ggml");
        }
        return value;
    }
}
