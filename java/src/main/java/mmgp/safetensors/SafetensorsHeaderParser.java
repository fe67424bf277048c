package mmgp.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and validates a safetensors header: the 8-byte little-endian header length, the JSON header, the
 * {@code __metadata__} map and each tensor entry. Sizes are computed with overflow checks, and every
 * tensor must occupy exactly {@code product(shape) * dtype size} bytes inside the data section without
 * overlapping another.
 */
final class SafetensorsHeaderParser {

    /** The reference implementation's limit; a header is a few KB to a few MB in practice. */
    static final long MAX_HEADER_BYTES = 100L * 1000 * 1000;
    static final String METADATA_KEY = "__metadata__";

    record Header(Map<String, String> metadata, List<SafetensorsTensorInfo> tensors, long dataStart) {
    }

    private SafetensorsHeaderParser() {
    }

    static Header parse(MemorySegment bytes) throws SafetensorsFormatException {
        long fileSize = bytes.byteSize();
        if (fileSize < 8) {
            throw new SafetensorsFormatException("file has " + fileSize
                    + " bytes, too short for the 8-byte header length that starts a safetensors file");
        }
        long headerLength = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 0 || headerLength > fileSize - 8) {
            throw new SafetensorsFormatException("header length " + Long.toUnsignedString(headerLength)
                    + " (bytes 0..7) exceeds the " + (fileSize - 8) + " bytes that follow it; the file is truncated or not safetensors");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException("header length " + headerLength + " (bytes 0..7) exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        if (headerLength < 2 || bytes.get(ValueLayout.JAVA_BYTE, 8) != '{') {
            throw new SafetensorsFormatException("header at byte offset 8 must be a JSON object starting with '{'"
                    + (headerLength == 0 ? ", but its length is 0" : ""));
        }
        byte[] json = bytes.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root = StrictJson.parse(json, "header JSON", 8);
        if (!root.isObject()) {
            throw new SafetensorsFormatException("header JSON must be an object, got " + StrictJson.kind(root));
        }
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;

        Map<String, String> metadata = Map.of();
        List<SafetensorsTensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            if (entry.getKey().equals(METADATA_KEY)) {
                metadata = readMetadata(entry.getValue());
            } else {
                tensors.add(readTensor(entry.getKey(), entry.getValue(), dataStart, dataSize));
            }
        }
        checkNoOverlap(tensors);
        return new Header(metadata, List.copyOf(tensors), dataStart);
    }

    private static Map<String, String> readMetadata(JsonNode node) throws SafetensorsFormatException {
        if (node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new SafetensorsFormatException(METADATA_KEY + " must be an object of strings, got " + StrictJson.kind(node));
        }
        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isTextual()) {
                throw new SafetensorsFormatException(METADATA_KEY + " value for '" + entry.getKey()
                        + "' must be a string, got " + StrictJson.kind(entry.getValue()));
            }
            metadata.put(entry.getKey(), entry.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static SafetensorsTensorInfo readTensor(String name, JsonNode entry, long dataStart, long dataSize)
            throws SafetensorsFormatException {
        String where = "tensor '" + name + "'";
        if (!entry.isObject()) {
            throw new SafetensorsFormatException(where + " must be an object with dtype, shape and data_offsets, got "
                    + StrictJson.kind(entry));
        }
        JsonNode dtypeNode = entry.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsFormatException(where + " dtype must be a string, got " + StrictJson.kind(dtypeNode));
        }
        SafetensorsDType dtype = SafetensorsDType.fromName(dtypeNode.textValue()).orElseThrow(() ->
                new SafetensorsFormatException(where + " has unsupported dtype \"" + dtypeNode.textValue()
                        + "\", expected one of " + Arrays.toString(SafetensorsDType.values())));

        long[] shape = readIntegers(entry.get("shape"), where + " shape", -1);
        long elements = 1;
        long byteSize;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            byteSize = Math.multiplyExact(elements, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(where + " shape " + Arrays.toString(shape) + " of " + dtype
                    + " overflows a signed 64-bit byte count");
        }

        long[] offsets = readIntegers(entry.get("data_offsets"), where + " data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafetensorsFormatException(where + " data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end - begin != byteSize) {
            throw new SafetensorsFormatException(where + " data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes, but " + dtype + " " + Arrays.toString(shape) + " needs " + byteSize);
        }
        if (end > dataSize) {
            throw new SafetensorsFormatException(where + " data_offsets [" + begin + ", " + end
                    + "] run past the end of the data section (" + dataSize + " bytes, starting at byte " + dataStart + ")");
        }
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end, dataStart + begin);
    }

    /** A JSON array of non-negative integers that fit a long; {@code expectedLength} -1 means any length. */
    private static long[] readIntegers(JsonNode node, String field, int expectedLength) throws SafetensorsFormatException {
        if (node == null || !node.isArray()) {
            throw new SafetensorsFormatException(field + " must be an array of integers, got " + StrictJson.kind(node));
        }
        if (expectedLength >= 0 && node.size() != expectedLength) {
            throw new SafetensorsFormatException(field + " must have " + expectedLength + " elements, got " + node.size());
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode element = node.get(i);
            if (!element.isIntegralNumber() || !element.canConvertToLong() || element.longValue() < 0) {
                throw new SafetensorsFormatException(field + "[" + i + "] must be a non-negative integer below 2^63, got "
                        + element);
            }
            values[i] = element.longValue();
        }
        return values;
    }

    private static void checkNoOverlap(List<SafetensorsTensorInfo> tensors) throws SafetensorsFormatException {
        List<SafetensorsTensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(SafetensorsTensorInfo::dataBegin));
        SafetensorsTensorInfo previous = null;
        for (SafetensorsTensorInfo t : byOffset) {
            if (t.byteSize() == 0) {
                continue; // an empty tensor occupies no bytes
            }
            if (previous != null && previous.dataEnd() > t.dataBegin()) {
                throw new SafetensorsFormatException("tensor '" + t.name() + "' data_offsets [" + t.dataBegin() + ", "
                        + t.dataEnd() + ") overlap tensor '" + previous.name() + "' at [" + previous.dataBegin() + ", "
                        + previous.dataEnd() + ")");
            }
            previous = t;
        }
    }
}
