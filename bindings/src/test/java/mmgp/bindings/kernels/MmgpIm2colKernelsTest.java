package mmgp.bindings.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The im2col side of the kernels library: its float→half conversions (the vector one the F16
 * im2col uses, and the plain C one of CPUs without F16C/NEON) round to nearest even exactly as
 * Java's Float.floatToFloat16, its custom-op entry points exist, and the params struct has the C
 * layout. The im2col itself is checked against ggml's, bit for bit, in mmgp.graph.MmgpIm2colTest.
 */
class MmgpIm2colKernelsTest {
    @BeforeAll
    static void library() {
        KernelsLibrary.require();
    }

    @Test
    void halfConversionsRoundToNearestEvenLikeJava() {
        // Around every half exponent (and below/above the half range): every top-10-bit mantissa
        // with the rounding bits just below, at and above the halfway point, both signs.
        int[] low = {0, 1, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x0800, 0x17ff};
        float[] v = new float[2 * (152 - 98) * 1024 * low.length];
        int n = 0;
        for (int sign = 0; sign < 2; sign++) {
            for (int exp = 98; exp < 152; exp++) {
                for (int top = 0; top < 1024; top++) {
                    for (int l : low) v[n++] = Float.intBitsToFloat(sign << 31 | exp << 23 | top << 13 | l);
                }
            }
        }
        check(v, "exponent sweep");
        // Random bit patterns (every exponent, NaNs included) and the specials.
        SplittableRandom r = new SplittableRandom(11);
        float[] random = new float[1 << 20];
        for (int i = 0; i < random.length; i++) random[i] = Float.intBitsToFloat(r.nextInt());
        check(random, "random bits");
        check(new float[] {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, 65504f, 65519.996f, 65520f, 0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 3 * 0x1p-26f}, "specials");
        // Every length around the vector widths, so the scalar tails are covered.
        for (int len = 0; len < 40; len++) check(java.util.Arrays.copyOf(random, len), "length " + len);
    }

    private static void check(float[] v, String what) {
        short[] simd = MmgpKernels.f32ToF16(v), plain = MmgpKernels.f32ToF16Portable(v);
        for (int i = 0; i < v.length; i++) {
            short expected = Float.floatToFloat16(v[i]);
            if (Float.isNaN(v[i])) {
                // Both stay NaNs with the input's sign; the plain one writes ggml's sign | 0x7e00.
                assertThat(Float.isNaN(Float.float16ToFloat(simd[i]))).as("%s: NaN %08x", what, Float.floatToRawIntBits(v[i])).isTrue();
                assertThat(simd[i] & 0x8000).isEqualTo(Float.floatToRawIntBits(v[i]) >>> 16 & 0x8000);
                assertThat(plain[i] & 0xffff).isEqualTo(Float.floatToRawIntBits(v[i]) >>> 16 & 0x8000 | 0x7e00);
                continue;
            }
            if (simd[i] != expected || plain[i] != expected) {
                assertThat(String.format("%04x %04x", simd[i] & 0xffff, plain[i] & 0xffff))
                        .as("%s: %s (%08x) to half, vector and plain", what, v[i], Float.floatToRawIntBits(v[i]))
                        .isEqualTo(String.format("%04x %04x", expected & 0xffff, expected & 0xffff));
            }
        }
    }

    @Test
    void theCustomOpsAreExported() {
        assertThat(MmgpKernels.im2col2dFunction().address()).isNotZero();
        assertThat(MmgpKernels.im2col3dFunction().address()).isNotZero();
        assertThat(MmgpKernels.im2col3dFunction().address()).isNotEqualTo(MmgpKernels.im2col2dFunction().address());
    }

    @Test
    void paramsHaveTheCLayout() {
        // struct mmgp_im2col_params { int32 stride[3], padding[3], dilation[3], kernel[3], channels, flags; }
        assertThat(MmgpKernels.IM2COL_PARAMS.byteSize()).isEqualTo(56);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = MmgpKernels.im2colParams(arena, new int[] {2, 3}, new int[] {1}, new int[] {1, 1, 2}, new int[] {3, 5, 7}, 12,
                    MmgpKernels.IM2COL_PORTABLE);
            assertThat(p.toArray(ValueLayout.JAVA_INT)).containsExactly(2, 3, 1, 1, 0, 0, 1, 1, 2, 3, 5, 7, 12, 2);
        }
    }
}
