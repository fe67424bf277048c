package mmgp.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked little-endian reader over the bytes of a GGUF file. Every read first checks that the
 * bytes exist, so a truncated or lying file surfaces as a {@link GgufFormatException} that names the
 * field and its offset, never as an IndexOutOfBoundsException from the segment.
 */
final class GgufCursor {

    /** The longest Java array the VM reliably allocates; larger strings and arrays are refused up front. */
    static final int MAX_JAVA_ARRAY = Integer.MAX_VALUE - 8;

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment bytes;
    private final long size;
    private long position;

    GgufCursor(MemorySegment bytes) {
        this.bytes = bytes;
        this.size = bytes.byteSize();
    }

    long position() {
        return position;
    }

    long size() {
        return size;
    }

    long remaining() {
        return size - position;
    }

    /** Fails unless {@code count} more bytes exist; {@code count} is an unsigned quantity from the file. */
    void require(long count, String field) throws GgufFormatException {
        if (count < 0 || count > remaining()) {
            throw new GgufFormatException(field, position, "needs " + Long.toUnsignedString(count)
                    + " bytes but only " + remaining() + " remain before the end of the file (" + size
                    + " bytes); the file is truncated or a length is corrupt");
        }
    }

    int u8(String field) throws GgufFormatException {
        return i8(field) & 0xFF;
    }

    byte i8(String field) throws GgufFormatException {
        require(1, field);
        return bytes.get(ValueLayout.JAVA_BYTE, position++);
    }

    short i16(String field) throws GgufFormatException {
        require(2, field);
        short v = bytes.get(I16, position);
        position += 2;
        return v;
    }

    int i32(String field) throws GgufFormatException {
        require(4, field);
        int v = bytes.get(I32, position);
        position += 4;
        return v;
    }

    long u32(String field) throws GgufFormatException {
        return i32(field) & 0xFFFF_FFFFL;
    }

    /** A 64-bit field; unsigned ones come back as raw bits, so callers treat negatives as "above 2^63". */
    long i64(String field) throws GgufFormatException {
        require(8, field);
        long v = bytes.get(I64, position);
        position += 8;
        return v;
    }

    float f32(String field) throws GgufFormatException {
        require(4, field);
        float v = bytes.get(F32, position);
        position += 4;
        return v;
    }

    double f64(String field) throws GgufFormatException {
        require(8, field);
        double v = bytes.get(F64, position);
        position += 8;
        return v;
    }

    /** A gguf_string: u64 byte length, then that many UTF-8 bytes (malformed sequences become U+FFFD). */
    String string(String field) throws GgufFormatException {
        long lengthOffset = position;
        long length = i64(field + " length");
        if (length < 0 || length > remaining()) {
            throw new GgufFormatException(field + " length", lengthOffset, "string of "
                    + Long.toUnsignedString(length) + " bytes does not fit in the " + remaining()
                    + " bytes left in the file (" + size + " bytes)");
        }
        if (length > MAX_JAVA_ARRAY) {
            throw new GgufFormatException(field + " length", lengthOffset, "string of " + length
                    + " bytes is longer than the " + MAX_JAVA_ARRAY + " bytes a Java string can hold");
        }
        if (length == 0) {
            return "";
        }
        return new String(byteArray((int) length, field), StandardCharsets.UTF_8);
    }

    byte[] byteArray(int count, String field) throws GgufFormatException {
        require(count, field);
        byte[] out = new byte[count];
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, position, out, 0, count);
        position += count;
        return out;
    }

    short[] shortArray(int count, String field) throws GgufFormatException {
        require(2L * count, field);
        short[] out = new short[count];
        MemorySegment.copy(bytes, I16, position, out, 0, count);
        position += 2L * count;
        return out;
    }

    int[] intArray(int count, String field) throws GgufFormatException {
        require(4L * count, field);
        int[] out = new int[count];
        MemorySegment.copy(bytes, I32, position, out, 0, count);
        position += 4L * count;
        return out;
    }

    long[] longArray(int count, String field) throws GgufFormatException {
        require(8L * count, field);
        long[] out = new long[count];
        MemorySegment.copy(bytes, I64, position, out, 0, count);
        position += 8L * count;
        return out;
    }

    float[] floatArray(int count, String field) throws GgufFormatException {
        require(4L * count, field);
        float[] out = new float[count];
        MemorySegment.copy(bytes, F32, position, out, 0, count);
        position += 4L * count;
        return out;
    }

    double[] doubleArray(int count, String field) throws GgufFormatException {
        require(8L * count, field);
        double[] out = new double[count];
        MemorySegment.copy(bytes, F64, position, out, 0, count);
        position += 8L * count;
        return out;
    }
}
