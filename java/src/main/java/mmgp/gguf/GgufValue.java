package mmgp.gguf;

import java.util.Objects;

/**
 * One metadata value with its GGUF type. Integers of every width are held as a {@link Long} (UINT64 as its
 * raw 64 bits), FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as {@link Boolean}, STRING as
 * {@link String} and ARRAY as {@link GgufArray}; keeping the declared type lets a file be rewritten
 * with exactly the types it was read with.
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        Class<?> expected = switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GgufArray.class;
        };
        if (!expected.isInstance(value)) {
            throw new IllegalArgumentException(type + " value must be a " + expected.getSimpleName()
                    + ", got " + value.getClass().getSimpleName());
        }
        if (type.isInteger() && type != GgufValueType.UINT64 && type != GgufValueType.INT64) {
            long v = (Long) value;
            long min = minOf(type);
            long max = maxOf(type);
            if (v < min || v > max) {
                throw new IllegalArgumentException(type + " value " + v + " is outside [" + min + ", " + max + "]");
            }
        }
    }

    public static GgufValue uint8(int value) {
        return new GgufValue(GgufValueType.UINT8, (long) value);
    }

    public static GgufValue int8(int value) {
        return new GgufValue(GgufValueType.INT8, (long) value);
    }

    public static GgufValue uint16(int value) {
        return new GgufValue(GgufValueType.UINT16, (long) value);
    }

    public static GgufValue int16(int value) {
        return new GgufValue(GgufValueType.INT16, (long) value);
    }

    public static GgufValue uint32(long value) {
        return new GgufValue(GgufValueType.UINT32, value);
    }

    public static GgufValue int32(int value) {
        return new GgufValue(GgufValueType.INT32, (long) value);
    }

    /** {@code bits} is the unsigned value's two's-complement pattern, as {@link Long#parseUnsignedLong} gives. */
    public static GgufValue uint64(long bits) {
        return new GgufValue(GgufValueType.UINT64, bits);
    }

    public static GgufValue int64(long value) {
        return new GgufValue(GgufValueType.INT64, value);
    }

    public static GgufValue float32(float value) {
        return new GgufValue(GgufValueType.FLOAT32, value);
    }

    public static GgufValue float64(double value) {
        return new GgufValue(GgufValueType.FLOAT64, value);
    }

    public static GgufValue bool(boolean value) {
        return new GgufValue(GgufValueType.BOOL, value);
    }

    public static GgufValue string(String value) {
        return new GgufValue(GgufValueType.STRING, value);
    }

    public static GgufValue array(GgufArray value) {
        return new GgufValue(GgufValueType.ARRAY, value);
    }

    @Override
    public String toString() {
        return switch (type) {
            case UINT64 -> "UINT64 " + Long.toUnsignedString((Long) value);
            case STRING -> "STRING \"" + value + "\"";
            default -> type + " " + value;
        };
    }

    static long minOf(GgufValueType integerType) {
        return switch (integerType) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64 -> Long.MIN_VALUE;
            default -> 0;
        };
    }

    static long maxOf(GgufValueType integerType) {
        return switch (integerType) {
            case UINT8 -> 0xFFL;
            case INT8 -> Byte.MAX_VALUE;
            case UINT16 -> 0xFFFFL;
            case INT16 -> Short.MAX_VALUE;
            case UINT32 -> 0xFFFF_FFFFL;
            case INT32 -> Integer.MAX_VALUE;
            default -> Long.MAX_VALUE;
        };
    }
}
