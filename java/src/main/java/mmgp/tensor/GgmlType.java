package mmgp.tensor;

import java.util.Optional;

/**
 * The tensor element types of ggml, with the numeric ids that GGUF files store and the block layout
 * ggml uses for them. Ids and sizes follow {@code ggml.h} / {@code ggml-common.h} of the pinned
 * ggml 0.25.1; ids 4, 5 and 31..33, 36..38 belong to layouts ggml has removed and are rejected.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 2 + 16),
    Q4_1(3, 32, 2 + 2 + 16),
    Q5_0(6, 32, 2 + 4 + 16),
    Q5_1(7, 32, 2 + 2 + 4 + 16),
    Q8_0(8, 32, 2 + 32),
    Q8_1(9, 32, 2 + 2 + 32),
    Q2_K(10, 256, 2 + 2 + 256 / 16 + 256 / 4),
    Q3_K(11, 256, 2 + 256 / 4 + 256 / 8 + 12),
    Q4_K(12, 256, 2 + 2 + 256 / 2 + 12),
    Q5_K(13, 256, 2 + 2 + 256 / 2 + 256 / 8 + 12),
    Q6_K(14, 256, 2 + 256 / 2 + 256 / 4 + 256 / 16),
    Q8_K(15, 256, 4 + 256 + 256 / 8),
    IQ2_XXS(16, 256, 2 + 256 / 4),
    IQ2_XS(17, 256, 2 + 256 / 4 + 256 / 32),
    IQ3_XXS(18, 256, 2 + 256 / 4 + 256 / 8),
    IQ1_S(19, 256, 2 + 256 / 8 + 256 / 16),
    IQ4_NL(20, 32, 2 + 16),
    IQ3_S(21, 256, 2 + 256 / 4 + 256 / 8 + 256 / 32 + 4),
    IQ2_S(22, 256, 2 + 256 / 4 + 256 / 16),
    IQ4_XS(23, 256, 2 + 2 + 256 / 2 + 256 / 64),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 256 / 8 + 256 / 16 + 256 / 32),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 2 + 4 * 13),
    TQ2_0(35, 256, 2 + 64),
    MXFP4(39, 32, 1 + 16),
    /** Four 16-element sub-blocks sharing E4M3 scales; present in the pinned ggml. */
    NVFP4(40, 64, 4 + 32),
    Q1_0(41, 128, 2 + 128 / 8),
    Q2_0(42, 64, 2 + 64 / 4);

    /** One past the largest id, sized so that every lookup is a single array access. */
    private static final GgmlType[] BY_ID = new GgmlType[43];

    static {
        for (GgmlType type : values()) {
            BY_ID[type.id] = type;
        }
    }

    private final int id;
    private final int blockSize;
    private final int bytesPerBlock;

    GgmlType(int id, int blockSize, int bytesPerBlock) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** The id stored in GGUF tensor infos ({@code enum ggml_type}). */
    public int id() {
        return id;
    }

    /** Elements per block: 1 for plain types, 32/64/128/256 for quantized ones. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes one block occupies ({@code ggml_type_size}). */
    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** The name ggml prints, e.g. {@code q8_0}, {@code bf16}. */
    public String ggmlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Bytes of a row of {@code n} elements ({@code ggml_row_size}).
     *
     * @throws IllegalArgumentException if {@code n} is negative or not a multiple of the block size
     * @throws ArithmeticException if the byte count does not fit in a long
     */
    public long rowBytes(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("element count must be non-negative for " + this + ", got " + n);
        }
        if (n % blockSize != 0) {
            throw new IllegalArgumentException(this + " stores elements in blocks of " + blockSize
                    + ", but a row of " + n + " elements is not a multiple of " + blockSize
                    + " (remainder " + (n % blockSize) + ")");
        }
        return Math.multiplyExact(n / blockSize, (long) bytesPerBlock);
    }

    /** The type with this ggml id, if the id names a type ggml still supports. */
    public static Optional<GgmlType> fromId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[id]) : Optional.empty();
    }

    /**
     * The type with this ggml id.
     *
     * @throws IllegalArgumentException naming the id and why it is not accepted
     */
    public static GgmlType byId(int id) {
        return fromId(id).orElseThrow(() -> new IllegalArgumentException(unknownIdMessage(id)));
    }

    static String unknownIdMessage(int id) {
        String why = switch (id) {
            case 4, 5 -> " (Q4_2/Q4_3, removed from ggml)";
            case 31, 32, 33 -> " (Q4_0_4_4/Q4_0_4_8/Q4_0_8_8, removed from GGUF files; requantize from Q4_0)";
            case 36, 37, 38 -> " (IQ4_NL_4_4/IQ4_NL_4_8/IQ4_NL_8_8, removed from GGUF files)";
            default -> "";
        };
        return "unknown ggml type id " + id + why + "; known ids are 0-3, 6-30, 34, 35, 39-42";
    }
}
