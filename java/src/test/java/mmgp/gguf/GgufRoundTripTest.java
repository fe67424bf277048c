package mmgp.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufRoundTripTest {

    @TempDir
    Path dir;

    private static Map<String, GgufValue> everyMetadataType() {
        Map<String, GgufValue> values = new LinkedHashMap<>();
        values.put("t.uint8", GgufValue.uint8(255));
        values.put("t.int8", GgufValue.int8(-128));
        values.put("t.uint16", GgufValue.uint16(65535));
        values.put("t.int16", GgufValue.int16(-32768));
        values.put("t.uint32", GgufValue.uint32(0xFFFF_FFFFL));
        values.put("t.int32", GgufValue.int32(Integer.MIN_VALUE));
        values.put("t.float32", GgufValue.float32(-1.5e-7f));
        values.put("t.bool.true", GgufValue.bool(true));
        values.put("t.bool.false", GgufValue.bool(false));
        values.put("t.string", GgufValue.string("naïve ✓ 日本 \u0000 end"));
        values.put("t.string.empty", GgufValue.string(""));
        values.put("t.uint64", GgufValue.uint64(-1L)); // 2^64 - 1
        values.put("t.int64", GgufValue.int64(Long.MIN_VALUE));
        values.put("t.float64", GgufValue.float64(Math.PI));
        values.put("t.float32.nan", GgufValue.float32(Float.NaN));
        values.put("t.a.uint8", GgufValue.array(GgufArray.ofUInt8((byte) 0, (byte) 255)));
        values.put("t.a.int8", GgufValue.array(GgufArray.ofInt8((byte) -1, (byte) 127)));
        values.put("t.a.uint16", GgufValue.array(GgufArray.ofUInt16((short) 65535, (short) 1)));
        values.put("t.a.int16", GgufValue.array(GgufArray.ofInt16((short) -2)));
        values.put("t.a.uint32", GgufValue.array(GgufArray.ofUInt32(-1, 7)));
        values.put("t.a.int32", GgufValue.array(GgufArray.ofInt32(1, -2, 3)));
        values.put("t.a.float32", GgufValue.array(GgufArray.ofFloat32(0.5f, Float.NEGATIVE_INFINITY)));
        values.put("t.a.bool", GgufValue.array(GgufArray.ofBool(true, false, true)));
        values.put("t.a.string", GgufValue.array(GgufArray.ofStrings("a", "", "üñí")));
        values.put("t.a.uint64", GgufValue.array(GgufArray.ofUInt64(Long.MIN_VALUE, 3)));
        values.put("t.a.int64", GgufValue.array(GgufArray.ofInt64(-5L)));
        values.put("t.a.float64", GgufValue.array(GgufArray.ofFloat64(1e300, -0.0)));
        values.put("t.a.empty", GgufValue.array(GgufArray.ofInt32()));
        values.put("t.a.nested", GgufValue.array(GgufArray.ofArrays(List.of(
                GgufArray.ofInt32(1, 2),
                GgufArray.ofStrings("x", "y"),
                GgufArray.ofArrays(List.of(GgufArray.ofFloat64(2.5)))))));
        return values;
    }

    @Test
    void everyMetadataTypeRoundTrips() throws IOException {
        Map<String, GgufValue> values = everyMetadataType();
        GgufWriter writer = new GgufWriter();
        values.forEach(writer::put);
        Path path = dir.resolve("meta.gguf");
        long size = writer.write(path);

        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.fileSize()).isEqualTo(size).isEqualTo(Files.size(path));
            assertThat(file.version()).isEqualTo(3);
            assertThat(file.alignment()).isEqualTo(32);
            assertThat(file.tensors()).isEmpty();
            assertThat(file.metadata().asMap()).containsExactlyEntriesOf(values);

            GgufMetadata m = file.metadata();
            assertThat(m.getInt("t.uint8")).isEqualTo(255);
            assertThat(m.getInt("t.int8")).isEqualTo(-128);
            assertThat(m.getInt("t.uint16")).isEqualTo(65535);
            assertThat(m.getInt("t.int16")).isEqualTo(-32768);
            assertThat(m.getLong("t.uint32")).isEqualTo(0xFFFF_FFFFL);
            assertThat(m.getInt("t.int32")).isEqualTo(Integer.MIN_VALUE);
            assertThat(m.getFloat("t.float32")).isEqualTo(-1.5e-7f);
            assertThat(m.getBoolean("t.bool.true")).isTrue();
            assertThat(m.getBoolean("t.bool.false")).isFalse();
            assertThat(m.getString("t.string")).isEqualTo("naïve ✓ 日本 \u0000 end");
            assertThat(m.getString("t.string.empty")).isEmpty();
            assertThat((Long) m.get("t.uint64").value()).isEqualTo(-1L);
            assertThat(m.getLong("t.int64")).isEqualTo(Long.MIN_VALUE);
            assertThat(m.getDouble("t.float64")).isEqualTo(Math.PI);
            assertThat(m.getFloat("t.float32.nan")).isNaN();
            assertThat(m.getLongArray("t.a.uint8")).containsExactly(0, 255);
            assertThat(m.getIntArray("t.a.int8")).containsExactly(-1, 127);
            assertThat(m.getIntArray("t.a.uint16")).containsExactly(65535, 1);
            assertThat(m.getLongArray("t.a.uint32")).containsExactly(0xFFFF_FFFFL, 7);
            assertThat(m.getIntArray("t.a.int32")).containsExactly(1, -2, 3);
            assertThat(m.getFloatArray("t.a.float32")).containsExactly(0.5f, Float.NEGATIVE_INFINITY);
            assertThat(m.getBooleanArray("t.a.bool")).containsExactly(true, false, true);
            assertThat(m.getStringArray("t.a.string")).containsExactly("a", "", "üñí");
            assertThat(m.getArray("t.a.float64").toDoubleArray()).containsExactly(1e300, -0.0);
            assertThat(m.getArray("t.a.empty").size()).isZero();
            List<GgufArray> nested = m.getArray("t.a.nested").arrays();
            assertThat(nested.get(1).strings()).containsExactly("x", "y");
            assertThat(nested.get(2).arrays().get(0).toDoubleArray()).containsExactly(2.5);
            assertThat(file.getString("t.string")).isEqualTo(m.getString("t.string"));
        }
    }

    @Test
    void typedGettersExplainMissingKeysAndWrongTypes() throws IOException {
        GgufWriter writer = new GgufWriter();
        everyMetadataType().forEach(writer::put);
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(GgufTestFiles.toBytes(writer)))) {
            GgufMetadata m = file.metadata();
            assertThatThrownBy(() -> m.getString("nope")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("'nope' is missing");
            assertThatThrownBy(() -> m.getString("t.int32")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("'t.int32' has type INT32, expected STRING");
            assertThatThrownBy(() -> m.getInt("t.uint32")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("4294967295").hasMessageContaining("does not fit an int");
            assertThatThrownBy(() -> m.getLong("t.uint64")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("18446744073709551615");
            assertThatThrownBy(() -> m.getFloat("t.int8")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("expected FLOAT32 or FLOAT64");
            assertThatThrownBy(() -> m.getStringArray("t.a.int32")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("t.a.int32").hasMessageContaining("not an array of STRING");
            assertThatThrownBy(() -> m.getIntArray("t.a.uint32")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("4294967295 at index 0");
            assertThatThrownBy(() -> m.getArray("t.string")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("has type STRING, expected ARRAY");
            assertThat(m.getInt("absent", 7)).isEqualTo(7);
            assertThat(m.getString("absent", "d")).isEqualTo("d");
            assertThat(m.getFloat("absent", 0.25f)).isEqualTo(0.25f);
            assertThatThrownBy(() -> m.getInt("t.string", 7)).isInstanceOf(GgufFormatException.class);
        }
    }

    /** One tensor per case: name, type, shape, and its bytes generated from a seed. */
    private record Case(String name, GgmlType type, long[] shape) {
        byte[] bytes(long seed) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            long size = n == 0 ? 0 : type.rowBytes(shape.length == 0 ? 1 : shape[0]) * (n / (shape.length == 0 ? 1 : shape[0]));
            byte[] bytes = new byte[(int) size];
            new Random(seed).nextBytes(bytes);
            return bytes;
        }
    }

    private static List<Case> tensorCases() {
        return List.of(
                new Case("f32.matrix", GgmlType.F32, new long[] {3, 2}),
                new Case("f16.vector", GgmlType.F16, new long[] {5}),
                new Case("bf16.cube", GgmlType.BF16, new long[] {4, 1, 2}),
                new Case("q8_0.rows", GgmlType.Q8_0, new long[] {64, 3}),
                new Case("q4_k.rows", GgmlType.Q4_K, new long[] {256, 2}),
                new Case("mxfp4.row", GgmlType.MXFP4, new long[] {32}),
                new Case("i8.odd", GgmlType.I8, new long[] {7}),
                new Case("i64.4d", GgmlType.I64, new long[] {2, 2, 2, 2}),
                new Case("empty", GgmlType.F32, new long[] {0, 4}),
                new Case("scalar", GgmlType.F32, new long[] {}));
    }

    @ParameterizedTest(name = "alignment {0}")
    @ValueSource(ints = {1, 8, 32, 64, 4096})
    void tensorsRoundTripAtEveryAlignment(int alignment) throws IOException {
        List<Case> cases = tensorCases();
        GgufWriter writer = new GgufWriter().alignment(alignment).putString("general.name", "round trip");
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            writer.addTensor(c.name, c.type, c.shape, MemorySegment.ofArray(c.bytes(i)));
        }
        Path path = dir.resolve("tensors-" + alignment + ".gguf");
        writer.write(path);

        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.alignment()).isEqualTo(alignment);
            assertThat(file.dataStart() % alignment).isZero();
            assertThat(file.tensors()).extracting(TensorInfo::name)
                    .containsExactlyElementsOf(cases.stream().map(Case::name).toList());
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                TensorInfo info = file.tensor(c.name);
                byte[] expected = c.bytes(i);
                assertThat(info.type()).isEqualTo(c.type);
                assertThat(info.shape()).containsExactly(c.shape);
                assertThat(info.byteSize()).isEqualTo(expected.length);
                assertThat(info.dataOffset() % alignment).isZero();
                assertThat(info.fileOffset()).isEqualTo(file.dataStart() + info.dataOffset());
                MemorySegment data = file.data(info);
                assertThat(data.isMapped()).as("zero-copy slice of the mapping").isTrue();
                assertThat(data.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(expected);
            }
            TensorInfo scalar = file.tensor("scalar");
            assertThat(scalar.nDims()).isZero();
            assertThat(scalar.ne()).containsExactly(1, 1, 1, 1);
            assertThat(scalar.elementCount()).isEqualTo(1);
            assertThat(file.tensor("i64.4d").ne(3)).isEqualTo(2);
        }
    }

    @Test
    void fillerTensorsAreProducedIntoOffHeapMemory() throws IOException {
        Path path = dir.resolve("filled.gguf");
        new GgufWriter()
                .addTensor("ramp", GgmlType.F16, new long[] {8, 2}, target -> {
                    assertThat(target.isNative()).isTrue();
                    assertThat(target.byteSize()).isEqualTo(32);
                    for (int i = 0; i < 16; i++) {
                        target.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, HalfPrecision.floatToF16(i * 0.5f));
                    }
                })
                .addTensor("zeros", GgmlType.F32, new long[] {4}, target -> { })
                .write(path);
        try (GgufFile file = GgufFile.open(path)) {
            float[] ramp = file.readFloats("ramp");
            for (int i = 0; i < 16; i++) {
                assertThat(ramp[i]).isEqualTo(i * 0.5f);
            }
            assertThat(file.readFloats("zeros")).containsExactly(0f, 0f, 0f, 0f);
        }
    }

    @Test
    void readFloatsDequantizesQ8_0() throws IOException {
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(GgufTestFiles.smallModel()))) {
            float[] q = file.readFloats("q");
            assertThat(q).hasSize(64);
            assertThat(q[0]).isEqualTo(0.5f * (byte) (2 * 7));
            assertThat(file.readFloats("h")).containsExactly(1f, 2f, -2f);
            assertThat(file.getStringArray("tokenizer.ggml.tokens")).containsExactly("<s>", "</s>", "a", "b");
            assertThat(file.getInt("tiny.block_count")).isEqualTo(2);
            assertThat(file.tensor("s").nDims()).isZero();
        }
    }

    @Test
    void version2FilesAreRead() throws IOException {
        byte[] bytes = GgufTestFiles.smallModel();
        bytes[4] = 2;
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes))) {
            assertThat(file.version()).isEqualTo(2);
            assertThat(file.tensors()).hasSize(4);
        }
    }

    @Test
    void metadataCopiedWithPutAllRewritesTheSameFile() throws IOException {
        byte[] original = GgufTestFiles.smallModel();
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(original))) {
            GgufWriter copy = new GgufWriter().putAll(file.metadata());
            for (TensorInfo t : file.tensors()) {
                copy.addTensor(t.name(), t.type(), t.shape(), file.data(t));
            }
            assertThat(GgufTestFiles.toBytes(copy)).isEqualTo(original);
        }
    }

    @Test
    void closingUnmapsAndSlicesStopWorking() throws IOException {
        Path path = dir.resolve("closed.gguf");
        Files.write(path, GgufTestFiles.smallModel());
        GgufFile file = GgufFile.open(path);
        MemorySegment data = file.data("w");
        assertThat(data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0)).isEqualTo(-4f);
        file.close();
        file.close(); // idempotent
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void writeLeavesNoPartialFileBehind() throws IOException {
        Path path = dir.resolve("model.gguf");
        new GgufWriter().putString("a", "b").write(path);
        new GgufWriter().putString("a", "c").write(path); // replaces
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(path);
        }
        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.getString("a")).isEqualTo("c");
        }
        GgufWriter failing = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {1}, target -> {
            throw new IOException("source unavailable");
        });
        assertThatThrownBy(() -> failing.write(dir.resolve("broken.gguf"))).hasMessage("source unavailable");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(path);
        }
    }

    @Test
    void writerRejectsInvalidDeclarations() {
        MemorySegment four = MemorySegment.ofArray(new byte[4]);
        assertThatThrownBy(() -> new GgufWriter().putString("k", "a").putInt32("k", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'k' is already set");
        assertThatThrownBy(() -> new GgufWriter().putString("", "a"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-empty");
        assertThatThrownBy(() -> new GgufWriter().alignment(48))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new GgufWriter().putInt32("general.alignment", 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UINT32");
        assertThatThrownBy(() -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {1}, four)
                .addTensor("t", GgmlType.F32, new long[] {1}, four))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate tensor name 't'");
        assertThatThrownBy(() -> new GgufWriter().addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, four))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 63");
        assertThatThrownBy(() -> new GgufWriter().addTensor("t", GgmlType.Q8_0, new long[] {33}, four))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a multiple of 32");
        assertThatThrownBy(() -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {2}, four))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 8 bytes").hasMessageContaining("has 4");
        assertThatThrownBy(() -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, four))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 4");
        assertThatThrownBy(() -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {-1}, four))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {1L << 62, 4}, four))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflows");
        assertThatThrownBy(() -> GgufValue.uint8(256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GgufValue.uint32(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GgufValue(GgufValueType.STRING, 3L)).isInstanceOf(IllegalArgumentException.class);
        GgufArray deep = GgufArray.ofInt32(1);
        for (int i = 0; i < GgufParser.MAX_ARRAY_NESTING; i++) {
            deep = GgufArray.ofArrays(List.of(deep));
        }
        GgufArray tooDeep = deep;
        assertThatThrownBy(() -> new GgufWriter().putArray("deep", tooDeep))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nests arrays");
    }

    @Test
    void manyTensorsKeepTheirOrderAndPlacement() throws IOException {
        GgufWriter writer = new GgufWriter();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String name = "blk." + i + ".weight";
            names.add(name);
            writer.addTensor(name, GgmlType.F32, new long[] {i % 7 + 1}, MemorySegment.ofArray(new float[i % 7 + 1]));
        }
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(GgufTestFiles.toBytes(writer)))) {
            assertThat(file.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(names);
            assertThat(file.tensors()).allSatisfy(t -> assertThat(t.dataOffset() % 32).isZero());
        }
    }
}
