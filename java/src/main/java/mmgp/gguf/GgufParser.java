package mmgp.gguf;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mmgp.tensor.GgmlType;

/**
 * Reads and validates the header of a GGUF v2/v3 file: magic, version, counts, metadata, tensor infos
 * and the placement of tensor data. It trusts nothing in the file: every count is checked against the
 * bytes that remain before anything is allocated for it, every size is computed with overflow checks,
 * and every tensor's data must lie inside the file without overlapping another's.
 */
final class GgufParser {

    static final String ALIGNMENT_KEY = "general.alignment";
    static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_NAME is 64 including the terminating NUL. */
    static final int MAX_TENSOR_NAME_BYTES = 63;
    /** The spec allows arrays of arrays; a bound keeps a hostile file from exhausting the stack. */
    static final int MAX_ARRAY_NESTING = 16;

    private static final int MAGIC = 0x4655_4747; // "GGUF" read as a little-endian u32
    /** Smallest tensor info: name length, one name byte, n_dims, type, offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 4 + 8;
    /** Smallest metadata pair: key length, one key byte, value type, one-byte value. */
    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1;

    record Header(int version, GgufMetadata metadata, int alignment, List<TensorInfo> tensors, long dataStart) {
    }

    private final GgufCursor in;

    private GgufParser(MemorySegment bytes) {
        this.in = new GgufCursor(bytes);
    }

    static Header parse(MemorySegment bytes) throws GgufFormatException {
        return new GgufParser(bytes).parseHeader();
    }

    private Header parseHeader() throws GgufFormatException {
        readMagic();
        int version = readVersion();
        long tensorCount = readCount("tensor_count", MIN_TENSOR_INFO_BYTES, "tensor info");
        long kvCount = readCount("metadata_kv_count", MIN_KV_BYTES, "metadata pair");
        long needed = tensorCount * MIN_TENSOR_INFO_BYTES + kvCount * MIN_KV_BYTES; // each term <= remaining
        if (Long.compareUnsigned(needed, in.remaining()) > 0) {
            throw new GgufFormatException("tensor_count and metadata_kv_count", 8, tensorCount + " tensors and "
                    + kvCount + " metadata pairs together need at least " + Long.toUnsignedString(needed)
                    + " bytes, but only " + in.remaining() + " bytes follow the header");
        }

        Map<String, Long> valueOffsets = new HashMap<>();
        GgufMetadata metadata = readMetadata(kvCount, valueOffsets);
        int alignment = readAlignment(metadata, valueOffsets.getOrDefault(ALIGNMENT_KEY, -1L));
        List<Placed> placed = readTensorInfos(tensorCount, alignment);

        long headerEnd = in.position();
        long dataStart = tensorCount > 0 ? alignUp(headerEnd, alignment) : headerEnd;
        if (dataStart > in.size()) {
            throw new GgufFormatException("data section", headerEnd, "starts at " + dataStart + " (header end "
                    + headerEnd + " aligned to " + alignment + "), past the end of the file (" + in.size()
                    + " bytes); the file is truncated");
        }
        List<TensorInfo> tensors = placeTensorData(placed, dataStart);
        return new Header(version, metadata, alignment, tensors, dataStart);
    }

    private void readMagic() throws GgufFormatException {
        if (in.remaining() < 4) {
            throw new GgufFormatException("magic", 0, "expected \"GGUF\", but the file has only "
                    + in.remaining() + " bytes");
        }
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw new GgufFormatException("magic", 0, "expected \"GGUF\" (47 47 55 46), got " + describeMagic(magic));
        }
    }

    private static String describeMagic(int magic) {
        StringBuilder text = new StringBuilder("\"");
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            int b = (magic >>> (8 * i)) & 0xFF;
            text.append(b >= 0x20 && b < 0x7F ? (char) b : '?');
            hex.append(i == 0 ? "" : " ").append(String.format("%02x", b));
        }
        return text.append("\" (").append(hex).append(')').toString();
    }

    private int readVersion() throws GgufFormatException {
        long offset = in.position();
        long version = in.u32("version");
        if (version == 2 || version == 3) {
            return (int) version;
        }
        String problem;
        if (version == 1) {
            problem = "GGUF v1 (32-bit counts) is not supported; expected version 2 or 3";
        } else if (version != 0 && (version & 0xFFFF) == 0) {
            problem = "version " + version + " (0x" + Long.toHexString(version)
                    + ") looks like a big-endian GGUF; only little-endian files are supported (expected 2 or 3)";
        } else {
            problem = "unsupported version " + version + ", expected 2 or 3";
        }
        throw new GgufFormatException("version", offset, problem);
    }

    private long readCount(String field, int minBytesEach, String what) throws GgufFormatException {
        long offset = in.position();
        long count = in.i64(field);
        long available = in.remaining();
        if (count < 0 || count > available / minBytesEach) {
            throw new GgufFormatException(field, offset, Long.toUnsignedString(count) + " entries cannot fit: each "
                    + what + " takes at least " + minBytesEach + " bytes and the file has only " + available
                    + " bytes after this field");
        }
        return count;
    }

    private GgufMetadata readMetadata(long kvCount, Map<String, Long> valueOffsets) throws GgufFormatException {
        LinkedHashMap<String, GgufValue> values = new LinkedHashMap<>();
        Map<String, Long> keyOrdinals = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyOffset = in.position();
            String where = "metadata pair #" + i + " key";
            String key = in.string(where);
            if (key.isEmpty()) {
                throw new GgufFormatException(where, keyOffset, "key is empty");
            }
            Long earlier = keyOrdinals.putIfAbsent(key, i);
            if (earlier != null) {
                throw new GgufFormatException(where, keyOffset, "duplicate key '" + key
                        + "', already defined by pair #" + earlier + "; keys must be unique");
            }
            String field = "metadata '" + key + "'";
            long typeOffset = in.position();
            GgufValueType type = readValueType(field + " value type");
            valueOffsets.put(key, typeOffset);
            values.put(key, readValue(type, field, 0));
        }
        return new GgufMetadata(values);
    }

    private GgufValueType readValueType(String field) throws GgufFormatException {
        long offset = in.position();
        long id = in.u32(field);
        return GgufValueType.fromId(id).orElseThrow(() -> new GgufFormatException(field, offset,
                "unknown value type " + id + ", expected 0..12 (UINT8, INT8, UINT16, INT16, UINT32, INT32, "
                        + "FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64)"));
    }

    private GgufValue readValue(GgufValueType type, String field, int depth) throws GgufFormatException {
        return switch (type) {
            case UINT8 -> GgufValue.uint8(in.u8(field));
            case INT8 -> GgufValue.int8(in.i8(field));
            case UINT16 -> GgufValue.uint16(in.i16(field) & 0xFFFF);
            case INT16 -> GgufValue.int16(in.i16(field));
            case UINT32 -> GgufValue.uint32(in.u32(field));
            case INT32 -> GgufValue.int32(in.i32(field));
            case FLOAT32 -> GgufValue.float32(in.f32(field));
            case BOOL -> GgufValue.bool(in.i8(field) != 0); // ggml reads any non-zero byte as true
            case STRING -> GgufValue.string(in.string(field));
            case ARRAY -> GgufValue.array(readArray(field, depth + 1));
            case UINT64 -> GgufValue.uint64(in.i64(field));
            case INT64 -> GgufValue.int64(in.i64(field));
            case FLOAT64 -> GgufValue.float64(in.f64(field));
        };
    }

    private GgufArray readArray(String field, int depth) throws GgufFormatException {
        if (depth > MAX_ARRAY_NESTING) {
            throw new GgufFormatException(field, in.position(), "arrays are nested more than "
                    + MAX_ARRAY_NESTING + " levels deep");
        }
        GgufValueType elementType = readValueType(field + " array element type");
        long countOffset = in.position();
        long count = in.i64(field + " array length");
        int minBytes = elementType.minEncodedBytes();
        if (count < 0 || count > in.remaining() / minBytes) {
            throw new GgufFormatException(field + " array length", countOffset, Long.toUnsignedString(count)
                    + " elements of " + elementType + " cannot fit: each takes at least " + minBytes
                    + " bytes and only " + in.remaining() + " bytes remain in the file");
        }
        if (count > GgufCursor.MAX_JAVA_ARRAY) {
            throw new GgufFormatException(field + " array length", countOffset, count
                    + " elements exceed the " + GgufCursor.MAX_JAVA_ARRAY + " a Java array can hold");
        }
        int n = (int) count;
        Object elements = switch (elementType) {
            case UINT8, INT8 -> in.byteArray(n, field);
            case BOOL -> {
                byte[] raw = in.byteArray(n, field);
                boolean[] flags = new boolean[n];
                for (int i = 0; i < n; i++) {
                    flags[i] = raw[i] != 0;
                }
                yield flags;
            }
            case UINT16, INT16 -> in.shortArray(n, field);
            case UINT32, INT32 -> in.intArray(n, field);
            case UINT64, INT64 -> in.longArray(n, field);
            case FLOAT32 -> in.floatArray(n, field);
            case FLOAT64 -> in.doubleArray(n, field);
            case STRING -> {
                List<String> strings = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    strings.add(in.string(field + "[" + i + "]"));
                }
                yield java.util.Collections.unmodifiableList(strings);
            }
            case ARRAY -> {
                List<GgufArray> arrays = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    arrays.add(readArray(field + "[" + i + "]", depth + 1));
                }
                yield java.util.Collections.unmodifiableList(arrays);
            }
        };
        return GgufArray.wrap(elementType, elements, n);
    }

    private static int readAlignment(GgufMetadata metadata, long offset) throws GgufFormatException {
        GgufValue value = metadata.asMap().get(ALIGNMENT_KEY);
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        String field = "metadata '" + ALIGNMENT_KEY + "'";
        if (value.type() != GgufValueType.UINT32) {
            throw new GgufFormatException(field, offset, "has type " + value.type() + ", expected UINT32");
        }
        long alignment = (Long) value.value();
        if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > (1 << 30)) {
            throw new GgufFormatException(field, offset, "alignment " + alignment
                    + " must be a non-zero power of two (at most 2^30)");
        }
        return (int) alignment;
    }

    /** A tensor info before its data section is known, with where its offset field sits for messages. */
    private record Placed(String name, GgmlType type, long[] shape, long byteSize, long dataOffset, long offsetField) {
    }

    private List<Placed> readTensorInfos(long tensorCount, int alignment) throws GgufFormatException {
        List<Placed> placed = new ArrayList<>();
        Map<String, Long> ordinals = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            long nameOffset = in.position();
            String where = "tensor #" + i + " name";
            String name = in.string(where);
            long nameBytes = in.position() - nameOffset - 8;
            if (name.isEmpty()) {
                throw new GgufFormatException(where, nameOffset, "name is empty");
            }
            if (nameBytes > MAX_TENSOR_NAME_BYTES) {
                throw new GgufFormatException(where, nameOffset, "name '" + name + "' is " + nameBytes
                        + " bytes, longer than ggml's limit of " + MAX_TENSOR_NAME_BYTES);
            }
            Long earlier = ordinals.putIfAbsent(name, i);
            if (earlier != null) {
                throw new GgufFormatException(where, nameOffset, "duplicate tensor name '" + name
                        + "', already used by tensor #" + earlier);
            }
            placed.add(readTensorInfo("tensor #" + i + " '" + name + "'", name, alignment));
        }
        return placed;
    }

    private Placed readTensorInfo(String field, String name, int alignment) throws GgufFormatException {
        long dimsOffset = in.position();
        long nDims = in.u32(field + " n_dims");
        if (nDims > TensorInfo.MAX_DIMS) {
            throw new GgufFormatException(field + " n_dims", dimsOffset, "expected at most "
                    + TensorInfo.MAX_DIMS + " dimensions, got " + nDims);
        }
        long[] shape = new long[(int) nDims];
        long elements = 1;
        for (int j = 0; j < shape.length; j++) {
            long neOffset = in.position();
            shape[j] = in.i64(field + " ne[" + j + "]");
            if (shape[j] < 0) {
                throw new GgufFormatException(field + " ne[" + j + "]", neOffset, "dimension must be non-negative, got "
                        + shape[j] + " (" + Long.toUnsignedString(shape[j]) + " unsigned)");
            }
        }
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
        } catch (ArithmeticException e) {
            throw new GgufFormatException(field + " shape", dimsOffset, "element count of shape "
                    + Arrays.toString(shape) + " overflows a signed 64-bit integer");
        }

        long typeOffset = in.position();
        int typeId = in.i32(field + " type");
        GgmlType type;
        try {
            type = GgmlType.byId(typeId);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(field + " type", typeOffset, e.getMessage());
        }
        long ne0 = shape.length > 0 ? shape[0] : 1;
        if (ne0 % type.blockSize() != 0) {
            throw new GgufFormatException(field + " ne[0]", dimsOffset + 4, "row of " + ne0 + " elements is not a multiple of "
                    + type + "'s block size " + type.blockSize());
        }
        long byteSize;
        try {
            byteSize = elements == 0 ? 0 : Math.multiplyExact(type.rowBytes(ne0), elements / ne0);
        } catch (ArithmeticException e) {
            throw new GgufFormatException(field + " shape", dimsOffset, "byte size of " + type + " tensor with shape "
                    + Arrays.toString(shape) + " overflows a signed 64-bit integer");
        }

        long offsetField = in.position();
        long offset = in.i64(field + " offset");
        if (offset < 0) {
            throw new GgufFormatException(field + " offset", offsetField, "offset " + Long.toUnsignedString(offset)
                    + " is beyond any file");
        }
        if (offset % alignment != 0) {
            throw new GgufFormatException(field + " offset", offsetField, "offset " + offset
                    + " is not a multiple of the alignment " + alignment);
        }
        return new Placed(name, type, shape, byteSize, offset, offsetField);
    }

    private List<TensorInfo> placeTensorData(List<Placed> placed, long dataStart) throws GgufFormatException {
        long dataSize = in.size() - dataStart;
        for (Placed p : placed) {
            if (p.dataOffset > dataSize || p.byteSize > dataSize - p.dataOffset) {
                throw new GgufFormatException("tensor '" + p.name + "' offset", p.offsetField, p.byteSize
                        + " bytes at data offset " + p.dataOffset + " (file bytes " + (dataStart + p.dataOffset)
                        + "..) run past the end of the file (" + in.size() + " bytes, data section " + dataSize + " bytes)");
            }
        }
        List<Placed> byOffset = new ArrayList<>(placed);
        byOffset.sort(Comparator.comparingLong(Placed::dataOffset));
        Placed previous = null;
        for (Placed p : byOffset) {
            if (p.byteSize == 0) {
                continue; // an empty tensor occupies no bytes and cannot overlap anything
            }
            if (previous != null && previous.dataOffset + previous.byteSize > p.dataOffset) {
                throw new GgufFormatException("tensor '" + p.name + "' offset", p.offsetField, "data ["
                        + p.dataOffset + ", " + (p.dataOffset + p.byteSize) + ") overlaps tensor '" + previous.name
                        + "' at [" + previous.dataOffset + ", " + (previous.dataOffset + previous.byteSize) + ")");
            }
            previous = p;
        }
        List<TensorInfo> tensors = new ArrayList<>(placed.size());
        for (Placed p : placed) {
            tensors.add(new TensorInfo(p.name, p.type, p.shape, p.byteSize, p.dataOffset, dataStart + p.dataOffset));
        }
        return List.copyOf(tensors);
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
