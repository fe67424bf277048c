package mmgp.bindings.ggml;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Field access into {@code struct ggml_tensor} (336 bytes in the pinned build). The offsets
 * depend on GGML_MAX_SRC and GGML_MAX_NAME, so {@link #verify()} checks them against a tensor
 * that ggml itself filled in before the engine trusts them.
 */
public final class GgmlTensorStruct {
    public static final long SIZE = 336;
    public static final long TYPE = 0;
    public static final long BUFFER = 8;
    public static final long NE = 16;
    public static final long NB = 48;
    public static final long OP = 80;
    public static final long OP_PARAMS = 84;
    public static final long SRC = 152;
    public static final long VIEW_SRC = 232;
    public static final long DATA = 248;
    public static final long NAME = 256;
    public static final long NAME_LENGTH = 64;
    public static final long EXTRA = 320;

    private static volatile boolean verified;

    private GgmlTensorStruct() {}

    private static MemorySegment view(MemorySegment tensor) {
        return tensor.reinterpret(SIZE);
    }

    public static int type(MemorySegment tensor) {
        return view(tensor).get(ValueLayout.JAVA_INT, TYPE);
    }

    public static long ne(MemorySegment tensor, int dim) {
        return view(tensor).get(ValueLayout.JAVA_LONG, NE + 8L * dim);
    }

    public static long nb(MemorySegment tensor, int dim) {
        return view(tensor).get(ValueLayout.JAVA_LONG, NB + 8L * dim);
    }

    public static int op(MemorySegment tensor) {
        return view(tensor).get(ValueLayout.JAVA_INT, OP);
    }

    public static MemorySegment src(MemorySegment tensor, int i) {
        return view(tensor).get(ValueLayout.ADDRESS, SRC + 8L * i);
    }

    public static MemorySegment buffer(MemorySegment tensor) {
        return view(tensor).get(ValueLayout.ADDRESS, BUFFER);
    }

    /**
     * The function of a GGML_OP_CUSTOM node: ggml_custom_4d copies its struct ggml_custom_op_params
     * (the function pointer first) into op_params, so it is the first 8 bytes there (unaligned).
     */
    public static long customOpFunction(MemorySegment tensor) {
        return view(tensor).get(ValueLayout.JAVA_LONG_UNALIGNED, OP_PARAMS);
    }

    /** The tensor this one is a view of, or NULL. */
    public static MemorySegment viewSrc(MemorySegment tensor) {
        return view(tensor).get(ValueLayout.ADDRESS, VIEW_SRC);
    }

    public static MemorySegment data(MemorySegment tensor) {
        return view(tensor).get(ValueLayout.ADDRESS, DATA);
    }

    public static String name(MemorySegment tensor) {
        MemorySegment n = view(tensor).asSlice(NAME, NAME_LENGTH);
        int len = 0;
        while (len < NAME_LENGTH && n.get(ValueLayout.JAVA_BYTE, len) != 0) len++;
        return new String(n.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /**
     * Creates a tensor with distinctive dimensions and a name through ggml and reads them back
     * at our offsets; a mismatch means the library was built with other GGML_MAX_* values.
     */
    public static void verify() {
        if (verified) return;
        MemorySegment ctx = Ggml.init(4 * Ggml.tensorOverhead(), true);
        try {
            MemorySegment t = Ggml.newTensor4d(ctx, 1, 3, 5, 7, 11);
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                Ggml.setName(t, arena.allocateFrom("layout-probe"));
            }
            boolean ok = type(t) == 1 && ne(t, 0) == 3 && ne(t, 1) == 5 && ne(t, 2) == 7 && ne(t, 3) == 11
                    && nb(t, 0) == 2 && nb(t, 1) == 6 && nb(t, 2) == 30 && nb(t, 3) == 210
                    && "layout-probe".equals(name(t)) && Ggml.nbytes(t) == 2L * 3 * 5 * 7 * 11
                    && data(t).equals(MemorySegment.NULL);
            MemorySegment v = Ggml.view(ctx, t, new long[] {4}, new long[0], 0);
            ok &= view(v).get(ValueLayout.ADDRESS, VIEW_SRC).equals(t) && src(v, 0).equals(t);
            long overhead = Ggml.tensorOverhead();
            if (!ok || overhead < SIZE) {
                throw new mmgp.bindings.NativeLibraryException("struct ggml_tensor layout of the loaded ggml does not match "
                        + "the offsets mmgp was written for (tensor_overhead=" + overhead + "); rebuild the native libs "
                        + "from the pinned source");
            }
            verified = true;
        } finally {
            Ggml.free(ctx);
        }
    }
}
