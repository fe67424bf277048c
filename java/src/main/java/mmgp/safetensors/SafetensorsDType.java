package mmgp.safetensors;

import java.util.Optional;
import mmgp.tensor.GgmlType;

/**
 * The element types a safetensors header may name, with their sizes. Sub-byte types (F4, F6_*) are not
 * listed, so files using them are rejected with a message naming the dtype.
 */
public enum SafetensorsDType {
    F64(8, GgmlType.F64),
    F32(4, GgmlType.F32),
    F16(2, GgmlType.F16),
    BF16(2, GgmlType.BF16),
    I64(8, GgmlType.I64),
    I32(4, GgmlType.I32),
    I16(2, GgmlType.I16),
    I8(1, GgmlType.I8),
    U64(8, null),
    U32(4, null),
    U16(2, null),
    U8(1, null),
    BOOL(1, null),
    F8_E4M3(1, null),
    F8_E5M2(1, null),
    F8_E8M0(1, null),
    C64(8, null);

    private final int byteSize;
    private final GgmlType ggmlType;

    SafetensorsDType(int byteSize, GgmlType ggmlType) {
        this.byteSize = byteSize;
        this.ggmlType = ggmlType;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The ggml type with the same bit layout, when ggml has one, so the bytes can be used unconverted. */
    public Optional<GgmlType> ggmlType() {
        return Optional.ofNullable(ggmlType);
    }

    /** The dtype spelled as in the header ("F32", "BF16", ...), if it is one this reader knows. */
    public static Optional<SafetensorsDType> fromName(String name) {
        for (SafetensorsDType type : values()) {
            if (type.name().equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
