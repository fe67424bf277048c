package mmgp.convert;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import mmgp.bindings.ggml.Ggml;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;

/**
 * Encodes F32 rows into a GGUF tensor type. Quantized types go through ggml's own
 * ggml_quantize_chunk, so a file we write holds the same bytes llama.cpp's tools would write.
 */
public final class TensorEncoder {
    private TensorEncoder() {}

    /** Types the converter can write. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Encodes {@code rows × rowLength} floats from {@code src} (F32, native order) into
     * {@code dst}, which must be exactly {@code type.rowBytes(rowLength) · rows} bytes.
     */
    public static void encode(GgmlType type, MemorySegment src, long rows, long rowLength, MemorySegment dst) {
        long n = Math.multiplyExact(rows, rowLength);
        if (src.byteSize() != n * 4) throw new IllegalArgumentException("source holds " + src.byteSize() + " bytes, expected " + n * 4);
        long expected = Math.multiplyExact(type.rowBytes(rowLength), rows);
        if (dst.byteSize() != expected) throw new IllegalArgumentException("destination holds " + dst.byteSize() + " bytes, " + type + " needs " + expected);
        switch (type) {
            case F32 -> MemorySegment.copy(src, 0, dst, 0, n * 4);
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    dst.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, HalfPrecision.floatToF16(src.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)));
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) {
                    dst.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, HalfPrecision.floatToBf16(src.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)));
                }
            }
            default -> {
                if (!supports(type)) throw new IllegalArgumentException("cannot encode " + type);
                if (Ggml.quantizeRequiresImatrix(type.id())) throw new IllegalArgumentException(type + " needs an importance matrix");
                long written = Ggml.quantizeChunk(type.id(), src, dst, 0, rows, rowLength, MemorySegment.NULL);
                if (written != expected) throw new IllegalStateException("ggml_quantize_chunk wrote " + written + " bytes, expected " + expected);
            }
        }
    }
}
