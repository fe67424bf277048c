package mmgp.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Plain-Java decoding of ggml tensor data into floats. It is the reference path: tests compare ggml
 * results against it, and the engine uses it for small tensors (norm weights, scheduler tables) that
 * are not worth a graph. It reads the source segment in place, whatever its alignment.
 */
public final class Dequantizer {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Elements in one Q8_0 block: an fp16 scale followed by 32 signed bytes. */
    private static final int Q8_0_BLOCK = 32;

    private Dequantizer() {
    }

    /** Whether {@link #dequantize} can decode this type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, F64, Q8_0 -> true;
            default -> false;
        };
    }

    /**
     * Decodes {@code elementCount} elements of {@code type} starting at the beginning of {@code source}.
     *
     * @throws IllegalArgumentException if the type is not supported, the count does not fit a Java array
     *     or is not a whole number of blocks, or {@code source} is shorter than the data it should hold
     */
    public static float[] dequantize(GgmlType type, MemorySegment source, long elementCount) {
        if (elementCount < 0 || elementCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cannot decode " + elementCount + " elements into one float[]");
        }
        float[] out = new float[(int) elementCount];
        dequantizeInto(type, source, out, 0, out.length);
        return out;
    }

    /** Decodes {@code count} elements of {@code type} from the start of {@code source} into {@code dst[dstOffset..]}. */
    public static void dequantizeInto(GgmlType type, MemorySegment source, float[] dst, int dstOffset, int count) {
        if (!supports(type)) {
            throw new IllegalArgumentException("no Java decoder for " + type + "; supported: F32, F16, BF16, F64, Q8_0");
        }
        java.util.Objects.checkFromIndexSize(dstOffset, count, dst.length);
        long needed = type.rowBytes(count);
        if (source.byteSize() < needed) {
            throw new IllegalArgumentException(count + " elements of " + type + " need " + needed
                    + " bytes, but the source holds " + source.byteSize());
        }
        switch (type) {
            case F32 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = source.get(F32, 4L * i);
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = (float) source.get(F64, 8L * i);
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = HalfPrecision.f16ToFloat(source.get(I16, 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = HalfPrecision.bf16ToFloat(source.get(I16, 2L * i));
                }
            }
            case Q8_0 -> dequantizeQ8_0(source, dst, dstOffset, count / Q8_0_BLOCK);
            default -> throw new AssertionError(type);
        }
    }

    /** Q8_0: value = d * q, with d an fp16 per block of 32 int8 quants (dequantize_row_q8_0). */
    private static void dequantizeQ8_0(MemorySegment source, float[] dst, int dstOffset, int blocks) {
        int blockBytes = GgmlType.Q8_0.bytesPerBlock();
        for (int b = 0; b < blocks; b++) {
            long base = (long) b * blockBytes;
            float d = HalfPrecision.f16ToFloat(source.get(I16, base));
            int out = dstOffset + b * Q8_0_BLOCK;
            for (int j = 0; j < Q8_0_BLOCK; j++) {
                dst[out + j] = d * source.get(ValueLayout.JAVA_BYTE, base + 2 + j);
            }
        }
    }
}
