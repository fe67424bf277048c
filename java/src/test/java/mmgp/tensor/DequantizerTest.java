package mmgp.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class DequantizerTest {

    /**
     * Two Q8_0 blocks written by hand. Block 0: d = 0.5 (fp16 0x3800), quants -128, -127, ..., -97.
     * Block 1: d = -0.25 (fp16 0xB400), quants 0, 4, 8, ..., 124. Values are d * q.
     */
    @Test
    void q8_0MatchesHandComputedBlocks() {
        ByteBuffer block = ByteBuffer.allocate(68).order(ByteOrder.LITTLE_ENDIAN);
        block.putShort((short) 0x3800);
        for (int j = 0; j < 32; j++) {
            block.put((byte) (-128 + j));
        }
        block.putShort((short) 0xB400);
        for (int j = 0; j < 32; j++) {
            block.put((byte) (4 * j));
        }
        float[] values = Dequantizer.dequantize(GgmlType.Q8_0, MemorySegment.ofArray(block.array()), 64);

        assertThat(values[0]).isEqualTo(-64.0f);
        assertThat(values[1]).isEqualTo(-63.5f);
        assertThat(values[31]).isEqualTo(-48.5f);
        assertThat(values[32]).isEqualTo(-0.0f);
        assertThat(values[33]).isEqualTo(-1.0f);
        assertThat(values[63]).isEqualTo(-31.0f);
        for (int j = 0; j < 32; j++) {
            assertThat(values[j]).isEqualTo(0.5f * (-128 + j));
            assertThat(values[32 + j]).isEqualTo(-0.25f * (4 * j));
        }
    }

    @Test
    void q8_0ExtremeQuantsAndSubnormalScale() {
        ByteBuffer block = ByteBuffer.allocate(34).order(ByteOrder.LITTLE_ENDIAN);
        block.putShort((short) 0x0001); // d = 2^-24, an fp16 subnormal
        block.put((byte) 127).put((byte) -128);
        float[] values = Dequantizer.dequantize(GgmlType.Q8_0, MemorySegment.ofArray(block.array()), 32);
        assertThat(values[0]).isEqualTo(127 * 0x1p-24f);
        assertThat(values[1]).isEqualTo(-128 * 0x1p-24f);
        assertThat(values[2]).isZero();
    }

    @Test
    void halfAndFloatRows() {
        ByteBuffer f16 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF).putShort((short) 0x0001);
        assertThat(Dequantizer.dequantize(GgmlType.F16, MemorySegment.ofArray(f16.array()), 4))
                .containsExactly(1f, -2f, 65504f, 0x1p-24f);

        ByteBuffer bf16 = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3F80).putShort((short) 0xC049).putShort((short) 0xFF80);
        assertThat(Dequantizer.dequantize(GgmlType.BF16, MemorySegment.ofArray(bf16.array()), 3))
                .containsExactly(1f, -3.140625f, Float.NEGATIVE_INFINITY);

        ByteBuffer f32 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-0f).putFloat(7f);
        assertThat(Dequantizer.dequantize(GgmlType.F32, MemorySegment.ofArray(f32.array()), 3))
                .containsExactly(1.5f, -0f, 7f);

        ByteBuffer f64 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1);
        assertThat(Dequantizer.dequantize(GgmlType.F64, MemorySegment.ofArray(f64.array()), 1)).containsExactly(0.1f);
    }

    @Test
    void readsUnalignedSources() {
        byte[] bytes = new byte[9];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).position(1).putFloat(2.5f).putFloat(-4f);
        float[] values = Dequantizer.dequantize(GgmlType.F32, MemorySegment.ofArray(bytes).asSlice(1), 2);
        assertThat(values).containsExactly(2.5f, -4f);
    }

    @Test
    void decodesIntoAnOffsetOfTheDestination() {
        ByteBuffer f16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3C00).putShort((short) 0x4000);
        float[] dst = new float[4];
        Dequantizer.dequantizeInto(GgmlType.F16, MemorySegment.ofArray(f16.array()), dst, 1, 2);
        assertThat(dst).containsExactly(0f, 1f, 2f, 0f);
    }

    @Test
    void rejectsWhatItCannotDecode() {
        MemorySegment bytes = MemorySegment.ofArray(new byte[1024]);
        assertThatThrownBy(() -> Dequantizer.dequantize(GgmlType.Q4_K, bytes, 256))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_K");
        assertThatThrownBy(() -> Dequantizer.dequantize(GgmlType.Q8_0, bytes, 33))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> Dequantizer.dequantize(GgmlType.F32, bytes, 257))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1028 bytes");
        assertThatThrownBy(() -> Dequantizer.dequantize(GgmlType.F32, bytes, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Dequantizer.supports(GgmlType.Q8_0)).isTrue();
        assertThat(Dequantizer.supports(GgmlType.Q4_0)).isFalse();
    }
}
