package mmgp.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HalfPrecisionTest {

    private static short f16(float value) {
        return HalfPrecision.floatToF16(value);
    }

    private static short bf16(float value) {
        return HalfPrecision.floatToBf16(value);
    }

    @Test
    void everyF16PatternSurvivesARoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float widened = HalfPrecision.f16ToFloat((short) bits);
            if (Float.isNaN(widened)) {
                assertThat(Float.isNaN(HalfPrecision.f16ToFloat(f16(widened)))).isTrue();
            } else {
                assertThat(f16(widened) & 0xFFFF).as("f16 0x%04x", bits).isEqualTo(bits);
            }
        }
    }

    @Test
    void f16KnownValues() {
        assertThat(f16(1.0f)).isEqualTo((short) 0x3C00);
        assertThat(f16(-2.0f)).isEqualTo((short) 0xC000);
        assertThat(f16(0.0f)).isEqualTo((short) 0x0000);
        assertThat(f16(-0.0f)).isEqualTo((short) 0x8000);
        assertThat(f16(65504f)).isEqualTo((short) 0x7BFF);
        assertThat(f16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7C00);
        assertThat(f16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFC00);
        assertThat(HalfPrecision.f16ToFloat((short) 0x3555)).isEqualTo(0.33325195f);
    }

    @Test
    void f16RoundsToNearestEven() {
        // 1 + 2^-11 is halfway between 1 and the next f16 (1 + 2^-10): ties go to the even mantissa 0
        assertThat(f16(1f + 0x1p-11f)).isEqualTo((short) 0x3C00);
        // 1 + 3*2^-11 is halfway between mantissas 1 and 2: ties go to 2
        assertThat(f16(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3C02);
        assertThat(f16(1f + 0x1p-11f + 0x1p-20f)).isEqualTo((short) 0x3C01);
    }

    @Test
    void f16OverflowsToInfinityAtTheRoundingBoundary() {
        assertThat(f16(65519f)).isEqualTo((short) 0x7BFF);
        assertThat(f16(65520f)).isEqualTo((short) 0x7C00); // halfway to 65536 rounds to even = infinity
        assertThat(f16(1e10f)).isEqualTo((short) 0x7C00);
        assertThat(f16(-1e10f)).isEqualTo((short) 0xFC00);
    }

    @Test
    void f16SubnormalsAreExactAndRoundCorrectly() {
        assertThat(f16(0x1p-24f)).isEqualTo((short) 0x0001); // smallest subnormal
        assertThat(HalfPrecision.f16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(HalfPrecision.f16ToFloat((short) 0x03FF)).isEqualTo(0x3FFp-24f); // largest subnormal
        assertThat(f16(0x1p-25f)).isEqualTo((short) 0x0000); // tie between 0 and 2^-24 goes to even 0
        assertThat(f16(0x1.8p-24f)).isEqualTo((short) 0x0002); // tie between 1 and 2 goes to 2
        assertThat(f16(-0x1p-26f)).isEqualTo((short) 0x8000); // underflow keeps the sign
        assertThat(HalfPrecision.f16ToFloat((short) 0x0400)).isEqualTo(0x1p-14f); // smallest normal
    }

    @Test
    void f16NanStaysNan() {
        assertThat(Float.isNaN(HalfPrecision.f16ToFloat(f16(Float.NaN)))).isTrue();
        assertThat(Float.isNaN(HalfPrecision.f16ToFloat((short) 0x7C01))).isTrue();
        assertThat(Float.isNaN(HalfPrecision.f16ToFloat((short) 0xFE00))).isTrue();
        assertThat(f16(Float.intBitsToFloat(0x7F800001)) & 0x7C00).isEqualTo(0x7C00);
        assertThat(f16(Float.intBitsToFloat(0x7F800001)) & 0x03FF).isNotZero();
    }

    @Test
    void everyBf16PatternSurvivesARoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float widened = HalfPrecision.bf16ToFloat((short) bits);
            if (Float.isNaN(widened)) {
                assertThat(Float.isNaN(HalfPrecision.bf16ToFloat(bf16(widened)))).isTrue();
            } else {
                assertThat(bf16(widened) & 0xFFFF).as("bf16 0x%04x", bits).isEqualTo(bits);
            }
        }
    }

    @Test
    void bf16KnownValuesAndRounding() {
        assertThat(bf16(1.0f)).isEqualTo((short) 0x3F80);
        assertThat(bf16(-0.0f)).isEqualTo((short) 0x8000);
        assertThat(bf16(1f + 0x1p-8f)).isEqualTo((short) 0x3F80); // tie to even mantissa 0
        assertThat(bf16(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82); // tie to even mantissa 2
        assertThat(bf16(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
        assertThat(bf16(-3.140625f)).isEqualTo((short) 0xC049);
        assertThat(HalfPrecision.bf16ToFloat((short) 0xC049)).isEqualTo(-3.140625f);
    }

    @Test
    void bf16OverflowAndInfinity() {
        assertThat(bf16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80); // rounds up into the exponent
        assertThat(bf16(-Float.MAX_VALUE)).isEqualTo((short) 0xFF80);
        assertThat(bf16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7F80);
        assertThat(bf16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
    }

    @Test
    void bf16KeepsSubnormals() {
        assertThat(bf16(Float.intBitsToFloat(0x0001_0000))).isEqualTo((short) 0x0001);
        assertThat(HalfPrecision.bf16ToFloat((short) 0x0001)).isEqualTo(Float.intBitsToFloat(0x0001_0000));
        assertThat(bf16(Float.MIN_VALUE)).isEqualTo((short) 0x0000);
        assertThat(bf16(Float.intBitsToFloat(0x0000_8001))).isEqualTo((short) 0x0001);
    }

    @Test
    void bf16NanIsForcedQuietAndNeverBecomesInfinity() {
        // a signalling NaN whose payload lives only in the low bits would truncate to infinity
        assertThat(bf16(Float.intBitsToFloat(0x7F80_0001))).isEqualTo((short) 0x7FC0);
        assertThat(bf16(Float.intBitsToFloat(0xFF80_0001))).isEqualTo((short) 0xFFC0);
        assertThat(bf16(Float.NaN)).isEqualTo((short) 0x7FC0);
        assertThat(Float.isNaN(HalfPrecision.bf16ToFloat((short) 0x7FC1))).isTrue();
    }
}
