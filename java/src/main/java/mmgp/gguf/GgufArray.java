package mmgp.gguf;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A GGUF metadata array: one element type and its elements. Numbers are kept in a primitive array of
 * their width (UINT8/INT8 in byte[], UINT16/INT16 in short[], UINT32/INT32 in int[], UINT64/INT64 in
 * long[], unsigned ones as raw bits), so a 150k-entry score table costs what it costs on disk.
 * Arrays of arrays are allowed, as the GGUF spec allows them. Instances are immutable.
 */
public final class GgufArray {

    private final GgufValueType elementType;
    /** A primitive array, or an unmodifiable List of String or GgufArray. */
    private final Object elements;
    private final int size;

    private GgufArray(GgufValueType elementType, Object elements, int size) {
        this.elementType = elementType;
        this.elements = elements;
        this.size = size;
    }

    public static GgufArray ofUInt8(byte... values) {
        return new GgufArray(GgufValueType.UINT8, values.clone(), values.length);
    }

    public static GgufArray ofInt8(byte... values) {
        return new GgufArray(GgufValueType.INT8, values.clone(), values.length);
    }

    public static GgufArray ofUInt16(short... values) {
        return new GgufArray(GgufValueType.UINT16, values.clone(), values.length);
    }

    public static GgufArray ofInt16(short... values) {
        return new GgufArray(GgufValueType.INT16, values.clone(), values.length);
    }

    public static GgufArray ofUInt32(int... values) {
        return new GgufArray(GgufValueType.UINT32, values.clone(), values.length);
    }

    public static GgufArray ofInt32(int... values) {
        return new GgufArray(GgufValueType.INT32, values.clone(), values.length);
    }

    public static GgufArray ofUInt64(long... values) {
        return new GgufArray(GgufValueType.UINT64, values.clone(), values.length);
    }

    public static GgufArray ofInt64(long... values) {
        return new GgufArray(GgufValueType.INT64, values.clone(), values.length);
    }

    public static GgufArray ofFloat32(float... values) {
        return new GgufArray(GgufValueType.FLOAT32, values.clone(), values.length);
    }

    public static GgufArray ofFloat64(double... values) {
        return new GgufArray(GgufValueType.FLOAT64, values.clone(), values.length);
    }

    public static GgufArray ofBool(boolean... values) {
        return new GgufArray(GgufValueType.BOOL, values.clone(), values.length);
    }

    public static GgufArray ofStrings(List<String> values) {
        List<String> copy = List.copyOf(values);
        return new GgufArray(GgufValueType.STRING, copy, copy.size());
    }

    public static GgufArray ofStrings(String... values) {
        return ofStrings(Arrays.asList(values));
    }

    public static GgufArray ofArrays(List<GgufArray> values) {
        List<GgufArray> copy = List.copyOf(values);
        return new GgufArray(GgufValueType.ARRAY, copy, copy.size());
    }

    /** For the parser, which hands over a freshly decoded array that nobody else references. */
    static GgufArray wrap(GgufValueType elementType, Object elements, int size) {
        return new GgufArray(elementType, elements, size);
    }

    public GgufValueType elementType() {
        return elementType;
    }

    public int size() {
        return size;
    }

    /** The elements in their storage form (see class comment); package-private so the writer can stream them. */
    Object elements() {
        return elements;
    }

    /** Integer elements widened to long; unsigned types are zero-extended, UINT64 is returned as raw bits. */
    public long[] toLongArray() {
        long[] out = new long[size];
        switch (elementType) {
            case UINT8 -> { byte[] a = (byte[]) elements; for (int i = 0; i < size; i++) out[i] = a[i] & 0xFFL; }
            case INT8 -> { byte[] a = (byte[]) elements; for (int i = 0; i < size; i++) out[i] = a[i]; }
            case UINT16 -> { short[] a = (short[]) elements; for (int i = 0; i < size; i++) out[i] = a[i] & 0xFFFFL; }
            case INT16 -> { short[] a = (short[]) elements; for (int i = 0; i < size; i++) out[i] = a[i]; }
            case UINT32 -> { int[] a = (int[]) elements; for (int i = 0; i < size; i++) out[i] = a[i] & 0xFFFF_FFFFL; }
            case INT32 -> { int[] a = (int[]) elements; for (int i = 0; i < size; i++) out[i] = a[i]; }
            case UINT64, INT64 -> System.arraycopy((long[]) elements, 0, out, 0, size);
            default -> throw new IllegalStateException("array of " + elementType + " is not an integer array");
        }
        return out;
    }

    /** Integer elements as int; fails naming the first element that does not fit. */
    public int[] toIntArray() {
        long[] wide = toLongArray();
        boolean unsigned64 = elementType == GgufValueType.UINT64;
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            long v = wide[i];
            if ((unsigned64 && v < 0) || v != (int) v) {
                String shown = unsigned64 ? Long.toUnsignedString(v) : Long.toString(v);
                throw new IllegalStateException("array of " + elementType + " holds " + shown + " at index " + i
                        + ", which does not fit an int");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** FLOAT32 elements, or FLOAT64 ones rounded to float. */
    public float[] toFloatArray() {
        return switch (elementType) {
            case FLOAT32 -> ((float[]) elements).clone();
            case FLOAT64 -> {
                double[] a = (double[]) elements;
                float[] out = new float[size];
                for (int i = 0; i < size; i++) out[i] = (float) a[i];
                yield out;
            }
            default -> throw new IllegalStateException("array of " + elementType + " is not a float array");
        };
    }

    /** FLOAT64 or FLOAT32 elements as double. */
    public double[] toDoubleArray() {
        return switch (elementType) {
            case FLOAT64 -> ((double[]) elements).clone();
            case FLOAT32 -> {
                float[] a = (float[]) elements;
                double[] out = new double[size];
                for (int i = 0; i < size; i++) out[i] = a[i];
                yield out;
            }
            default -> throw new IllegalStateException("array of " + elementType + " is not a float array");
        };
    }

    public boolean[] toBooleanArray() {
        requireType(GgufValueType.BOOL);
        return ((boolean[]) elements).clone();
    }

    /** The elements of a STRING array, unmodifiable and not copied. */
    @SuppressWarnings("unchecked")
    public List<String> strings() {
        requireType(GgufValueType.STRING);
        return (List<String>) elements;
    }

    /** The elements of an ARRAY array, unmodifiable and not copied. */
    @SuppressWarnings("unchecked")
    public List<GgufArray> arrays() {
        requireType(GgufValueType.ARRAY);
        return (List<GgufArray>) elements;
    }

    private void requireType(GgufValueType expected) {
        if (elementType != expected) {
            throw new IllegalStateException("array of " + elementType + " is not an array of " + expected);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray other
                && elementType == other.elementType
                && Objects.deepEquals(elements, other.elements);
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {elements});
    }

    @Override
    public String toString() {
        String shown = switch (elements) {
            case List<?> list -> list.size() > 8 ? list.subList(0, 8) + "..." : list.toString();
            default -> {
                String all = Arrays.deepToString(new Object[] {elements});
                yield all.length() > 120 ? all.substring(1, 117) + "...]" : all.substring(1, all.length() - 1);
            }
        };
        return "ARRAY<" + elementType + ">[" + size + "] " + shown;
    }
}
