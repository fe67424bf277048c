package mmgp.bindings.gguf;

import static mmgp.bindings.CTypes.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibrary;
import mmgp.bindings.ggml.GgmlTensorStruct;

/**
 * Downcalls into ggml's GGUF reader/writer (gguf.h).
 *
 * <p>gguf aborts the whole process (GGML_ABORT) when a getter is used with the wrong type, a
 * key or tensor index is out of range, or a tensor name is duplicated or unknown. In a JVM
 * that would kill the engine, so the wrappers check those conditions first and throw
 * {@link IllegalArgumentException} instead; the checks cost one or two extra downcalls, which
 * is nothing next to metadata parsing.
 */
public final class GgufNative {
    /** enum gguf_type */
    public static final int TYPE_UINT8 = 0, TYPE_INT8 = 1, TYPE_UINT16 = 2, TYPE_INT16 = 3, TYPE_UINT32 = 4,
            TYPE_INT32 = 5, TYPE_FLOAT32 = 6, TYPE_BOOL = 7, TYPE_STRING = 8, TYPE_ARRAY = 9, TYPE_UINT64 = 10,
            TYPE_INT64 = 11, TYPE_FLOAT64 = 12;

    /** {@code struct gguf_init_params}, passed by value: {bool no_alloc; pad 7; struct ggml_context ** ctx;}. */
    public static final StructLayout INIT_PARAMS = MemoryLayout.structLayout(
            BOOL.withName("no_alloc"), MemoryLayout.paddingLayout(7), PTR.withName("ctx")).withName("gguf_init_params");

    /** C's int16_t/uint16_t; CTypes has no 16-bit layout. */
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT;

    private GgufNative() {}

    private static MethodHandle bind(String name, MemoryLayout result, MemoryLayout... args) {
        return Downcalls.bind(NativeLibrary.GGML, name, result, args);
    }

    // ---- contexts

    private static final MethodHandle GGUF_INIT_EMPTY = bind("gguf_init_empty", PTR);
    /** A new, empty context for writing; free it with {@link #free}. */
    public static MemorySegment initEmpty() {
        try { return (MemorySegment) GGUF_INIT_EMPTY.invokeExact(); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_INIT_FROM_FILE = bind("gguf_init_from_file", PTR, PTR, INIT_PARAMS);
    /** The raw call: {@code fname} a C string, {@code params} an {@link #INIT_PARAMS} segment; NULL on failure. */
    public static MemorySegment initFromFile(MemorySegment fname, MemorySegment params) {
        try { return (MemorySegment) GGUF_INIT_FROM_FILE.invokeExact(fname, params); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /**
     * Reads the header, metadata and tensor infos of {@code file}. With {@code ggmlCtxOut} (a
     * {@code ggml_context**}, or NULL) gguf also creates a ggml context holding the tensors,
     * with their data unless {@code noAlloc}.
     *
     * @throws UncheckedIOException when gguf cannot read the file (missing, truncated, not GGUF)
     */
    public static MemorySegment initFromFile(Path file, boolean noAlloc, MemorySegment ggmlCtxOut) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(INIT_PARAMS);
            params.set(BOOL, INIT_PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("no_alloc")), noAlloc);
            params.set(PTR, INIT_PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("ctx")), ggmlCtxOut);
            MemorySegment ctx = initFromFile(arena.allocateFrom(file.toString()), params);
            if (ctx.equals(MemorySegment.NULL)) {
                throw new UncheckedIOException(new IOException("gguf_init_from_file could not read " + file
                        + (Files.exists(file) ? " (not a valid GGUF file, or truncated)" : " (no such file)")));
            }
            return ctx;
        }
    }

    private static final MethodHandle GGUF_FREE = bind("gguf_free", null, PTR);
    public static void free(MemorySegment ctx) {
        try { GGUF_FREE.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_TYPE_NAME = bind("gguf_type_name", PTR, ENUM);
    /** "u8", "str", "arr", ...; null for an unknown type. */
    public static String typeName(int type) {
        try { return string((MemorySegment) GGUF_TYPE_NAME.invokeExact(type)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VERSION = bind("gguf_get_version", INT, PTR);
    public static int getVersion(MemorySegment ctx) {
        try { return (int) GGUF_GET_VERSION.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_ALIGNMENT = bind("gguf_get_alignment", SIZE_T, PTR);
    public static long getAlignment(MemorySegment ctx) {
        try { return (long) GGUF_GET_ALIGNMENT.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_DATA_OFFSET = bind("gguf_get_data_offset", SIZE_T, PTR);
    /** Byte offset of the tensor data blob in the file. */
    public static long getDataOffset(MemorySegment ctx) {
        try { return (long) GGUF_GET_DATA_OFFSET.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- key/value metadata

    private static final MethodHandle GGUF_GET_N_KV = bind("gguf_get_n_kv", I64, PTR);
    public static long getNKv(MemorySegment ctx) {
        try { return (long) GGUF_GET_N_KV.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_FIND_KEY = bind("gguf_find_key", I64, PTR, PTR);
    /** The key's index, or -1 when absent. */
    public static long findKey(MemorySegment ctx, String key) {
        try (Arena arena = Arena.ofConfined()) {
            return (long) GGUF_FIND_KEY.invokeExact(ctx, arena.allocateFrom(key));
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_KEY = bind("gguf_get_key", PTR, PTR, I64);
    public static String getKey(MemorySegment ctx, long keyId) {
        requireKey(ctx, keyId);
        try { return string((MemorySegment) GGUF_GET_KEY.invokeExact(ctx, keyId)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_KV_TYPE = bind("gguf_get_kv_type", ENUM, PTR, I64);
    /** One of the TYPE_* constants; TYPE_ARRAY for arrays (see {@link #getArrType}). */
    public static int getKvType(MemorySegment ctx, long keyId) {
        requireKey(ctx, keyId);
        try { return (int) GGUF_GET_KV_TYPE.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_ARR_TYPE = bind("gguf_get_arr_type", ENUM, PTR, I64);
    /** The element type of an array value. */
    public static int getArrType(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_ARRAY);
        try { return (int) GGUF_GET_ARR_TYPE.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_U8 = bind("gguf_get_val_u8", U8, PTR, I64);
    /** A uint8 value, 0..255. */
    public static int getValU8(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_UINT8);
        try { return Byte.toUnsignedInt((byte) GGUF_GET_VAL_U8.invokeExact(ctx, keyId)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_I8 = bind("gguf_get_val_i8", U8, PTR, I64);
    public static byte getValI8(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_INT8);
        try { return (byte) GGUF_GET_VAL_I8.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_U16 = bind("gguf_get_val_u16", I16, PTR, I64);
    /** A uint16 value, 0..65535. */
    public static int getValU16(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_UINT16);
        try { return Short.toUnsignedInt((short) GGUF_GET_VAL_U16.invokeExact(ctx, keyId)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_I16 = bind("gguf_get_val_i16", I16, PTR, I64);
    public static short getValI16(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_INT16);
        try { return (short) GGUF_GET_VAL_I16.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_U32 = bind("gguf_get_val_u32", INT, PTR, I64);
    /** A uint32 value, widened without sign: 0..2^32-1. */
    public static long getValU32(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_UINT32);
        try { return Integer.toUnsignedLong((int) GGUF_GET_VAL_U32.invokeExact(ctx, keyId)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_I32 = bind("gguf_get_val_i32", INT, PTR, I64);
    public static int getValI32(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_INT32);
        try { return (int) GGUF_GET_VAL_I32.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_F32 = bind("gguf_get_val_f32", FLOAT, PTR, I64);
    public static float getValF32(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_FLOAT32);
        try { return (float) GGUF_GET_VAL_F32.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_U64 = bind("gguf_get_val_u64", I64, PTR, I64);
    /** A uint64 value as its two's-complement bits (use Long.toUnsignedString etc. above 2^63). */
    public static long getValU64(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_UINT64);
        try { return (long) GGUF_GET_VAL_U64.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_I64 = bind("gguf_get_val_i64", I64, PTR, I64);
    public static long getValI64(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_INT64);
        try { return (long) GGUF_GET_VAL_I64.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_F64 = bind("gguf_get_val_f64", DOUBLE, PTR, I64);
    public static double getValF64(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_FLOAT64);
        try { return (double) GGUF_GET_VAL_F64.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_BOOL = bind("gguf_get_val_bool", BOOL, PTR, I64);
    public static boolean getValBool(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_BOOL);
        try { return (boolean) GGUF_GET_VAL_BOOL.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_VAL_STR = bind("gguf_get_val_str", PTR, PTR, I64);
    public static String getValStr(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_STRING);
        try { return string((MemorySegment) GGUF_GET_VAL_STR.invokeExact(ctx, keyId)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_ARR_N = bind("gguf_get_arr_n", SIZE_T, PTR, I64);
    public static long getArrN(MemorySegment ctx, long keyId) {
        requireType(ctx, keyId, TYPE_ARRAY);
        try { return (long) GGUF_GET_ARR_N.invokeExact(ctx, keyId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_ARR_DATA = bind("gguf_get_arr_data", PTR, PTR, I64);
    /**
     * The elements of a non-string array, in place (no copy), sized {@code n * element size};
     * valid while {@code ctx} lives. Bool arrays are one byte per element.
     */
    public static MemorySegment getArrData(MemorySegment ctx, long keyId) {
        int type = getArrType(ctx, keyId);
        if (type == TYPE_STRING) throw new IllegalArgumentException("key " + keyId + " is a string array; use getArrStr");
        long n = getArrN(ctx, keyId);
        try {
            MemorySegment data = (MemorySegment) GGUF_GET_ARR_DATA.invokeExact(ctx, keyId);
            return data.reinterpret(n * elementSize(type));
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_ARR_STR = bind("gguf_get_arr_str", PTR, PTR, I64, SIZE_T);
    public static String getArrStr(MemorySegment ctx, long keyId, long i) {
        if (getArrType(ctx, keyId) != TYPE_STRING) throw new IllegalArgumentException("key " + keyId + " is not a string array");
        long n = getArrN(ctx, keyId);
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("element " + i + " of a " + n + "-element array");
        try { return string((MemorySegment) GGUF_GET_ARR_STR.invokeExact(ctx, keyId, i)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- tensor infos

    private static final MethodHandle GGUF_GET_N_TENSORS = bind("gguf_get_n_tensors", I64, PTR);
    public static long getNTensors(MemorySegment ctx) {
        try { return (long) GGUF_GET_N_TENSORS.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_FIND_TENSOR = bind("gguf_find_tensor", I64, PTR, PTR);
    /** The tensor's index, or -1 when absent. */
    public static long findTensor(MemorySegment ctx, String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (long) GGUF_FIND_TENSOR.invokeExact(ctx, arena.allocateFrom(name));
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_TENSOR_OFFSET = bind("gguf_get_tensor_offset", SIZE_T, PTR, I64);
    /** Offset of the tensor's data relative to {@link #getDataOffset}. */
    public static long getTensorOffset(MemorySegment ctx, long tensorId) {
        requireTensor(ctx, tensorId);
        try { return (long) GGUF_GET_TENSOR_OFFSET.invokeExact(ctx, tensorId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_TENSOR_NAME = bind("gguf_get_tensor_name", PTR, PTR, I64);
    public static String getTensorName(MemorySegment ctx, long tensorId) {
        requireTensor(ctx, tensorId);
        try { return string((MemorySegment) GGUF_GET_TENSOR_NAME.invokeExact(ctx, tensorId)); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_TENSOR_NE = bind("gguf_get_tensor_ne", PTR, PTR, I64);
    /** ne[0..3] (GGML_MAX_DIMS); 1 for the dimensions the tensor does not have. */
    public static long[] getTensorNe(MemorySegment ctx, long tensorId) {
        requireTensor(ctx, tensorId);
        try {
            MemorySegment ne = (MemorySegment) GGUF_GET_TENSOR_NE.invokeExact(ctx, tensorId);
            return ne.reinterpret(4 * I64.byteSize()).toArray(I64);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_TENSOR_TYPE = bind("gguf_get_tensor_type", ENUM, PTR, I64);
    /** The tensor's enum ggml_type. */
    public static int getTensorType(MemorySegment ctx, long tensorId) {
        requireTensor(ctx, tensorId);
        try { return (int) GGUF_GET_TENSOR_TYPE.invokeExact(ctx, tensorId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_GET_TENSOR_SIZE = bind("gguf_get_tensor_size", SIZE_T, PTR, I64);
    /** Size of the tensor's data in bytes. */
    public static long getTensorSize(MemorySegment ctx, long tensorId) {
        requireTensor(ctx, tensorId);
        try { return (long) GGUF_GET_TENSOR_SIZE.invokeExact(ctx, tensorId); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    // ---- writing

    private static final MethodHandle GGUF_SET_VAL_U8 = bind("gguf_set_val_u8", null, PTR, PTR, U8);
    public static void setValU8(MemorySegment ctx, String key, byte val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_U8.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_I8 = bind("gguf_set_val_i8", null, PTR, PTR, U8);
    public static void setValI8(MemorySegment ctx, String key, byte val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_I8.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_U16 = bind("gguf_set_val_u16", null, PTR, PTR, I16);
    public static void setValU16(MemorySegment ctx, String key, short val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_U16.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_I16 = bind("gguf_set_val_i16", null, PTR, PTR, I16);
    public static void setValI16(MemorySegment ctx, String key, short val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_I16.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_U32 = bind("gguf_set_val_u32", null, PTR, PTR, INT);
    /** Stores the low 32 bits of {@code val} as a uint32. */
    public static void setValU32(MemorySegment ctx, String key, int val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_U32.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_I32 = bind("gguf_set_val_i32", null, PTR, PTR, INT);
    public static void setValI32(MemorySegment ctx, String key, int val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_I32.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_F32 = bind("gguf_set_val_f32", null, PTR, PTR, FLOAT);
    public static void setValF32(MemorySegment ctx, String key, float val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_F32.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_U64 = bind("gguf_set_val_u64", null, PTR, PTR, I64);
    public static void setValU64(MemorySegment ctx, String key, long val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_U64.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_I64 = bind("gguf_set_val_i64", null, PTR, PTR, I64);
    public static void setValI64(MemorySegment ctx, String key, long val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_I64.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_F64 = bind("gguf_set_val_f64", null, PTR, PTR, DOUBLE);
    public static void setValF64(MemorySegment ctx, String key, double val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_F64.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_BOOL = bind("gguf_set_val_bool", null, PTR, PTR, BOOL);
    public static void setValBool(MemorySegment ctx, String key, boolean val) {
        try (Arena arena = Arena.ofConfined()) { GGUF_SET_VAL_BOOL.invokeExact(ctx, arena.allocateFrom(key), val); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_VAL_STR = bind("gguf_set_val_str", null, PTR, PTR, PTR);
    /** gguf copies the string. */
    public static void setValStr(MemorySegment ctx, String key, String val) {
        try (Arena arena = Arena.ofConfined()) {
            GGUF_SET_VAL_STR.invokeExact(ctx, arena.allocateFrom(key), arena.allocateFrom(val));
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_ARR_DATA = bind("gguf_set_arr_data", null, PTR, PTR, ENUM, PTR, SIZE_T);
    /** A new array of {@code n} elements of {@code type}, copied from {@code data}. */
    public static void setArrData(MemorySegment ctx, String key, int type, MemorySegment data, long n) {
        if (type == TYPE_STRING || type == TYPE_ARRAY) throw new IllegalArgumentException("setArrData takes scalar element types; use setArrStr for strings");
        long needed = n * elementSize(type);
        if (data.byteSize() < needed) throw new IllegalArgumentException(n + " elements of " + typeName(type) + " need " + needed + " bytes, data has " + data.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            GGUF_SET_ARR_DATA.invokeExact(ctx, arena.allocateFrom(key), type, data, n);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_ARR_STR = bind("gguf_set_arr_str", null, PTR, PTR, PTR, SIZE_T);
    /** A new string array; gguf copies the strings. */
    public static void setArrStr(MemorySegment ctx, String key, List<String> values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointers = arena.allocate(PTR, Math.max(1, values.size()));
            for (int i = 0; i < values.size(); i++) pointers.setAtIndex(PTR, i, arena.allocateFrom(values.get(i)));
            GGUF_SET_ARR_STR.invokeExact(ctx, arena.allocateFrom(key), pointers, (long) values.size());
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_ADD_TENSOR = bind("gguf_add_tensor", null, PTR, PTR);
    /** Adds the shape, type and name of a ggml tensor; data follows with {@link #setTensorData}. */
    public static void addTensor(MemorySegment ctx, MemorySegment tensor) {
        String name = GgmlTensorStruct.name(tensor);
        if (findTensor(ctx, name) >= 0) throw new IllegalArgumentException("duplicate tensor name " + name);
        try { GGUF_ADD_TENSOR.invokeExact(ctx, tensor); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_SET_TENSOR_DATA = bind("gguf_set_tensor_data", null, PTR, PTR, PTR);
    /**
     * Points the tensor at {@code data}; gguf keeps the pointer, not a copy, so {@code data}
     * must stay alive until the context is written.
     */
    public static void setTensorData(MemorySegment ctx, String name, MemorySegment data) {
        long id = findTensor(ctx, name);
        if (id < 0) throw new IllegalArgumentException("no tensor named " + name);
        long size = getTensorSize(ctx, id);
        if (data.byteSize() < size) throw new IllegalArgumentException("tensor " + name + " needs " + size + " bytes, data has " + data.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            GGUF_SET_TENSOR_DATA.invokeExact(ctx, arena.allocateFrom(name), data);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    private static final MethodHandle GGUF_WRITE_TO_FILE = bind("gguf_write_to_file", BOOL, PTR, PTR, BOOL);
    /**
     * Writes the context (all of it, or only the metadata and tensor infos).
     *
     * @throws UncheckedIOException when gguf reports a failure
     */
    public static void writeToFile(MemorySegment ctx, Path file, boolean onlyMeta) {
        boolean ok;
        try (Arena arena = Arena.ofConfined()) {
            ok = (boolean) GGUF_WRITE_TO_FILE.invokeExact(ctx, arena.allocateFrom(file.toString()), onlyMeta);
        } catch (Throwable t) { throw Downcalls.rethrow(t); }
        if (!ok) throw new UncheckedIOException(new IOException("gguf_write_to_file could not write " + file));
    }

    private static final MethodHandle GGUF_GET_META_SIZE = bind("gguf_get_meta_size", SIZE_T, PTR);
    /** Size of header, metadata and tensor infos including padding: where the data blob starts. */
    public static long getMetaSize(MemorySegment ctx) {
        try { return (long) GGUF_GET_META_SIZE.invokeExact(ctx); } catch (Throwable t) { throw Downcalls.rethrow(t); }
    }

    /** Bytes per element of a scalar gguf type. */
    public static long elementSize(int type) {
        return switch (type) {
            case TYPE_UINT8, TYPE_INT8, TYPE_BOOL -> 1;
            case TYPE_UINT16, TYPE_INT16 -> 2;
            case TYPE_UINT32, TYPE_INT32, TYPE_FLOAT32 -> 4;
            case TYPE_UINT64, TYPE_INT64, TYPE_FLOAT64 -> 8;
            default -> throw new IllegalArgumentException("gguf type " + type + " has no fixed element size");
        };
    }

    private static void requireKey(MemorySegment ctx, long keyId) {
        long n = getNKv(ctx);
        if (keyId < 0 || keyId >= n) throw new IndexOutOfBoundsException("key id " + keyId + " outside 0.." + (n - 1));
    }

    private static void requireType(MemorySegment ctx, long keyId, int expected) {
        int actual = getKvType(ctx, keyId);
        if (actual != expected) {
            throw new IllegalArgumentException("key " + getKey(ctx, keyId) + " holds " + typeName(actual) + ", not " + typeName(expected));
        }
    }

    private static void requireTensor(MemorySegment ctx, long tensorId) {
        long n = getNTensors(ctx);
        if (tensorId < 0 || tensorId >= n) throw new IndexOutOfBoundsException("tensor id " + tensorId + " outside 0.." + (n - 1));
    }

    private static String string(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? null : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
