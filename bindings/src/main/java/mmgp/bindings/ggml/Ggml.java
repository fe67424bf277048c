package mmgp.bindings.ggml;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibrary;

/**
 * Downcalls into ggml's core (ggml.h): contexts, tensors, the ops the models use, graphs and
 * quantization. Names follow the C functions (ggml_mul_mat is {@link Binary#MUL_MAT} through {@link #binary}); every pointer
 * is a raw {@link MemorySegment}. The engine's graph DSL is the typed layer above this.
 */
public final class Ggml {
    /** {@code struct ggml_init_params}, passed by value: {size_t mem_size; void* mem_buffer; bool no_alloc;}. */
    public static final StructLayout INIT_PARAMS = MemoryLayout.structLayout(
            SIZE_T.withName("mem_size"), PTR.withName("mem_buffer"), BOOL.withName("no_alloc"), MemoryLayout.paddingLayout(7));

    private static final MethodHandle GGML_INIT = Downcalls.bind(NativeLibrary.GGML, "ggml_init", PTR, INIT_PARAMS);

    private Ggml() {}

    private static MethodHandle bind(String name, java.lang.foreign.MemoryLayout result, java.lang.foreign.MemoryLayout... args) {
        return Downcalls.bind(NativeLibrary.GGML, name, result, args);
    }

    /**
     * The downcall of an op constant, {@code MUL_MAT} binding {@code ggml_mul_mat}, made when its
     * enum is first used. Ggml's own initialisation does not touch the op enums: loading the
     * libraries initialises Ggml (the log router), so an enum initialised first would otherwise
     * meet its own half-built values (a class-initialisation cycle).
     */
    private interface OpHandles {
        static MethodHandle bind(Enum<?> op, java.lang.foreign.MemoryLayout result, java.lang.foreign.MemoryLayout... args) {
            return Downcalls.bind(NativeLibrary.GGML, "ggml_" + op.name().toLowerCase(java.util.Locale.ROOT), result, args);
        }
    }

    /** Ops of one tensor, {@code ggml_tensor * ggml_<op>(ggml_context *, ggml_tensor *)}; run with {@link #unary}. */
    public enum Unary {
        SQR, SQRT, EXP, LOG, SIN, COS, TANH, NEG, SUM_ROWS, MEAN, SOFT_MAX,
        GELU, GELU_QUICK, GELU_ERF, SILU, SIGMOID, RELU,
        TRANSPOSE, CONT, ARGMAX, DUP_TENSOR, VIEW_TENSOR;

        private final MethodHandle handle = OpHandles.bind(this, PTR, PTR, PTR);
    }

    /** Ops of two tensors, {@code ggml_tensor * ggml_<op>(ggml_context *, ggml_tensor * a, ggml_tensor * b)}; run with {@link #binary}. */
    public enum Binary {
        MUL_MAT, ADD, SUB, MUL, DIV, REPEAT, GEGLU_SPLIT, CPY, GET_ROWS;

        private final MethodHandle handle = OpHandles.bind(this, PTR, PTR, PTR, PTR);
    }

    /** Normalisations over ne0, {@code ggml_tensor * ggml_<op>(ggml_context *, ggml_tensor *, float eps)}; run with {@link #norm}. */
    public enum Norm {
        NORM, RMS_NORM, L2_NORM;

        private final MethodHandle handle = OpHandles.bind(this, PTR, PTR, PTR, FLOAT);
    }


    public static MemorySegment unary(Unary op, MemorySegment ctx, MemorySegment a) {
        try { return (MemorySegment) op.handle.invokeExact(ctx, a); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    public static MemorySegment binary(Binary op, MemorySegment ctx, MemorySegment a, MemorySegment b) {
        try { return (MemorySegment) op.handle.invokeExact(ctx, a, b); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    public static MemorySegment norm(Norm op, MemorySegment ctx, MemorySegment a, float eps) {
        try { return (MemorySegment) op.handle.invokeExact(ctx, a, eps); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** A context that holds tensor metadata only ({@code noAlloc}) or also their data ({@code memSize} bytes). */
    public static MemorySegment init(long memSize, boolean noAlloc) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(INIT_PARAMS);
            params.set(SIZE_T, 0, memSize);
            params.set(PTR, 8, MemorySegment.NULL);
            params.set(BOOL, 16, noAlloc);
            MemorySegment ctx = (MemorySegment) GGML_INIT.invokeExact(params);
            if (ctx.equals(MemorySegment.NULL)) throw new OutOfMemoryError("ggml_init could not allocate " + memSize + " bytes");
            return ctx;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * In a holder of its own: loading the libraries installs the log callback, and when this class
     * is the first to load them its later fields are still unset at that moment.
     */
    private static final class LogSet {
        static final MethodHandle HANDLE = bind("ggml_log_set", null, PTR, PTR);
    }
    /** Sets ggml's {@code ggml_log_callback} (NULL restores stderr); {@code LlamaLog} installs one. */
    public static void logSet(MemorySegment callback, MemorySegment userData) {
        try { LogSet.HANDLE.invokeExact(callback, userData); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_FREE = bind("ggml_free", null, PTR);
    public static void free(MemorySegment ctx) {
        try { GGML_FREE.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_TENSOR_OVERHEAD = bind("ggml_tensor_overhead", I64);
    public static long tensorOverhead() {
        try { return (long) GGML_TENSOR_OVERHEAD.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GRAPH_OVERHEAD_CUSTOM = bind("ggml_graph_overhead_custom", I64, I64, BOOL);
    public static long graphOverheadCustom(long size, boolean grads) {
        try { return (long) GGML_GRAPH_OVERHEAD_CUSTOM.invokeExact(size, grads); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_USED_MEM = bind("ggml_used_mem", I64, PTR);
    public static long usedMem(MemorySegment ctx) {
        try { return (long) GGML_USED_MEM.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_NEW_TENSOR_1D = bind("ggml_new_tensor_1d", PTR, PTR, INT, I64);
    public static MemorySegment newTensor1d(MemorySegment ctx, int type, long ne0) {
        try { return (MemorySegment) GGML_NEW_TENSOR_1D.invokeExact(ctx, type, ne0); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_NEW_TENSOR_2D = bind("ggml_new_tensor_2d", PTR, PTR, INT, I64, I64);
    public static MemorySegment newTensor2d(MemorySegment ctx, int type, long ne0, long ne1) {
        try { return (MemorySegment) GGML_NEW_TENSOR_2D.invokeExact(ctx, type, ne0, ne1); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_NEW_TENSOR_3D = bind("ggml_new_tensor_3d", PTR, PTR, INT, I64, I64, I64);
    public static MemorySegment newTensor3d(MemorySegment ctx, int type, long ne0, long ne1, long ne2) {
        try { return (MemorySegment) GGML_NEW_TENSOR_3D.invokeExact(ctx, type, ne0, ne1, ne2); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_NEW_TENSOR_4D = bind("ggml_new_tensor_4d", PTR, PTR, INT, I64, I64, I64, I64);
    public static MemorySegment newTensor4d(MemorySegment ctx, int type, long ne0, long ne1, long ne2, long ne3) {
        try { return (MemorySegment) GGML_NEW_TENSOR_4D.invokeExact(ctx, type, ne0, ne1, ne2, ne3); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** ggml_new_tensor_1d .. ggml_new_tensor_4d by the number of sizes in {@code ne} (fastest first). */
    public static MemorySegment newTensor(MemorySegment ctx, int type, long... ne) {
        return switch (ne.length) {
            case 1 -> newTensor1d(ctx, type, ne[0]);
            case 2 -> newTensor2d(ctx, type, ne[0], ne[1]);
            case 3 -> newTensor3d(ctx, type, ne[0], ne[1], ne[2]);
            case 4 -> newTensor4d(ctx, type, ne[0], ne[1], ne[2], ne[3]);
            default -> throw new IllegalArgumentException("ggml tensors have 1 to 4 dimensions, got " + ne.length);
        };
    }

    private static final MethodHandle GGML_SET_NAME = bind("ggml_set_name", PTR, PTR, PTR);
    public static MemorySegment setName(MemorySegment tensor, MemorySegment name) {
        try { return (MemorySegment) GGML_SET_NAME.invokeExact(tensor, name); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GET_NAME = bind("ggml_get_name", PTR, PTR);
    public static MemorySegment getName(MemorySegment tensor) {
        try { return (MemorySegment) GGML_GET_NAME.invokeExact(tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_SET_INPUT = bind("ggml_set_input", null, PTR);
    public static void setInput(MemorySegment tensor) {
        try { GGML_SET_INPUT.invokeExact(tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_SET_OUTPUT = bind("ggml_set_output", null, PTR);
    public static void setOutput(MemorySegment tensor) {
        try { GGML_SET_OUTPUT.invokeExact(tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_NBYTES = bind("ggml_nbytes", I64, PTR);
    public static long nbytes(MemorySegment tensor) {
        try { return (long) GGML_NBYTES.invokeExact(tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_NELEMENTS = bind("ggml_nelements", I64, PTR);
    public static long nelements(MemorySegment tensor) {
        try { return (long) GGML_NELEMENTS.invokeExact(tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_TYPE_SIZE = bind("ggml_type_size", I64, INT);
    public static long typeSize(int type) {
        try { return (long) GGML_TYPE_SIZE.invokeExact(type); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BLCK_SIZE = bind("ggml_blck_size", I64, INT);
    public static long blckSize(int type) {
        try { return (long) GGML_BLCK_SIZE.invokeExact(type); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_TYPE_NAME = bind("ggml_type_name", PTR, INT);
    public static MemorySegment typeName(int type) {
        try { return (MemorySegment) GGML_TYPE_NAME.invokeExact(type); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_ROW_SIZE = bind("ggml_row_size", I64, INT, I64);
    public static long rowSize(int type, long ne) {
        try { return (long) GGML_ROW_SIZE.invokeExact(type, ne); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_IS_CONTIGUOUS = bind("ggml_is_contiguous", BOOL, PTR);
    public static boolean isContiguous(MemorySegment tensor) {
        try { return (boolean) GGML_IS_CONTIGUOUS.invokeExact(tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GET_FIRST_TENSOR = bind("ggml_get_first_tensor", PTR, PTR);
    public static MemorySegment getFirstTensor(MemorySegment ctx) {
        try { return (MemorySegment) GGML_GET_FIRST_TENSOR.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GET_NEXT_TENSOR = bind("ggml_get_next_tensor", PTR, PTR, PTR);
    public static MemorySegment getNextTensor(MemorySegment ctx, MemorySegment tensor) {
        try { return (MemorySegment) GGML_GET_NEXT_TENSOR.invokeExact(ctx, tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_SCALE = bind("ggml_scale", PTR, PTR, PTR, FLOAT);
    public static MemorySegment scale(MemorySegment ctx, MemorySegment a, float s) {
        try { return (MemorySegment) GGML_SCALE.invokeExact(ctx, a, s); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_SCALE_BIAS = bind("ggml_scale_bias", PTR, PTR, PTR, FLOAT, FLOAT);
    public static MemorySegment scaleBias(MemorySegment ctx, MemorySegment a, float s, float b) {
        try { return (MemorySegment) GGML_SCALE_BIAS.invokeExact(ctx, a, s, b); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_CLAMP = bind("ggml_clamp", PTR, PTR, PTR, FLOAT, FLOAT);
    public static MemorySegment clamp(MemorySegment ctx, MemorySegment a, float min, float max) {
        try { return (MemorySegment) GGML_CLAMP.invokeExact(ctx, a, min, max); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GROUP_NORM = bind("ggml_group_norm", PTR, PTR, PTR, INT, FLOAT);
    public static MemorySegment groupNorm(MemorySegment ctx, MemorySegment a, int nGroups, float eps) {
        try { return (MemorySegment) GGML_GROUP_NORM.invokeExact(ctx, a, nGroups, eps); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_SOFT_MAX_EXT = bind("ggml_soft_max_ext", PTR, PTR, PTR, PTR, FLOAT, FLOAT);
    public static MemorySegment softMaxExt(MemorySegment ctx, MemorySegment a, MemorySegment mask, float scale, float maxBias) {
        try { return (MemorySegment) GGML_SOFT_MAX_EXT.invokeExact(ctx, a, mask, scale, maxBias); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_FLASH_ATTN_EXT = bind("ggml_flash_attn_ext", PTR, PTR, PTR, PTR, PTR, PTR, FLOAT, FLOAT, FLOAT);
    public static MemorySegment flashAttnExt(MemorySegment ctx, MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment mask, float scale, float maxBias, float logitSoftcap) {
        try { return (MemorySegment) GGML_FLASH_ATTN_EXT.invokeExact(ctx, q, k, v, mask, scale, maxBias, logitSoftcap); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_PREC_SET_ACC = bind("ggml_prec_set_acc", BOOL, PTR, INT);
    public static boolean precSetAcc(MemorySegment tensor, int prec) {
        try { return (boolean) GGML_PREC_SET_ACC.invokeExact(tensor, prec); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_ROPE_EXT = bind("ggml_rope_ext", PTR, PTR, PTR, PTR, PTR, INT, INT, INT, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT);
    public static MemorySegment ropeExt(MemorySegment ctx, MemorySegment a, MemorySegment positions, MemorySegment freqFactors, int nDims, int mode, int nCtxOrig, float freqBase, float freqScale, float extFactor, float attnFactor, float betaFast, float betaSlow) {
        try { return (MemorySegment) GGML_ROPE_EXT.invokeExact(ctx, a, positions, freqFactors, nDims, mode, nCtxOrig, freqBase, freqScale, extFactor, attnFactor, betaFast, betaSlow); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_ROPE_MULTI = bind("ggml_rope_multi", PTR, PTR, PTR, PTR, PTR, INT, PTR, INT, INT, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT);
    public static MemorySegment ropeMulti(MemorySegment ctx, MemorySegment a, MemorySegment positions, MemorySegment freqFactors, int nDims, MemorySegment sections, int mode, int nCtxOrig, float freqBase, float freqScale, float extFactor, float attnFactor, float betaFast, float betaSlow) {
        try { return (MemorySegment) GGML_ROPE_MULTI.invokeExact(ctx, a, positions, freqFactors, nDims, sections, mode, nCtxOrig, freqBase, freqScale, extFactor, attnFactor, betaFast, betaSlow); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_CONV_2D = bind("ggml_conv_2d", PTR, PTR, PTR, PTR, INT, INT, INT, INT, INT, INT);
    public static MemorySegment conv2d(MemorySegment ctx, MemorySegment kernel, MemorySegment input, int s0, int s1, int p0, int p1, int d0, int d1) {
        try { return (MemorySegment) GGML_CONV_2D.invokeExact(ctx, kernel, input, s0, s1, p0, p1, d0, d1); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_CONV_2D_DIRECT = bind("ggml_conv_2d_direct", PTR, PTR, PTR, PTR, INT, INT, INT, INT, INT, INT);
    public static MemorySegment conv2dDirect(MemorySegment ctx, MemorySegment kernel, MemorySegment input, int s0, int s1, int p0, int p1, int d0, int d1) {
        try { return (MemorySegment) GGML_CONV_2D_DIRECT.invokeExact(ctx, kernel, input, s0, s1, p0, p1, d0, d1); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_CONV_TRANSPOSE_2D_P0 = bind("ggml_conv_transpose_2d_p0", PTR, PTR, PTR, PTR, INT);
    public static MemorySegment convTranspose2dP0(MemorySegment ctx, MemorySegment kernel, MemorySegment input, int stride) {
        try { return (MemorySegment) GGML_CONV_TRANSPOSE_2D_P0.invokeExact(ctx, kernel, input, stride); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_IM2COL = bind("ggml_im2col", PTR, PTR, PTR, PTR, INT, INT, INT, INT, INT, INT, BOOL, INT);
    public static MemorySegment im2col(MemorySegment ctx, MemorySegment kernel, MemorySegment input, int s0, int s1, int p0, int p1, int d0, int d1, boolean is2d, int dstType) {
        try { return (MemorySegment) GGML_IM2COL.invokeExact(ctx, kernel, input, s0, s1, p0, p1, d0, d1, is2d, dstType); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_IM2COL_3D = bind("ggml_im2col_3d", PTR, PTR, PTR, PTR, I64, INT, INT, INT, INT, INT, INT, INT, INT, INT, INT);
    public static MemorySegment im2col3d(MemorySegment ctx, MemorySegment kernel, MemorySegment input, long inChannels, int s0, int s1, int s2, int p0, int p1, int p2, int d0, int d1, int d2, int dstType) {
        try { return (MemorySegment) GGML_IM2COL_3D.invokeExact(ctx, kernel, input, inChannels, s0, s1, s2, p0, p1, p2, d0, d1, d2, dstType); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** ggml_custom_4d's n_tasks for "as many threads as the backend runs" (GGML_N_TASKS_MAX). */
    public static final int N_TASKS_MAX = -1;

    private static final MethodHandle GGML_CUSTOM_4D = bind("ggml_custom_4d", PTR, PTR, INT, I64, I64, I64, I64, PTR, INT, PTR, INT, PTR);
    /**
     * ggml_custom_4d: a new [ne0, ne1, ne2, ne3] tensor of {@code type}, computed by
     * {@code fun(dst, ith, nth, userdata)} (a {@code ggml_custom_op_t} address) on {@code nTasks}
     * threads ({@link #N_TASKS_MAX}: all); {@code args} is a {@code struct ggml_tensor **} of
     * {@code nArgs} sources, copied into dst->src. {@code userdata} must outlive the graph.
     */
    public static MemorySegment custom4d(MemorySegment ctx, int type, long ne0, long ne1, long ne2, long ne3, MemorySegment args, int nArgs,
            MemorySegment fun, int nTasks, MemorySegment userdata) {
        try { return (MemorySegment) GGML_CUSTOM_4D.invokeExact(ctx, type, ne0, ne1, ne2, ne3, args, nArgs, fun, nTasks, userdata); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** {@link #custom4d} with the sources given directly (ggml copies the pointer array, so it is temporary). */
    public static MemorySegment custom4d(MemorySegment ctx, int type, long[] ne, MemorySegment fun, int nTasks, MemorySegment userdata,
            MemorySegment... srcs) {
        if (ne.length != 4) throw new IllegalArgumentException("ggml_custom_4d takes 4 dimensions, got " + ne.length);
        if (srcs.length >= 10) throw new IllegalArgumentException("ggml_custom_4d takes at most 9 sources, got " + srcs.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(PTR, Math.max(1, srcs.length));
            for (int i = 0; i < srcs.length; i++) args.setAtIndex(PTR, i, srcs[i]);
            return custom4d(ctx, type, ne[0], ne[1], ne[2], ne[3], args, srcs.length, fun, nTasks, userdata);
        }
    }

    private static final MethodHandle GGML_CONV_3D = bind("ggml_conv_3d", PTR, PTR, PTR, PTR, I64, INT, INT, INT, INT, INT, INT, INT, INT, INT);
    public static MemorySegment conv3d(MemorySegment ctx, MemorySegment kernel, MemorySegment input, long inChannels, int s0, int s1, int s2, int p0, int p1, int p2, int d0, int d1, int d2) {
        try { return (MemorySegment) GGML_CONV_3D.invokeExact(ctx, kernel, input, inChannels, s0, s1, s2, p0, p1, p2, d0, d1, d2); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_UPSCALE = bind("ggml_upscale", PTR, PTR, PTR, INT, INT);
    public static MemorySegment upscale(MemorySegment ctx, MemorySegment a, int scaleFactor, int mode) {
        try { return (MemorySegment) GGML_UPSCALE.invokeExact(ctx, a, scaleFactor, mode); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_INTERPOLATE = bind("ggml_interpolate", PTR, PTR, PTR, I64, I64, I64, I64, INT);
    public static MemorySegment interpolate(MemorySegment ctx, MemorySegment a, long ne0, long ne1, long ne2, long ne3, int mode) {
        try { return (MemorySegment) GGML_INTERPOLATE.invokeExact(ctx, a, ne0, ne1, ne2, ne3, mode); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_PAD = bind("ggml_pad", PTR, PTR, PTR, INT, INT, INT, INT);
    public static MemorySegment pad(MemorySegment ctx, MemorySegment a, int p0, int p1, int p2, int p3) {
        try { return (MemorySegment) GGML_PAD.invokeExact(ctx, a, p0, p1, p2, p3); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_PAD_EXT = bind("ggml_pad_ext", PTR, PTR, PTR, INT, INT, INT, INT, INT, INT, INT, INT);
    public static MemorySegment padExt(MemorySegment ctx, MemorySegment a, int lp0, int rp0, int lp1, int rp1, int lp2, int rp2, int lp3, int rp3) {
        try { return (MemorySegment) GGML_PAD_EXT.invokeExact(ctx, a, lp0, rp0, lp1, rp1, lp2, rp2, lp3, rp3); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_CONCAT = bind("ggml_concat", PTR, PTR, PTR, PTR, INT);
    public static MemorySegment concat(MemorySegment ctx, MemorySegment a, MemorySegment b, int dim) {
        try { return (MemorySegment) GGML_CONCAT.invokeExact(ctx, a, b, dim); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_PERMUTE = bind("ggml_permute", PTR, PTR, PTR, INT, INT, INT, INT);
    public static MemorySegment permute(MemorySegment ctx, MemorySegment a, int axis0, int axis1, int axis2, int axis3) {
        try { return (MemorySegment) GGML_PERMUTE.invokeExact(ctx, a, axis0, axis1, axis2, axis3); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_RESHAPE_1D = bind("ggml_reshape_1d", PTR, PTR, PTR, I64);
    private static final MethodHandle GGML_RESHAPE_2D = bind("ggml_reshape_2d", PTR, PTR, PTR, I64, I64);
    private static final MethodHandle GGML_RESHAPE_3D = bind("ggml_reshape_3d", PTR, PTR, PTR, I64, I64, I64);
    private static final MethodHandle GGML_RESHAPE_4D = bind("ggml_reshape_4d", PTR, PTR, PTR, I64, I64, I64, I64);

    /** ggml_reshape_1d .. ggml_reshape_4d by the number of sizes in {@code ne}; {@code a} must be contiguous. */
    public static MemorySegment reshape(MemorySegment ctx, MemorySegment a, long... ne) {
        try {
            return switch (ne.length) {
                case 1 -> (MemorySegment) GGML_RESHAPE_1D.invokeExact(ctx, a, ne[0]);
                case 2 -> (MemorySegment) GGML_RESHAPE_2D.invokeExact(ctx, a, ne[0], ne[1]);
                case 3 -> (MemorySegment) GGML_RESHAPE_3D.invokeExact(ctx, a, ne[0], ne[1], ne[2]);
                case 4 -> (MemorySegment) GGML_RESHAPE_4D.invokeExact(ctx, a, ne[0], ne[1], ne[2], ne[3]);
                default -> throw new IllegalArgumentException("1 to 4 dimensions, got " + ne.length);
            };
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    private static final MethodHandle GGML_VIEW_1D = bind("ggml_view_1d", PTR, PTR, PTR, I64, I64);
    private static final MethodHandle GGML_VIEW_2D = bind("ggml_view_2d", PTR, PTR, PTR, I64, I64, I64, I64);
    private static final MethodHandle GGML_VIEW_3D = bind("ggml_view_3d", PTR, PTR, PTR, I64, I64, I64, I64, I64, I64);
    private static final MethodHandle GGML_VIEW_4D = bind("ggml_view_4d", PTR, PTR, PTR, I64, I64, I64, I64, I64, I64, I64, I64);

    /**
     * ggml_view_1d .. ggml_view_4d by the number of sizes in {@code ne}: {@code nb} holds the byte strides of
     * dimensions 1.. (one fewer than {@code ne}), {@code offset} is in bytes.
     */
    public static MemorySegment view(MemorySegment ctx, MemorySegment a, long[] ne, long[] nb, long offset) {
        try {
            return switch (ne.length) {
                case 1 -> (MemorySegment) GGML_VIEW_1D.invokeExact(ctx, a, ne[0], offset);
                case 2 -> (MemorySegment) GGML_VIEW_2D.invokeExact(ctx, a, ne[0], ne[1], nb[0], offset);
                case 3 -> (MemorySegment) GGML_VIEW_3D.invokeExact(ctx, a, ne[0], ne[1], ne[2], nb[0], nb[1], offset);
                case 4 -> (MemorySegment) GGML_VIEW_4D.invokeExact(ctx, a, ne[0], ne[1], ne[2], ne[3], nb[0], nb[1], nb[2], offset);
                default -> throw new IllegalArgumentException("1 to 4 dimensions, got " + ne.length);
            };
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    private static final MethodHandle GGML_CONT_4D = bind("ggml_cont_4d", PTR, PTR, PTR, I64, I64, I64, I64);
    public static MemorySegment cont4d(MemorySegment ctx, MemorySegment a, long ne0, long ne1, long ne2, long ne3) {
        try { return (MemorySegment) GGML_CONT_4D.invokeExact(ctx, a, ne0, ne1, ne2, ne3); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_CAST = bind("ggml_cast", PTR, PTR, PTR, INT);
    public static MemorySegment cast(MemorySegment ctx, MemorySegment a, int type) {
        try { return (MemorySegment) GGML_CAST.invokeExact(ctx, a, type); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_TOP_K = bind("ggml_top_k", PTR, PTR, PTR, INT);
    public static MemorySegment topK(MemorySegment ctx, MemorySegment a, int k) {
        try { return (MemorySegment) GGML_TOP_K.invokeExact(ctx, a, k); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_ARANGE = bind("ggml_arange", PTR, PTR, FLOAT, FLOAT, FLOAT);
    public static MemorySegment arange(MemorySegment ctx, float start, float stop, float step) {
        try { return (MemorySegment) GGML_ARANGE.invokeExact(ctx, start, stop, step); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_TIMESTEP_EMBEDDING = bind("ggml_timestep_embedding", PTR, PTR, PTR, INT, INT);
    public static MemorySegment timestepEmbedding(MemorySegment ctx, MemorySegment timesteps, int dim, int maxPeriod) {
        try { return (MemorySegment) GGML_TIMESTEP_EMBEDDING.invokeExact(ctx, timesteps, dim, maxPeriod); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_NEW_GRAPH_CUSTOM = bind("ggml_new_graph_custom", PTR, PTR, I64, BOOL);
    public static MemorySegment newGraphCustom(MemorySegment ctx, long size, boolean grads) {
        try { return (MemorySegment) GGML_NEW_GRAPH_CUSTOM.invokeExact(ctx, size, grads); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_BUILD_FORWARD_EXPAND = bind("ggml_build_forward_expand", null, PTR, PTR);
    public static void buildForwardExpand(MemorySegment graph, MemorySegment tensor) {
        try { GGML_BUILD_FORWARD_EXPAND.invokeExact(graph, tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GRAPH_N_NODES = bind("ggml_graph_n_nodes", INT, PTR);
    public static int graphNNodes(MemorySegment graph) {
        try { return (int) GGML_GRAPH_N_NODES.invokeExact(graph); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GRAPH_NODE = bind("ggml_graph_node", PTR, PTR, INT);
    public static MemorySegment graphNode(MemorySegment graph, int i) {
        try { return (MemorySegment) GGML_GRAPH_NODE.invokeExact(graph, i); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GRAPH_CLEAR = bind("ggml_graph_clear", null, PTR);
    /** Empties a graph (no nodes, no leafs) so it can be refilled, e.g. with one node at a time. */
    public static void graphClear(MemorySegment graph) {
        try { GGML_GRAPH_CLEAR.invokeExact(graph); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GRAPH_ADD_NODE = bind("ggml_graph_add_node", null, PTR, PTR);
    /** Appends an already built tensor as a node, without visiting its sources. */
    public static void graphAddNode(MemorySegment graph, MemorySegment tensor) {
        try { GGML_GRAPH_ADD_NODE.invokeExact(graph, tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_OP_DESC = bind("ggml_op_desc", PTR, PTR);
    /** The op's name, or the unary/glu op's name for UNARY/GLU nodes (e.g. "MUL_MAT", "SILU"). */
    public static String opDesc(MemorySegment tensor) {
        try { return ((MemorySegment) GGML_OP_DESC.invokeExact(tensor)).reinterpret(64).getString(0); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_GRAPH_GET_TENSOR = bind("ggml_graph_get_tensor", PTR, PTR, PTR);
    public static MemorySegment graphGetTensor(MemorySegment graph, MemorySegment name) {
        try { return (MemorySegment) GGML_GRAPH_GET_TENSOR.invokeExact(graph, name); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_QUANTIZE_CHUNK = bind("ggml_quantize_chunk", I64, INT, PTR, PTR, I64, I64, I64, PTR);
    public static long quantizeChunk(int type, MemorySegment src, MemorySegment dst, long start, long nrows, long nPerRow, MemorySegment imatrix) {
        try { return (long) GGML_QUANTIZE_CHUNK.invokeExact(type, src, dst, start, nrows, nPerRow, imatrix); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_QUANTIZE_REQUIRES_IMATRIX = bind("ggml_quantize_requires_imatrix", BOOL, INT);
    public static boolean quantizeRequiresImatrix(int type) {
        try { return (boolean) GGML_QUANTIZE_REQUIRES_IMATRIX.invokeExact(type); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_VALIDATE_ROW_DATA = bind("ggml_validate_row_data", BOOL, INT, PTR, I64);
    public static boolean validateRowData(int type, MemorySegment data, long nbytes) {
        try { return (boolean) GGML_VALIDATE_ROW_DATA.invokeExact(type, data, nbytes); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_FP16_TO_FP32_ROW = bind("ggml_fp16_to_fp32_row", null, PTR, PTR, I64);
    public static void fp16ToFp32Row(MemorySegment src, MemorySegment dst, long n) {
        try { GGML_FP16_TO_FP32_ROW.invokeExact(src, dst, n); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGML_FP32_TO_FP16_ROW = bind("ggml_fp32_to_fp16_row", null, PTR, PTR, I64);
    public static void fp32ToFp16Row(MemorySegment src, MemorySegment dst, long n) {
        try { GGML_FP32_TO_FP16_ROW.invokeExact(src, dst, n); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }
}
