package mmgp.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

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
        return bytes.get(ValueLayout.JAVA_BYTE, advance(1, field));
    }

    short i16(String field) throws GgufFormatException {
        return bytes.get(I16, advance(2, field));
    }

    int i32(String field) throws GgufFormatException {
        return bytes.get(I32, advance(4, field));
    }

    long u32(String field) throws GgufFormatException {
        return i32(field) & 0xFFFF_FFFFL;
    }

    /** A 64-bit field; unsigned ones come back as raw bits, so callers treat negatives as "above 2^63". */
    long i64(String field) throws GgufFormatException {
        return bytes.get(I64, advance(8, field));
    }

    float f32(String field) throws GgufFormatException {
        return bytes.get(F32, advance(4, field));
    }

    double f64(String field) throws GgufFormatException {
        return bytes.get(F64, advance(8, field));
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
        return array(byte[]::new, ValueLayout.JAVA_BYTE, count, field);
    }

    short[] shortArray(int count, String field) throws GgufFormatException {
        return array(short[]::new, I16, count, field);
    }

    int[] intArray(int count, String field) throws GgufFormatException {
        return array(int[]::new, I32, count, field);
    }

    long[] longArray(int count, String field) throws GgufFormatException {
        return array(long[]::new, I64, count, field);
    }

    float[] floatArray(int count, String field) throws GgufFormatException {
        return array(float[]::new, F32, count, field);
    }

    double[] doubleArray(int count, String field) throws GgufFormatException {
        return array(double[]::new, F64, count, field);
    }

    /** The position of the next {@code count} bytes, which the cursor then moves past; fails unless they exist. */
    private long advance(long count, String field) throws GgufFormatException {
        require(count, field);
        long at = position;
        position += count;
        return at;
    }

    /** {@code count} elements of {@code layout}; the bytes are checked before the array is allocated. */
    private <A> A array(IntFunction<A> allocate, ValueLayout layout, int count, String field) throws GgufFormatException {
        long from = advance(layout.byteSize() * count, field);
        A out = allocate.apply(count);
        MemorySegment.copy(bytes, layout, from, out, 0, count);
        return out;
    }
}
