package mmgp.gguf;

import java.util.Optional;

/** The metadata value types of GGUF ({@code enum gguf_type}), with their on-disk ids. */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    /** u64 byte length, then UTF-8 bytes. */
    STRING(8, 8),
    /** u32 element type, u64 count, then the elements. */
    ARRAY(9, 4 + 8),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int minEncodedBytes;

    GgufValueType(int id, int minEncodedBytes) {
        this.id = id;
        this.minEncodedBytes = minEncodedBytes;
    }

    public int id() {
        return id;
    }

    /**
     * The fewest bytes one value of this type can occupy on disk: its size for scalars, the length prefix
     * for strings and the element-type-and-count prefix for arrays. Counts read from a file are checked
     * against this before anything is allocated.
     */
    public int minEncodedBytes() {
        return minEncodedBytes;
    }

    /** Whether this is one of the eight integer types (signed or unsigned). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public static Optional<GgufValueType> fromId(long id) {
        // the ids are dense 0..12, in declaration order
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[(int) id]) : Optional.empty();
    }
}
