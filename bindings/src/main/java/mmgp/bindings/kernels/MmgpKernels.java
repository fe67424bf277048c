package mmgp.bindings.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.NativeLibraryException;

/**
 * mmgp's own small C kernels ({@code native/kernels/*.c}, built by
 * {@code native/build-native.sh} into {@code ~/.cache/mmgp/native/kernels-<key>}): this CPU's
 * compute peak per data type, measured on registers only, and dot products made of the same
 * instructions so those instructions can be checked against plain Java; and ggml's im2col as a
 * ggml custom op ({@link #im2col2dFunction()}, {@code mmgp_im2col.c}), bit-identical to ggml's
 * and faster.
 *
 * <p>Search order: {@code -Dmmgp.kernels.dir}, {@code MMGP_KERNELS_DIR}, then the newest
 * {@code kernels-*} folder of the build cache whose BUILD-INFO records this OS, architecture and
 * CPU features (the library is compiled with -march=native). Its BUILD-INFO holds the library's
 * sha256, which is checked. The library is optional at run time: {@link #isAvailable()} says
 * whether it loaded, {@link #unavailableReason()} why not, and every call otherwise throws a
 * {@link NativeLibraryException} naming the fix.
 *
 * <p>Not one of the pinned llama.cpp libraries, so its bindings are listed by
 * {@link #bindings()} (checked against {@code include/mmgp_kernels.h}) rather than in
 * {@link Downcalls}.
 */
public final class MmgpKernels {
    /** The data types with a peak; the code is the C {@code kind} argument. */
    public enum Kind {
        /** FP32 fused multiply-add; GFLOP/s. */
        FP32(0, "FP32 FMA", "GFLOP/s", "FP32"),
        /** BF16 pairs dot-accumulated into FP32 (or widened to FP32 where the CPU has no BF16 dot); GFLOP/s. */
        BF16(1, "BF16 dot", "GFLOP/s", "BF16"),
        /** u8 x s8 products summed into int32; GOP/s. */
        INT8(2, "INT8 dot", "GOP/s", "INT8"),
        /** BF16 tile products into FP32 on Intel AMX (TDPBF16PS); GFLOP/s. Unavailable without AMX: {@link #peakGflops} gives NaN. */
        AMX_BF16(3, "AMX BF16", "GFLOP/s", "BF16"),
        /** u8 x s8 tile products into int32 on Intel AMX (TDPBUSD); GOP/s. Unavailable without AMX: {@link #peakGflops} gives NaN. */
        AMX_INT8(4, "AMX INT8", "GOP/s", "INT8");

        private final int code;
        private final String label;
        private final String unit;
        private final String dataType;

        Kind(int code, String label, String unit, String dataType) {
            this.code = code;
            this.label = label;
            this.unit = unit;
            this.dataType = dataType;
        }

        public int code() {
            return code;
        }

        /** The data type the kind's instructions multiply: "FP32", "BF16" or "INT8" (the AMX kinds share BF16's and INT8's). */
        public String dataType() {
            return dataType;
        }

        /** e.g. "FP32 FMA". */
        public String label() {
            return label;
        }

        /** "GFLOP/s" or "GOP/s" (a multiply-add counts as 2 ops either way). */
        public String unit() {
            return unit;
        }
    }

    /** One bound C function and the signature we call it with. */
    public record Binding(String name, FunctionDescriptor descriptor) {}

    /** The value of {@code mmgp_kernels_abi()} this binding is written for. */
    public static final int ABI = 3;
    /** {@code MMGP_PEAK_UNAVAILABLE}: mmgp_peak_gflops' value for a kind that cannot run here. */
    static final double PEAK_UNAVAILABLE = -3.0;
    /** How mmgp_peak_path starts for such a kind. */
    private static final String UNAVAILABLE_PREFIX = "unavailable:";
    /** The library's base name: libmmgp_kernels.so / .dylib. */
    public static final String LIBRARY_NAME = "mmgp_kernels";

    private static final MemoryLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE;

    private static final List<Binding> BINDINGS = List.of(
            new Binding("mmgp_kernels_abi", FunctionDescriptor.of(INT)),
            new Binding("mmgp_peak_gflops", FunctionDescriptor.of(DOUBLE, INT, INT, DOUBLE)),
            new Binding("mmgp_peak_path", FunctionDescriptor.of(PTR, INT)),
            new Binding("mmgp_dot_f32", FunctionDescriptor.of(FLOAT, PTR, PTR, LONG)),
            new Binding("mmgp_dot_bf16", FunctionDescriptor.of(FLOAT, PTR, PTR, LONG)),
            new Binding("mmgp_dot_u8s8", FunctionDescriptor.of(INT, PTR, PTR, LONG)),
            new Binding("mmgp_dot_f32_scalar", FunctionDescriptor.of(FLOAT, PTR, PTR, LONG)),
            new Binding("mmgp_dot_bf16_scalar", FunctionDescriptor.of(FLOAT, PTR, PTR, LONG)),
            new Binding("mmgp_dot_u8s8_scalar", FunctionDescriptor.of(INT, PTR, PTR, LONG)),
            // ggml custom ops (ggml_custom_op_t): used by address (im2col2dFunction), bound for the header check.
            new Binding("mmgp_im2col_2d", FunctionDescriptor.ofVoid(PTR, INT, INT, PTR)),
            new Binding("mmgp_im2col_3d", FunctionDescriptor.ofVoid(PTR, INT, INT, PTR)),
            new Binding("mmgp_f32_to_f16", FunctionDescriptor.ofVoid(PTR, PTR, LONG)),
            new Binding("mmgp_f32_to_f16_portable", FunctionDescriptor.ofVoid(PTR, PTR, LONG)),
            new Binding("mmgp_q8_act_bytes", FunctionDescriptor.of(LONG, LONG, LONG)),
            new Binding("mmgp_q8_path", FunctionDescriptor.of(PTR)),
            // ggml custom ops (ggml_custom_op_t): used by address (q8QuantizeActFunction, q8GemmFunction).
            new Binding("mmgp_q8_quantize_act", FunctionDescriptor.ofVoid(PTR, INT, INT, PTR)),
            new Binding("mmgp_q8_gemm", FunctionDescriptor.ofVoid(PTR, INT, INT, PTR)),
            new Binding("mmgp_q8_pack_act", FunctionDescriptor.ofVoid(PTR, LONG, LONG, LONG, PTR, INT)),
            new Binding("mmgp_q8_gemm_raw", FunctionDescriptor.ofVoid(PTR, LONG, LONG, LONG, PTR, LONG, PTR, LONG, INT)),
            new Binding("mmgp_f32gemm_path", FunctionDescriptor.of(PTR)),
            // a ggml custom op (ggml_custom_op_t): used by address (f32GemmFunction).
            new Binding("mmgp_f32gemm", FunctionDescriptor.ofVoid(PTR, INT, INT, PTR)),
            new Binding("mmgp_f32gemm_raw", FunctionDescriptor.ofVoid(PTR, INT, LONG, LONG, LONG, PTR, INT, LONG, LONG, PTR, LONG, PTR, INT)),
            // ggml custom ops (ggml_custom_op_t): used by address (winogradWeightsFunction, ...).
            new Binding("mmgp_winograd_weights", FunctionDescriptor.ofVoid(PTR, INT, INT, PTR)),
            new Binding("mmgp_winograd_input", FunctionDescriptor.ofVoid(PTR, INT, INT, PTR)),
            new Binding("mmgp_winograd_output", FunctionDescriptor.ofVoid(PTR, INT, INT, PTR)),
            new Binding("mmgp_q8_group_cols", FunctionDescriptor.of(INT)));

    /** {@code MMGP_IM2COL_*} flags of {@link #im2colParams}: ggml's 1-D layout (mmgp_im2col_2d only). */
    public static final int IM2COL_1D = 1;
    /** The plain C tiles and float→half conversion that CPUs without AVX/NEON run (for tests). */
    public static final int IM2COL_PORTABLE = 2;
    /** Element by element, the out-of-memory fallback (for tests). */
    public static final int IM2COL_REFERENCE = 4;
    /** {@code struct mmgp_im2col_params}: 14 int32, axes {W, H, D}. */
    public static final MemoryLayout IM2COL_PARAMS = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(3, INT).withName("stride"), MemoryLayout.sequenceLayout(3, INT).withName("padding"),
            MemoryLayout.sequenceLayout(3, INT).withName("dilation"), MemoryLayout.sequenceLayout(3, INT).withName("kernel"),
            INT.withName("channels"), INT.withName("flags"));

    private static final Path DIR;
    private static final Map<String, String> BUILD_INFO;
    private static final String FAILURE;
    private static final MethodHandle ABI_FN, PEAK, PATH, DOT_F32, DOT_BF16, DOT_U8S8, DOT_F32_SCALAR, DOT_BF16_SCALAR, DOT_U8S8_SCALAR;
    private static final MethodHandle F32_TO_F16, F32_TO_F16_PORTABLE;
    private static final MemorySegment IM2COL_2D, IM2COL_3D;
    private static final MethodHandle Q8_ACT_BYTES, Q8_PATH, Q8_PACK_ACT, Q8_GEMM_RAW, Q8_GROUP_COLS_FN;
    private static final MemorySegment Q8_QUANTIZE_ACT, Q8_GEMM;
    private static final MethodHandle F32GEMM_PATH, F32GEMM_RAW;
    private static final MemorySegment F32GEMM;
    private static final MemorySegment WINOGRAD_WEIGHTS, WINOGRAD_INPUT, WINOGRAD_OUTPUT;

    /** {@code MMGP_WINOGRAD_VIDEO}: a video input [W, H, F, C·B], a 3-D kernel's time taps, a [OW, OH, n, OC] output. */
    public static final int WINOGRAD_VIDEO = 1;
    /** {@code MMGP_WINOGRAD_PORTABLE}: the plain C path, as CPUs without AVX (and arm64) run it. */
    public static final int WINOGRAD_PORTABLE = 2;
    /** {@code MMGP_WINOGRAD_PACKED}: the weight transform lays U out for the fused op, F32 {16·IC, ⌈OC/16⌉, (m+2)², taps}. */
    public static final int WINOGRAD_PACKED = 4;

    /** {@code MMGP_F32GEMM_PORTABLE}: the plain C path of the F32 GEMM, as CPUs without AVX2/FMA/F16C run it (for tests). */
    public static final int F32GEMM_PORTABLE = 1;
    /** {@code MMGP_F32GEMM_NO_AVX512}: the AVX2 path of the F32 GEMM even on a CPU with AVX-512 (for tests). */
    public static final int F32GEMM_NO_AVX512 = 2;

    /** {@code MMGP_Q8_PORTABLE}: the plain C path of the Q8_0 GEMM, as CPUs without AVX2/FMA/F16C run it (for tests). */
    public static final int Q8_PORTABLE = 1;
    /** {@code MMGP_Q8_NO_AMX}: the Q8_0 GEMM's vector path even where its AMX path would run (same bits; for tests and comparisons). */
    public static final int Q8_NO_AMX = 2;
    /** Columns per group of the Q8_0 GEMM's activation buffer in builds without AVX-512 VNNI ({@code MMGP_Q8_GROUP_COLS}): q as int8. */
    public static final int Q8_GROUP_COLS = 8;
    /** The same in builds with AVX-512 F/BW/VL/VNNI ({@code MMGP_Q8_GROUP_COLS_WIDE}): q + 128 as uint8. */
    public static final int Q8_GROUP_COLS_WIDE = 16;
    /** {@code struct mmgp_q8_params}: flags, K-panel blocks, N-panel groups, reserved. */
    public static final MemoryLayout Q8_PARAMS = MemoryLayout.structLayout(
            INT.withName("flags"), INT.withName("kc_blocks"), INT.withName("nc_groups"), INT.withName("reserved"));

    static {
        Path dir = null;
        Map<String, String> info = Map.of();
        String failure = null;
        MethodHandle[] handles = new MethodHandle[BINDINGS.size()];
        MemorySegment[] symbols = new MemorySegment[BINDINGS.size()];
        try {
            dir = KernelsFolder.locate();
            info = readBuildInfo(dir.resolve("BUILD-INFO"));
            Path file = dir.resolve("lib").resolve(fileName());
            if (!Files.isRegularFile(file)) {
                throw new NativeLibraryException("missing " + file + "; rebuild with native/build-native.sh");
            }
            String expected = info.get("sha256:lib/" + file.getFileName());
            String actual = sha256(file);
            if (expected == null || !expected.equals(actual)) {
                throw new NativeLibraryException(file + " does not match its build record in " + dir.resolve("BUILD-INFO")
                        + " (sha256 " + actual + ", expected " + expected + "); rebuild with MMGP_NATIVE_FORCE=1 native/build-native.sh");
            }
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(file, Arena.global());
            } catch (IllegalArgumentException e) {
                throw new NativeLibraryException("cannot load " + file + ": " + e.getMessage(), e);
            }
            Linker linker = Linker.nativeLinker();
            for (int i = 0; i < handles.length; i++) {
                Binding b = BINDINGS.get(i);
                MemorySegment symbol = lookup.find(b.name()).orElseThrow(() -> new NativeLibraryException("symbol " + b.name()
                        + " is missing from " + file + "; the kernels build does not match this mmgp: rebuild with native/build-native.sh"));
                // The dots and conversions are short and take Java arrays directly (heap segments),
                // so they are critical calls; the peak runs for seconds and must not hold up the GC.
                symbols[i] = symbol;
                handles[i] = b.name().startsWith("mmgp_dot_") || b.name().startsWith("mmgp_f32_to_f16")
                        ? linker.downcallHandle(symbol, b.descriptor(), Linker.Option.critical(true))
                        : linker.downcallHandle(symbol, b.descriptor());
            }
            int abi = (int) handles[0].invokeExact();
            if (abi != ABI) {
                throw new NativeLibraryException(file + " has kernels ABI " + abi + ", this mmgp expects " + ABI
                        + "; rebuild with native/build-native.sh");
            }
        } catch (NativeLibraryException e) {
            failure = e.getMessage();
            handles = new MethodHandle[BINDINGS.size()];
            symbols = new MemorySegment[BINDINGS.size()];
        } catch (Throwable t) {
            failure = "cannot initialise the mmgp kernels library: " + t;
            handles = new MethodHandle[BINDINGS.size()];
            symbols = new MemorySegment[BINDINGS.size()];
        }
        DIR = failure == null ? dir : null;
        BUILD_INFO = failure == null ? Map.copyOf(info) : Map.of();
        FAILURE = failure;
        ABI_FN = handles[0];
        PEAK = handles[1];
        PATH = handles[2];
        DOT_F32 = handles[3];
        DOT_BF16 = handles[4];
        DOT_U8S8 = handles[5];
        DOT_F32_SCALAR = handles[6];
        DOT_BF16_SCALAR = handles[7];
        DOT_U8S8_SCALAR = handles[8];
        IM2COL_2D = symbols[9] == null ? MemorySegment.NULL : symbols[9];
        IM2COL_3D = symbols[10] == null ? MemorySegment.NULL : symbols[10];
        F32_TO_F16 = handles[11];
        F32_TO_F16_PORTABLE = handles[12];
        Q8_ACT_BYTES = handles[13];
        Q8_PATH = handles[14];
        Q8_QUANTIZE_ACT = symbols[15] == null ? MemorySegment.NULL : symbols[15];
        Q8_GEMM = symbols[16] == null ? MemorySegment.NULL : symbols[16];
        Q8_PACK_ACT = handles[17];
        Q8_GEMM_RAW = handles[18];
        F32GEMM_PATH = handles[19];
        F32GEMM = symbols[20] == null ? MemorySegment.NULL : symbols[20];
        F32GEMM_RAW = handles[21];
        WINOGRAD_WEIGHTS = symbols[22] == null ? MemorySegment.NULL : symbols[22];
        WINOGRAD_INPUT = symbols[23] == null ? MemorySegment.NULL : symbols[23];
        WINOGRAD_OUTPUT = symbols[24] == null ? MemorySegment.NULL : symbols[24];
        Q8_GROUP_COLS_FN = handles[25];
    }

    private MmgpKernels() {}

    /** True when the kernels library was found, verified and loaded; never throws. */
    public static boolean isAvailable() {
        return FAILURE == null;
    }

    /** Why the library is unavailable ("kernels not built ..."), or null when it is available. */
    public static String unavailableReason() {
        return FAILURE;
    }

    /** The build folder the library was loaded from, or null when unavailable. */
    public static Path directory() {
        return DIR;
    }

    /** The loaded build's BUILD-INFO (compiler, flags, features, checksums); empty when unavailable. */
    public static Map<String, String> buildInfo() {
        return BUILD_INFO;
    }

    /** Every bound function with its FFM signature, the optional ones included, for the check against mmgp_kernels.h. */
    public static List<Binding> bindings() {
        List<Binding> all = new ArrayList<>(BINDINGS);
        all.addAll(OptionalSymbols.bindings());
        return List.copyOf(all);
    }

    private static void requireAvailable() {
        if (FAILURE != null) throw new NativeLibraryException("mmgp kernels unavailable: " + FAILURE);
    }

    /**
     * This CPU's peak for {@code kind} with {@code threads} threads (0: all online CPUs), each
     * running for about {@code seconds}: total ops of all threads over the slowest thread's time,
     * in GFLOP/s (FP32, BF16) or GOP/s (INT8), a multiply-add counting 2. NaN when the kind cannot
     * run here (the AMX kinds without AMX in the CPU, the build or the OS's permission; C's
     * {@code MMGP_PEAK_UNAVAILABLE}): {@link #path} then says why.
     */
    public static double peakGflops(Kind kind, int threads, double seconds) {
        requireAvailable();
        Objects.requireNonNull(kind, "kind");
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0: all CPUs), got " + threads);
        if (!(seconds > 0) || Double.isInfinite(seconds)) throw new IllegalArgumentException("seconds must be positive, got " + seconds);
        double result;
        try {
            result = (double) PEAK.invokeExact(kind.code(), threads, seconds);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (result == PEAK_UNAVAILABLE) return Double.NaN;
        if (result == -2.0) throw new IllegalStateException("mmgp_peak_gflops could not start " + threads + " threads");
        if (result < 0) throw new IllegalStateException("mmgp_peak_gflops rejected kind " + kind + " (" + kind.code() + ")");
        return result;
    }

    /**
     * The instruction path compiled in for {@code kind}, e.g. "avx2 vpmaddubsw+vpmaddwd", or for a
     * kind that cannot run here "unavailable: " and why (see {@link #isRunnable}).
     */
    public static String path(Kind kind) {
        requireAvailable();
        Objects.requireNonNull(kind, "kind");
        try {
            MemorySegment s = (MemorySegment) PATH.invokeExact(kind.code());
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** Whether {@code kind} can run here: false when {@link #path} starts with "unavailable:" (the AMX kinds without AMX). */
    public static boolean isRunnable(Kind kind) {
        return !path(kind).startsWith(UNAVAILABLE_PREFIX);
    }

    // ---- dot products: the peak paths' instructions (scalar tail) ----

    /** sum a[i]*b[i] over {@code n} floats, with the FP32 peak path's FMA. */
    public static float dotF32(MemorySegment a, MemorySegment b, long n) {
        return dotF(DOT_F32, a, b, n, 4);
    }

    public static float dotF32(float[] a, float[] b) {
        sameLength(a.length, b.length);
        return dotF32(MemorySegment.ofArray(a), MemorySegment.ofArray(b), a.length);
    }

    /** sum a[i]*b[i] over {@code n} bf16 values (the high 16 bits of floats), accumulated in FP32, with the BF16 peak path's instructions. */
    public static float dotBf16(MemorySegment a, MemorySegment b, long n) {
        return dotF(DOT_BF16, a, b, n, 2);
    }

    public static float dotBf16(short[] a, short[] b) {
        sameLength(a.length, b.length);
        return dotBf16(MemorySegment.ofArray(a), MemorySegment.ofArray(b), a.length);
    }

    /**
     * sum a[i]*b[i] over {@code n} bytes, a read as unsigned and b as signed, in wrapping int32,
     * with the INT8 peak path's instructions. Exact on every path when every a[i] is at most 127;
     * the vpmaddubsw paths (AVX2, AVX-512BW) saturate pairs at int16 otherwise, unless every b[i]
     * is within [-64, 64] (see mmgp_kernels.h).
     */
    public static int dotU8s8(MemorySegment a, MemorySegment b, long n) {
        return dotI(DOT_U8S8, a, b, n);
    }

    public static int dotU8s8(byte[] a, byte[] b) {
        sameLength(a.length, b.length);
        return dotU8s8(MemorySegment.ofArray(a), MemorySegment.ofArray(b), a.length);
    }

    /** The plain C versions (the fallback path, compiled in on every CPU). */
    public static float dotF32Scalar(float[] a, float[] b) {
        sameLength(a.length, b.length);
        return dotF(DOT_F32_SCALAR, MemorySegment.ofArray(a), MemorySegment.ofArray(b), a.length, 4);
    }

    public static float dotBf16Scalar(short[] a, short[] b) {
        sameLength(a.length, b.length);
        return dotF(DOT_BF16_SCALAR, MemorySegment.ofArray(a), MemorySegment.ofArray(b), a.length, 2);
    }

    public static int dotU8s8Scalar(byte[] a, byte[] b) {
        sameLength(a.length, b.length);
        return dotI(DOT_U8S8_SCALAR, MemorySegment.ofArray(a), MemorySegment.ofArray(b), a.length);
    }

    private static float dotF(MethodHandle h, MemorySegment a, MemorySegment b, long n, int elementBytes) {
        requireAvailable();
        checkBounds(a, b, n, elementBytes);
        try {
            return (float) h.invokeExact(a, b, n);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    private static int dotI(MethodHandle h, MemorySegment a, MemorySegment b, long n) {
        requireAvailable();
        checkBounds(a, b, n, 1);
        try {
            return (int) h.invokeExact(a, b, n);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    private static void checkBounds(MemorySegment a, MemorySegment b, long n, int elementBytes) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        long bytes = Math.multiplyExact(n, (long) elementBytes);
        if (a.byteSize() < bytes || b.byteSize() < bytes) {
            throw new IndexOutOfBoundsException(n + " elements of " + elementBytes + " bytes do not fit segments of "
                    + a.byteSize() + " and " + b.byteSize() + " bytes");
        }
    }

    private static void sameLength(int a, int b) {
        if (a != b) throw new IllegalArgumentException("arrays differ in length: " + a + " and " + b);
    }

    // ---- im2col as a ggml custom op ----

    /**
     * The address of {@code mmgp_im2col_2d}, a {@code ggml_custom_op_t} for
     * {@code ggml_custom_4d(ctx, type, ne..., {input}, 1, fn, -1, params)} that writes exactly
     * ggml_im2col's result (2-D, or 1-D with {@link #IM2COL_1D}) for an F32 input, into an F32
     * or F16 destination of ggml_im2col's shape; {@code params} from {@link #im2colParams}.
     */
    public static MemorySegment im2col2dFunction() {
        requireAvailable();
        return IM2COL_2D;
    }

    /** The address of {@code mmgp_im2col_3d}: as {@link #im2col2dFunction()} for ggml_im2col_3d (channels = its IC). */
    public static MemorySegment im2col3dFunction() {
        requireAvailable();
        return IM2COL_3D;
    }

    /**
     * A {@code struct mmgp_im2col_params} in {@code arena}, which must outlive every graph that
     * uses it. Arrays are per axis {W, H, D}; missing axes take stride 1, padding 0, dilation 1
     * and kernel size 1.
     */
    public static MemorySegment im2colParams(Arena arena, int[] stride, int[] padding, int[] dilation, int[] kernel, int channels, int flags) {
        MemorySegment p = arena.allocate(IM2COL_PARAMS);
        for (int axis = 0; axis < 3; axis++) {
            p.setAtIndex(INT, axis, axis < stride.length ? stride[axis] : 1);
            p.setAtIndex(INT, 3 + axis, axis < padding.length ? padding[axis] : 0);
            p.setAtIndex(INT, 6 + axis, axis < dilation.length ? dilation[axis] : 1);
            p.setAtIndex(INT, 9 + axis, axis < kernel.length ? kernel[axis] : 1);
        }
        p.setAtIndex(INT, 12, channels);
        p.setAtIndex(INT, 13, flags);
        return p;
    }

    /** float → IEEE half with this CPU's vector conversion (F16C, NEON), rounding to nearest even. */
    public static short[] f32ToF16(float[] src) {
        return toF16(F32_TO_F16, src);
    }

    /** float → IEEE half in plain C, rounding to nearest even (a NaN becomes sign | 0x7e00). */
    public static short[] f32ToF16Portable(float[] src) {
        return toF16(F32_TO_F16_PORTABLE, src);
    }

    private static short[] toF16(MethodHandle h, float[] src) {
        requireAvailable();
        short[] dst = new short[src.length];
        try {
            h.invokeExact(MemorySegment.ofArray(src), MemorySegment.ofArray(dst), (long) src.length);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        return dst;
    }

    // ---- Q8_0 weights x F32 activations (mmgp_gemm_q8.c) ----

    /**
     * Bytes of the activation buffer {@link #q8QuantizeActFunction()} fills for {@code k} x
     * {@code n} (columns padded to groups of {@link #q8GroupCols()}); {@code k} must be a positive
     * multiple of 32 and {@code n} positive.
     */
    public static long q8ActBytes(long k, long n) {
        requireAvailable();
        long bytes;
        try {
            bytes = (long) Q8_ACT_BYTES.invokeExact(k, n);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (bytes < 0) throw new IllegalArgumentException("Q8_0 GEMM: k must be a positive multiple of 32 and n positive, got k=" + k + ", n=" + n);
        return bytes;
    }

    /**
     * Columns per group of the activation buffer in the loaded build, {@link #Q8_GROUP_COLS} or
     * {@link #Q8_GROUP_COLS_WIDE}; a group's 32-block takes {@code 36 * q8GroupCols()} bytes (see mmgp_kernels.h).
     */
    public static int q8GroupCols() {
        requireAvailable();
        try {
            return (int) Q8_GROUP_COLS_FN.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** The instruction path compiled in for the Q8_0 GEMM, e.g. "avx2 vpmaddubsw+vpmaddwd, 8 columns per vector". */
    public static String q8Path() {
        requireAvailable();
        try {
            return ((MemorySegment) Q8_PATH.invokeExact()).reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * The address of {@code mmgp_q8_quantize_act}, a {@code ggml_custom_op_t} for
     * {@code ggml_custom_4d(ctx, I8, q8ActBytes(K, N), 1, 1, 1, {x}, 1, fn, -1, params or NULL)}:
     * x F32 [K, N...] quantized to Q8_0 exactly as ggml's AVX2 quantize_row_q8_0, interleaved for
     * {@link #q8GemmFunction()}.
     */
    public static MemorySegment q8QuantizeActFunction() {
        requireAvailable();
        return Q8_QUANTIZE_ACT;
    }

    /**
     * The address of {@code mmgp_q8_gemm}, a {@code ggml_custom_op_t} for
     * {@code ggml_custom_4d(ctx, F32, M, N1, N2, N3, {W, qa}, 2, fn, -1, params or NULL)}: W Q8_0
     * [K, M] read in place, qa from {@link #q8QuantizeActFunction()}; ggml_mul_mat's result up to
     * fp32 summation order (see mmgp_kernels.h).
     */
    public static MemorySegment q8GemmFunction() {
        requireAvailable();
        return Q8_GEMM;
    }

    /** A {@code struct mmgp_q8_params} in {@code arena} (0 for the default panel sizes). */
    public static MemorySegment q8Params(Arena arena, int flags, int kcBlocks, int ncGroups) {
        MemorySegment p = arena.allocate(Q8_PARAMS);
        p.setAtIndex(INT, 0, flags);
        p.setAtIndex(INT, 1, kcBlocks);
        p.setAtIndex(INT, 2, ncGroups);
        return p;
    }

    /** {@code mmgp_q8_pack_act} on one thread: x holds n columns of k floats, one after another. */
    public static byte[] q8PackAct(float[] x, int k, int n, int flags) {
        long bytes = q8ActBytes(k, n);
        if ((long) k * n != x.length) throw new IllegalArgumentException(x.length + " floats are not " + k + " x " + n);
        byte[] qa = new byte[Math.toIntExact(bytes)];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocate((long) x.length * 4, 32).copyFrom(MemorySegment.ofArray(x));
            MemorySegment q = arena.allocate(bytes, 32);
            Q8_PACK_ACT.invokeExact(xs, (long) k, (long) n, (long) k, q, flags);
            MemorySegment.ofArray(qa).copyFrom(q);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        return qa;
    }

    /**
     * {@code mmgp_q8_gemm_raw} on one thread: {@code w} holds m rows of k/32 ggml block_q8_0 (34
     * bytes each), {@code qa} comes from {@link #q8PackAct}; returns y with column j's m values at j*m.
     */
    public static float[] q8GemmRaw(byte[] w, int m, int k, byte[] qa, int n, int flags) {
        long rowBytes = k / 32 * 34L;
        if (k % 32 != 0 || (long) m * rowBytes != w.length) throw new IllegalArgumentException(w.length + " bytes are not " + m + " Q8_0 rows of " + k);
        if (qa.length < q8ActBytes(k, n)) throw new IllegalArgumentException("qa holds " + qa.length + " bytes, not " + q8ActBytes(k, n));
        float[] y = new float[Math.multiplyExact(m, n)];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(w.length, 32).copyFrom(MemorySegment.ofArray(w));
            MemorySegment q = arena.allocate(qa.length, 32).copyFrom(MemorySegment.ofArray(qa));
            MemorySegment ys = arena.allocate((long) y.length * 4, 32);
            Q8_GEMM_RAW.invokeExact(ws, rowBytes, (long) m, (long) k, q, (long) n, ys, (long) m, flags);
            MemorySegment.ofArray(y).copyFrom(ys);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        return y;
    }

    // ---- Winograd F(m x m, 3 x 3) transforms (mmgp_winograd.c) ----

    /**
     * The address of {@code mmgp_winograd_weights}, a {@code ggml_custom_op_t}: a 3×3 kernel
     * (F16/F32 [3, 3, IC, OC], or [3, 3, KD, IC·OC] with {@link #WINOGRAD_VIDEO}) → U = G g Gᵀ,
     * {IC, OC, (m+2)², taps}, F16 or F32. params: int32 {tile, padding, flags, first, frames} (see mmgp_kernels.h).
     */
    public static MemorySegment winogradWeightsFunction() {
        requireAvailable();
        return WINOGRAD_WEIGHTS;
    }

    /**
     * The address of {@code mmgp_winograd_input}: an F32 image [W, H, IC, B] (or video
     * [W, H, F, IC·B]) with zero padding → V = Bᵀ d B per m×m output tile, {IC, tiles, F·B, (m+2)²}
     * (positions outermost).
     */
    public static MemorySegment winogradInputFunction() {
        requireAvailable();
        return WINOGRAD_INPUT;
    }

    /**
     * The address of {@code mmgp_winograd_output}: the sum of up to 10 products M {OC, tiles, n,
     * (m+2)²} (F32) → Y = Aᵀ M A cropped to [OW, OH, OC, B] (or with {@link #WINOGRAD_VIDEO}
     * [OW, OH, count, OC·B], each product holding the frames its time tap reads), F32.
     */
    public static MemorySegment winogradOutputFunction() {
        requireAvailable();
        return WINOGRAD_OUTPUT;
    }

    /** Whether the loaded kernels library has the fused Winograd op ({@link #winogradFusedFunction}); never throws. */
    public static boolean hasWinogradFused() {
        return isAvailable() && !OptionalSymbols.WINOGRAD_FUSED.op().equals(MemorySegment.NULL);
    }

    /**
     * The address of {@code mmgp_winograd_fused}: an F32 image [W, H, IC, B] (or video
     * [W, H, F, IC·B]), U packed by {@link #winogradWeightsFunction} with {@link #WINOGRAD_PACKED}
     * and an optional F32/F16 bias [OC] → the convolution plus bias [OW, OH, OC, B] (or
     * [OW, OH, count, OC·B]), F32, without V and M in memory. params: int32 {tile, padding, flags,
     * first, block, reserved} (see mmgp_kernels.h).
     *
     * @throws IllegalStateException when the library is unavailable or predates the op
     */
    public static MemorySegment winogradFusedFunction() {
        requireAvailable();
        if (!hasWinogradFused()) {
            throw new IllegalStateException("the mmgp kernels in " + DIR + " have no mmgp_winograd_fused; rebuild with native/build-native.sh");
        }
        return OptionalSymbols.WINOGRAD_FUSED.op();
    }

    /**
     * {@code mmgp_winograd_fused_thread_bytes}: the most bytes one thread of the fused op allocates
     * outside ggml's plan, for an m × m route ({@code tile} 2 or 4), IC → OC channels, an OW × OH
     * output and {@code block} tiles per item (≤ 0: the default).
     *
     * @throws IllegalStateException when the library is unavailable or predates the op
     * @throws IllegalArgumentException for arguments the kernel refuses
     */
    public static long winogradFusedThreadBytes(int tile, long inChannels, long outChannels, long ow, long oh, int block) {
        winogradFusedFunction();
        long bytes;
        try {
            bytes = (long) OptionalSymbols.WINOGRAD_FUSED.helper().invokeExact(tile, inChannels, outChannels, ow, oh, block);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (bytes < 0) {
            throw new IllegalArgumentException("no fused Winograd op for tile " + tile + ", " + inChannels + " → " + outChannels + " channels, "
                    + ow + "×" + oh + " output");
        }
        return bytes;
    }

    // ---- F16/F32 x F16/F32 -> F32 GEMM (mmgp_gemm_f32.c) ----

    /** The instruction path this CPU takes for the F32 GEMM, e.g. "avx2+fma 16x6 tiles, f16c packing". */
    public static String f32GemmPath() {
        requireAvailable();
        try {
            return ((MemorySegment) F32GEMM_PATH.invokeExact()).reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * The address of {@code mmgp_f32gemm}, a {@code ggml_custom_op_t} for
     * {@code ggml_custom_4d(ctx, F32, M, N1, N2, N3, {A, B}, 2, fn, -1, params or NULL)}: A F16/F32
     * [K, M] (2-D), B F16/F32 [K, N1, N2, N3], both with contiguous rows; ggml_mul_mat(A, B)'s
     * layout, each element one fp32 fma chain over k in order (see mmgp_kernels.h). params: int32
     * {flags, kc, mc, nc}.
     */
    public static MemorySegment f32GemmFunction() {
        requireAvailable();
        return F32GEMM;
    }

    /**
     * {@code mmgp_f32gemm_raw}: a holds m rows of k values, b n rows of k values, each a float[]
     * or a short[] of IEEE half bits; returns c with column j's m values at j*m. {@code params}
     * (or null) as for {@link #f32GemmFunction()}; the parts of {@code threads} threads run one
     * after another.
     */
    public static float[] f32GemmRaw(Object a, int m, int k, Object b, int n, int[] params, int threads) {
        requireAvailable();
        if (m <= 0 || n <= 0 || k <= 0 || threads <= 0) {
            throw new IllegalArgumentException("F32 GEMM: m, k, n and threads must be positive, got m=" + m + " k=" + k + " n=" + n + " threads=" + threads);
        }
        float[] c = new float[Math.multiplyExact(m, n)];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment as = operand(arena, a, (long) m * k, "a"), bs = operand(arena, b, (long) n * k, "b");
            MemorySegment cs = arena.allocate((long) c.length * 4, 64);
            if (params != null && params.length > 4) throw new IllegalArgumentException("struct mmgp_f32gemm_params has 4 fields, got " + params.length + " values");
            // Padded to the struct's four fields (0 = the default), which the C side always reads.
            MemorySegment ps = params == null ? MemorySegment.NULL : arena.allocateFrom(INT, java.util.Arrays.copyOf(params, 4));
            F32GEMM_RAW.invokeExact(as, a instanceof short[] ? 1 : 0, (long) k, (long) m, (long) k, bs, b instanceof short[] ? 1 : 0, (long) k, (long) n,
                    cs, (long) m, ps, threads);
            MemorySegment.ofArray(c).copyFrom(cs);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        return c;
    }

    private static MemorySegment operand(Arena arena, Object x, long elements, String name) {
        MemorySegment heap = switch (x) {
            case float[] f -> MemorySegment.ofArray(f);
            case short[] h -> MemorySegment.ofArray(h);
            default -> throw new IllegalArgumentException("F32 GEMM: " + name + " must be a float[] or a short[] of half bits, got " + x);
        };
        long bytes = elements * (x instanceof short[] ? 2 : 4);
        if (heap.byteSize() != bytes) throw new IllegalArgumentException("F32 GEMM: " + name + " holds " + heap.byteSize() + " bytes, not " + bytes);
        return arena.allocate(bytes, 64).copyFrom(heap);
    }

    // ---- locating the build ----

    /** libmmgp_kernels.so, or .dylib on macOS. */
    public static String fileName() {
        return "lib" + LIBRARY_NAME + (osName().equals("darwin") ? ".dylib" : ".so");
    }

    static Map<String, String> readBuildInfo(Path info) {
        return NativeLibraries.readBuildInfo(info);
    }

    private static String sha256(Path file) {
        return NativeLibraries.sha256(file);
    }

    static String osName() {
        return NativeLibraries.osName();
    }

    static String archName() {
        return NativeLibraries.archName();
    }

    /** The CPU features that select a -march=native build, as build-native.sh and the llama.cpp build key use them. */
    static Set<String> cpuFeatures() {
        return NativeLibraries.cpuFeatures();
    }

    // ---- GroupNorm + affine + optional SiLU (mmgp_norm.c; optional like the fused Winograd op: OptionalSymbols) ----

    /** {@code MMGP_NORM_SILU}: the group norm op applies SiLU after the affine. */
    public static final int NORM_SILU = 1;
    /** {@code MMGP_NORM_PORTABLE}: the group norm op's plain C path, as CPUs without AVX2/FMA run it (for tests). */
    public static final int NORM_PORTABLE = 2;

    /** Whether the loaded kernels library has the group norm op ({@link #groupNormFunction}); never throws. */
    public static boolean hasGroupNorm() {
        return isAvailable() && !OptionalSymbols.GROUP_NORM.op().equals(MemorySegment.NULL);
    }

    /**
     * The address of {@code mmgp_group_norm}, a {@code ggml_custom_op_t}: F32 images [W, H, C, B],
     * weight and bias F32/F16 [C] → silu?((x − mean_g)/sqrt(var_g + eps)·w[c] + b[c]), F32. params:
     * {int32 groups, float eps, int32 flags ({@link #NORM_SILU}, {@link #NORM_PORTABLE}), int32 0}.
     * Throws IllegalStateException when the library is unavailable or predates the op. */
    public static MemorySegment groupNormFunction() {
        requireAvailable();
        if (!hasGroupNorm()) throw new IllegalStateException("the mmgp kernels in " + DIR + " have no mmgp_group_norm; rebuild with native/build-native.sh");
        return OptionalSymbols.GROUP_NORM.op();
    }

    /** The instruction path compiled in for the group norm op, e.g. "avx2+fma 8 lanes". */
    public static String groupNormPath() {
        groupNormFunction();
        return pathName(OptionalSymbols.GROUP_NORM);
    }

    // ---- RMS/layer norm over the channels of videos + affine + modulation + SiLU (mmgp_norm.c; optional: OptionalSymbols) ----

    /** {@code MMGP_CHNORM_SILU}: the channel norm op applies SiLU last. */
    public static final int CHNORM_SILU = 1;
    /** {@code MMGP_CHNORM_PORTABLE}: the channel norm op's plain C path, as CPUs without AVX2/FMA run it (for tests). */
    public static final int CHNORM_PORTABLE = 2;
    /** {@code MMGP_CHNORM_LAYER}: a layer norm (mean-centred) instead of an RMS norm. */
    public static final int CHNORM_LAYER = 4;

    /** Whether the loaded kernels library has the channel norm op ({@link #channelNormFunction}); never throws. */
    public static boolean hasChannelNorm() {
        return isAvailable() && !OptionalSymbols.CHANNEL_NORM.op().equals(MemorySegment.NULL);
    }

    /**
     * The address of {@code mmgp_channel_norm}, a {@code ggml_custom_op_t}: F32 videos [W, H, F, C·B],
     * sources {x, weight [C], bias [C], shift [C, 1, B], scale [C, 1, B]} (all but x may be NULL; F32
     * or F16) → per batch row and position, over the C channels, silu?((n·w[c] + b[c])·(1 + scale) + shift)
     * with n the RMS norm of x (or with {@link #CHNORM_LAYER} its layer norm), F32 of x's shape.
     * params: {int32 channels, float eps, int32 flags ({@link #CHNORM_SILU}, {@link #CHNORM_PORTABLE},
     * {@link #CHNORM_LAYER}), int32 0}. Throws IllegalStateException when the library is unavailable
     * or predates the op.
     */
    public static MemorySegment channelNormFunction() {
        requireAvailable();
        if (!hasChannelNorm()) throw new IllegalStateException("the mmgp kernels in " + DIR + " have no mmgp_channel_norm; rebuild with native/build-native.sh");
        return OptionalSymbols.CHANNEL_NORM.op();
    }

    /** The instruction path compiled in for the channel norm op, e.g. "avx2+fma 8 lanes". */
    public static String channelNormPath() {
        channelNormFunction();
        return pathName(OptionalSymbols.CHANNEL_NORM);
    }

    /** The C string an optional op's path helper returns. */
    private static String pathName(OptionalSymbols.Group group) {
        try {
            return ((MemorySegment) group.helper().invokeExact()).reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
