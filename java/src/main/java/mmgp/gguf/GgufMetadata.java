package mmgp.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed getters. A getter fails with a
 * {@link GgufFormatException} naming the key when it is missing or holds a type that cannot be read as
 * the requested one without loss (for example a UINT32 above {@code Integer.MAX_VALUE} read as int).
 * Integer getters accept any integer width; float getters accept FLOAT32 and FLOAT64.
 */
public final class GgufMetadata {

    private final Map<String, GgufValue> values;

    GgufMetadata(LinkedHashMap<String, GgufValue> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** All pairs in file order. */
    public Map<String, GgufValue> asMap() {
        return values;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public int size() {
        return values.size();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public GgufValue get(String key) throws GgufFormatException {
        GgufValue value = values.get(key);
        if (value == null) {
            throw new GgufFormatException("metadata key '" + key + "' is missing (the file has " + values.size() + " keys)");
        }
        return value;
    }

    public GgufValueType type(String key) throws GgufFormatException {
        return get(key).type();
    }

    public String getString(String key) throws GgufFormatException {
        return (String) expect(key, GgufValueType.STRING).value();
    }

    public String getString(String key, String fallback) throws GgufFormatException {
        return contains(key) ? getString(key) : fallback;
    }

    public boolean getBoolean(String key) throws GgufFormatException {
        return (Boolean) expect(key, GgufValueType.BOOL).value();
    }

    public boolean getBoolean(String key, boolean fallback) throws GgufFormatException {
        return contains(key) ? getBoolean(key) : fallback;
    }

    /** Any integer type whose value fits a signed 64-bit long (a UINT64 above 2^63-1 does not). */
    public long getLong(String key) throws GgufFormatException {
        GgufValue value = get(key);
        if (!value.type().isInteger()) {
            throw wrongType(key, value, "an integer type");
        }
        long v = (Long) value.value();
        if (value.type() == GgufValueType.UINT64 && v < 0) {
            throw new GgufFormatException("metadata key '" + key + "' holds UINT64 " + Long.toUnsignedString(v)
                    + ", which does not fit a signed long");
        }
        return v;
    }

    public long getLong(String key, long fallback) throws GgufFormatException {
        return contains(key) ? getLong(key) : fallback;
    }

    /** Any integer type whose value fits an int. */
    public int getInt(String key) throws GgufFormatException {
        long v = getLong(key);
        if (v != (int) v) {
            throw new GgufFormatException("metadata key '" + key + "' holds " + get(key).type() + " " + v
                    + ", which does not fit an int");
        }
        return (int) v;
    }

    public int getInt(String key, int fallback) throws GgufFormatException {
        return contains(key) ? getInt(key) : fallback;
    }

    public double getDouble(String key) throws GgufFormatException {
        GgufValue value = get(key);
        return switch (value.type()) {
            case FLOAT32 -> (Float) value.value();
            case FLOAT64 -> (Double) value.value();
            default -> throw wrongType(key, value, "FLOAT32 or FLOAT64");
        };
    }

    public double getDouble(String key, double fallback) throws GgufFormatException {
        return contains(key) ? getDouble(key) : fallback;
    }

    public float getFloat(String key) throws GgufFormatException {
        return (float) getDouble(key);
    }

    public float getFloat(String key, float fallback) throws GgufFormatException {
        return contains(key) ? getFloat(key) : fallback;
    }

    public GgufArray getArray(String key) throws GgufFormatException {
        return (GgufArray) expect(key, GgufValueType.ARRAY).value();
    }

    public List<String> getStringArray(String key) throws GgufFormatException {
        return convert(key, getArray(key), GgufArray::strings);
    }

    public int[] getIntArray(String key) throws GgufFormatException {
        return convert(key, getArray(key), GgufArray::toIntArray);
    }

    public long[] getLongArray(String key) throws GgufFormatException {
        return convert(key, getArray(key), GgufArray::toLongArray);
    }

    public float[] getFloatArray(String key) throws GgufFormatException {
        return convert(key, getArray(key), GgufArray::toFloatArray);
    }

    public boolean[] getBooleanArray(String key) throws GgufFormatException {
        return convert(key, getArray(key), GgufArray::toBooleanArray);
    }

    private GgufValue expect(String key, GgufValueType type) throws GgufFormatException {
        GgufValue value = get(key);
        if (value.type() != type) {
            throw wrongType(key, value, type.name());
        }
        return value;
    }

    private static <T> T convert(String key, GgufArray array, java.util.function.Function<GgufArray, T> conversion)
            throws GgufFormatException {
        try {
            return conversion.apply(array);
        } catch (IllegalStateException e) {
            throw new GgufFormatException("metadata key '" + key + "': " + e.getMessage());
        }
    }

    private static GgufFormatException wrongType(String key, GgufValue value, String expected) {
        String actual = value.type() == GgufValueType.ARRAY
                ? "ARRAY of " + ((GgufArray) value.value()).elementType()
                : value.type().name();
        return new GgufFormatException("metadata key '" + key + "' has type " + actual + ", expected " + expected);
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
