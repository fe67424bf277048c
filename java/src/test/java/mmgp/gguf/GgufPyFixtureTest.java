package mmgp.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;
import org.junit.jupiter.api.Test;

/** Reads a file written by llama.cpp's own gguf-py, and checks the writer reproduces it byte for byte. */
class GgufPyFixtureTest {

    private static GgufFile open() throws GgufFormatException {
        return GgufFile.parse(MemorySegment.ofArray(GgufTestFiles.ggufPyFixture()));
    }

    @Test
    void metadataOfEveryType() throws IOException {
        try (GgufFile file = open()) {
            GgufMetadata m = file.metadata();
            assertThat(file.version()).isEqualTo(3);
            assertThat(file.alignment()).isEqualTo(64);
            assertThat(m.getString("general.architecture")).isEqualTo("mmgp-test");
            assertThat(m.type("test.uint8")).isEqualTo(GgufValueType.UINT8);
            assertThat(m.getInt("test.uint8")).isEqualTo(200);
            assertThat(m.getInt("test.int8")).isEqualTo(-100);
            assertThat(m.getInt("test.uint16")).isEqualTo(60000);
            assertThat(m.getInt("test.int16")).isEqualTo(-30000);
            assertThat(m.getLong("test.uint32")).isEqualTo(4_000_000_000L);
            assertThat(m.getInt("test.int32")).isEqualTo(-2_000_000_000);
            assertThat(m.getFloat("test.float32")).isEqualTo(1.5f);
            assertThat(m.getBoolean("test.bool")).isTrue();
            assertThat(m.getString("test.string")).isEqualTo("h\u00e9llo \u2713");
            assertThat(m.get("test.uint64")).isEqualTo(GgufValue.uint64(Long.MIN_VALUE + 5));
            assertThat(m.getLong("test.int64")).isEqualTo(-(1L << 40));
            assertThat(m.getDouble("test.float64")).isEqualTo(3.141592653589793);
            assertThat(m.getIntArray("test.array.int32")).containsExactly(1, -2, 3);
            assertThat(m.getFloatArray("test.array.float32")).containsExactly(0.5f, -1.25f);
            assertThat(m.getStringArray("test.array.string")).containsExactly("a", "bc", "\u00fc");
            assertThat(m.getBooleanArray("test.array.bool")).containsExactly(true, false, true);
            List<GgufArray> nested = m.getArray("test.array.nested").arrays();
            assertThat(nested).hasSize(2);
            assertThat(nested.get(0).toLongArray()).containsExactly(1, 2);
            assertThat(nested.get(1).toLongArray()).containsExactly(3);
        }
    }

    @Test
    void tensorsAndTheirData() throws IOException {
        try (GgufFile file = open()) {
            assertThat(file.tensors()).extracting(TensorInfo::name).containsExactly(
                    "f32_matrix", "f16_vector", "i32_vector", "q8_0_weight", "q8_0_weight.dequantized", "bf16_vector");
            TensorInfo matrix = file.tensor("f32_matrix");
            assertThat(matrix.shape()).containsExactly(3, 2); // numpy (2, 3) is ggml ne0=3, ne1=2
            assertThat(file.readFloats("f32_matrix")).containsExactly(0f, 1f, 2f, 3f, 4f, 5f);
            assertThat(file.readFloats("f16_vector"))
                    .containsExactly(1f, -2f, 0.5f, 65504f, 0x1p-14f, 0x1p-24f, 0f, -0f);
            MemorySegment ints = file.data("i32_vector");
            ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertThat(new int[] {ints.getAtIndex(i32, 0), ints.getAtIndex(i32, 1), ints.getAtIndex(i32, 2), ints.getAtIndex(i32, 3)})
                    .containsExactly(7, -8, Integer.MAX_VALUE, Integer.MIN_VALUE);

            TensorInfo q8 = file.tensor("q8_0_weight");
            assertThat(q8.type()).isEqualTo(GgmlType.Q8_0);
            assertThat(q8.shape()).containsExactly(64, 2);
            assertThat(q8.byteSize()).isEqualTo(4 * 34);
            // gguf-py's own dequantization, stored next to the quantized tensor
            assertThat(file.readFloats("q8_0_weight")).containsExactly(file.readFloats("q8_0_weight.dequantized"));

            float[] expectedBf16 = new float[4];
            float[] source = {1.0f, -3.140625f, 1e-40f, 3.0e38f};
            for (int i = 0; i < 4; i++) {
                expectedBf16[i] = HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(source[i]));
            }
            assertThat(file.readFloats("bf16_vector")).containsExactly(expectedBf16);
            assertThat(file.tensors()).allSatisfy(t -> assertThat(t.fileOffset() % 64).isZero());
        }
    }

    @Test
    void writerReproducesTheGgufPyFileByteForByte() throws IOException {
        byte[] original = GgufTestFiles.ggufPyFixture();
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(original))) {
            GgufWriter writer = new GgufWriter().putAll(file.metadata());
            for (TensorInfo t : file.tensors()) {
                writer.addTensor(t.name(), t.type(), t.shape(), file.data(t));
            }
            assertThat(GgufTestFiles.toBytes(writer)).isEqualTo(original);
        }
    }
}
