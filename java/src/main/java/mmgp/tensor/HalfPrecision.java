package mmgp.tensor;

/**
 * Conversions between fp32 and the two 16-bit float formats ggml stores: IEEE binary16 ("fp16",
 * ggml_fp16_t) and bfloat16 (ggml_bf16_t). Both round to nearest, ties to even, and keep NaN,
 * infinities, signed zeros and subnormals, bit-for-bit as ggml's reference conversions do.
 */
public final class HalfPrecision {

    private HalfPrecision() {
    }

    /** fp16 bits to float; exact for every input, subnormals included. */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** float to fp16 bits: ties to even, overflow to infinity, NaN stays NaN. */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    /** bf16 bits to float: bf16 is the upper half of an fp32, so widening is exact. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * float to bf16 bits, as ggml_compute_fp32_to_bf16: NaN keeps its sign and top payload bits and is
     * forced quiet (truncating a signalling NaN could otherwise turn it into infinity); everything else
     * rounds to nearest even, which carries into the exponent and so overflows to infinity correctly.
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
