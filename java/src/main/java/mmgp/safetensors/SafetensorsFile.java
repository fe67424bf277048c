package mmgp.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import mmgp.tensor.Dequantizer;
import mmgp.tensor.GgmlType;
import mmgp.tensor.MappedTensorFile;

/**
 * A safetensors file mapped into memory. The header is parsed and validated at open; tensor data is
 * handed out as zero-copy slices of the mapping, not necessarily aligned beyond one byte.
 */
public final class SafetensorsFile extends MappedTensorFile<SafetensorsTensorInfo> {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final SafetensorsHeaderParser.Header header;

    private SafetensorsFile(MemorySegment bytes, Arena arena, SafetensorsHeaderParser.Header header) {
        super(bytes, arena, header.tensors());
        this.header = header;
    }

    /** Maps {@code path} read-only and parses its header. */
    public static SafetensorsFile open(Path path) throws IOException {
        try {
            return map(path, "safetensors",
                    (mapped, arena) -> new SafetensorsFile(mapped, arena, SafetensorsHeaderParser.parse(mapped)));
        } catch (SafetensorsFormatException e) {
            throw new SafetensorsFormatException(path, e);
        }
    }

    /** Parses safetensors bytes already in memory; the caller keeps ownership and {@link #close} does nothing. */
    public static SafetensorsFile parse(MemorySegment bytes) throws SafetensorsFormatException {
        return new SafetensorsFile(bytes, null, SafetensorsHeaderParser.parse(bytes));
    }

    /** The {@code __metadata__} string map (empty when absent). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** The whole mapped file (what a ggml CPU buffer wraps to use the tensors in place). */
    public MemorySegment mapping() {
        return bytes();
    }

    /** File offset of the data section, right after the JSON header. */
    public long dataStart() {
        return header.dataStart();
    }

    public SafetensorsTensorInfo tensor(String name) throws SafetensorsFormatException {
        return findTensor(name).orElseThrow(() -> new SafetensorsFormatException(missingTensor(name)));
    }

    public MemorySegment data(String name) throws SafetensorsFormatException {
        return data(tensor(name));
    }

    public float[] readFloats(String name) throws SafetensorsFormatException {
        return readFloats(tensor(name));
    }

    /** The tensor as floats, converting F64, F32, F16 or BF16 (F64 is rounded). */
    public float[] readFloats(SafetensorsTensorInfo tensor) {
        GgmlType layout = switch (tensor.dtype()) {
            case F64, F32, F16, BF16 -> tensor.dtype().ggmlType().orElseThrow();
            default -> throw new IllegalArgumentException("tensor '" + tensor.name() + "' has dtype " + tensor.dtype()
                    + "; readFloats supports F64, F32, F16 and BF16");
        };
        return Dequantizer.dequantize(layout, data(tensor), tensor.elementCount());
    }

    public long[] readLongs(String name) throws SafetensorsFormatException {
        return readLongs(tensor(name));
    }

    /** The tensor as longs, widening I64/I32/I16/I8, U32/U16/U8 and BOOL (U64 must stay below 2^63). */
    public long[] readLongs(SafetensorsTensorInfo tensor) {
        long count = tensor.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' has " + count + " elements, too many for one long[]");
        }
        switch (tensor.dtype()) {
            case I64, I32, I16, I8, U64, U32, U16, U8, BOOL -> { }
            default -> throw new IllegalArgumentException("tensor '" + tensor.name() + "' has dtype " + tensor.dtype()
                    + "; readLongs supports I64, I32, I16, I8, U64, U32, U16, U8 and BOOL");
        }
        MemorySegment data = data(tensor);
        long[] out = new long[(int) count];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (tensor.dtype()) {
                case I64, U64 -> data.get(I64, 8L * i);
                case I32 -> data.get(I32, 4L * i);
                case U32 -> data.get(I32, 4L * i) & 0xFFFF_FFFFL;
                case I16 -> data.get(I16, 2L * i);
                case U16 -> data.get(I16, 2L * i) & 0xFFFF;
                case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
                case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                default -> throw new AssertionError(tensor.dtype());
            };
            if (tensor.dtype() == SafetensorsDType.U64 && out[i] < 0) {
                throw new IllegalArgumentException("tensor '" + tensor.name() + "' element " + i + " is "
                        + Long.toUnsignedString(out[i]) + ", which does not fit a signed long");
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "safetensors, " + tensors().size() + " tensors, data at " + dataStart();
    }
}
