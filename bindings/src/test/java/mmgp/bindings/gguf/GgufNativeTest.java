package mmgp.bindings.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mmgp.bindings.CTypes;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.ggml.GgmlTensorStruct;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes a GGUF with every scalar type, arrays and a tensor through gguf, and reads it back. */
class GgufNativeTest {
    private static final int GGML_TYPE_F32 = 0;
    private static final float[] TENSOR = {1.5f, -2f, 3.25f, 0f, 7f, -0.5f};

    @TempDir
    static Path dir;
    static Path file;

    @BeforeAll
    static void write() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        file = dir.resolve("kv.gguf");
        MemorySegment gguf = GgufNative.initEmpty();
        MemorySegment ggml = Ggml.init(4 * Ggml.tensorOverhead(), true);
        try (Arena arena = Arena.ofConfined()) {
            GgufNative.setValU8(gguf, "t.u8", (byte) 200);
            GgufNative.setValI8(gguf, "t.i8", (byte) -100);
            GgufNative.setValU16(gguf, "t.u16", (short) 60000);
            GgufNative.setValI16(gguf, "t.i16", (short) -30000);
            GgufNative.setValU32(gguf, "t.u32", (int) 4_000_000_000L);
            GgufNative.setValI32(gguf, "t.i32", -123456);
            GgufNative.setValF32(gguf, "t.f32", 0.25f);
            GgufNative.setValU64(gguf, "t.u64", 1L << 40);
            GgufNative.setValI64(gguf, "t.i64", -(1L << 50));
            GgufNative.setValF64(gguf, "t.f64", Math.PI);
            GgufNative.setValBool(gguf, "t.bool", true);
            GgufNative.setValStr(gguf, "t.str", "héllo wörld");
            GgufNative.setArrData(gguf, "t.arr_i32", GgufNative.TYPE_INT32, arena.allocateFrom(ValueLayout.JAVA_INT, 1, -2, 3), 3);
            GgufNative.setArrStr(gguf, "t.arr_str", List.of("a", "bc", ""));

            MemorySegment t = Ggml.newTensor2d(ggml, GGML_TYPE_F32, 3, 2);
            Ggml.setName(t, arena.allocateFrom("weights"));
            GgufNative.addTensor(gguf, t);
            GgufNative.setTensorData(gguf, "weights", arena.allocateFrom(ValueLayout.JAVA_FLOAT, TENSOR));
            assertThat(GgufNative.getMetaSize(gguf)).isPositive();
            GgufNative.writeToFile(gguf, file, false);
        } finally {
            Ggml.free(ggml);
            GgufNative.free(gguf);
        }
    }

    @Test
    void scalarValuesRoundTrip() {
        MemorySegment ctx = GgufNative.initFromFile(file, true, MemorySegment.NULL);
        try {
            assertThat(GgufNative.getVersion(ctx)).isEqualTo(3);
            assertThat(GgufNative.getAlignment(ctx)).isEqualTo(32);
            assertThat(GgufNative.getNKv(ctx)).isEqualTo(14);
            assertThat(GgufNative.findKey(ctx, "absent")).isEqualTo(-1);
            assertThat(GgufNative.getKey(ctx, 0)).isEqualTo("t.u8");
            assertThat(GgufNative.getValU8(ctx, key(ctx, "t.u8", GgufNative.TYPE_UINT8))).isEqualTo(200);
            assertThat(GgufNative.getValI8(ctx, key(ctx, "t.i8", GgufNative.TYPE_INT8))).isEqualTo((byte) -100);
            assertThat(GgufNative.getValU16(ctx, key(ctx, "t.u16", GgufNative.TYPE_UINT16))).isEqualTo(60000);
            assertThat(GgufNative.getValI16(ctx, key(ctx, "t.i16", GgufNative.TYPE_INT16))).isEqualTo((short) -30000);
            assertThat(GgufNative.getValU32(ctx, key(ctx, "t.u32", GgufNative.TYPE_UINT32))).isEqualTo(4_000_000_000L);
            assertThat(GgufNative.getValI32(ctx, key(ctx, "t.i32", GgufNative.TYPE_INT32))).isEqualTo(-123456);
            assertThat(GgufNative.getValF32(ctx, key(ctx, "t.f32", GgufNative.TYPE_FLOAT32))).isEqualTo(0.25f);
            assertThat(GgufNative.getValU64(ctx, key(ctx, "t.u64", GgufNative.TYPE_UINT64))).isEqualTo(1L << 40);
            assertThat(GgufNative.getValI64(ctx, key(ctx, "t.i64", GgufNative.TYPE_INT64))).isEqualTo(-(1L << 50));
            assertThat(GgufNative.getValF64(ctx, key(ctx, "t.f64", GgufNative.TYPE_FLOAT64))).isEqualTo(Math.PI);
            assertThat(GgufNative.getValBool(ctx, key(ctx, "t.bool", GgufNative.TYPE_BOOL))).isTrue();
            assertThat(GgufNative.getValStr(ctx, key(ctx, "t.str", GgufNative.TYPE_STRING))).isEqualTo("héllo wörld");
            assertThat(GgufNative.typeName(GgufNative.TYPE_STRING)).isEqualTo("str");
        } finally {
            GgufNative.free(ctx);
        }
    }

    @Test
    void arraysRoundTrip() {
        MemorySegment ctx = GgufNative.initFromFile(file, true, MemorySegment.NULL);
        try {
            long ints = key(ctx, "t.arr_i32", GgufNative.TYPE_ARRAY);
            assertThat(GgufNative.getArrType(ctx, ints)).isEqualTo(GgufNative.TYPE_INT32);
            assertThat(GgufNative.getArrN(ctx, ints)).isEqualTo(3);
            assertThat(GgufNative.getArrData(ctx, ints).toArray(ValueLayout.JAVA_INT)).containsExactly(1, -2, 3);
            long strs = key(ctx, "t.arr_str", GgufNative.TYPE_ARRAY);
            assertThat(GgufNative.getArrType(ctx, strs)).isEqualTo(GgufNative.TYPE_STRING);
            assertThat(GgufNative.getArrStr(ctx, strs, 0)).isEqualTo("a");
            assertThat(GgufNative.getArrStr(ctx, strs, 1)).isEqualTo("bc");
            assertThat(GgufNative.getArrStr(ctx, strs, 2)).isEmpty();
        } finally {
            GgufNative.free(ctx);
        }
    }

    @Test
    void tensorInfoAndDataRoundTrip() throws IOException {
        MemorySegment ctx = GgufNative.initFromFile(file, true, MemorySegment.NULL);
        long dataStart, offset;
        try {
            assertThat(GgufNative.getNTensors(ctx)).isEqualTo(1);
            long id = GgufNative.findTensor(ctx, "weights");
            assertThat(id).isZero();
            assertThat(GgufNative.findTensor(ctx, "absent")).isEqualTo(-1);
            assertThat(GgufNative.getTensorName(ctx, id)).isEqualTo("weights");
            assertThat(GgufNative.getTensorType(ctx, id)).isEqualTo(GGML_TYPE_F32);
            assertThat(GgufNative.getTensorNe(ctx, id)).containsExactly(3, 2, 1, 1);
            assertThat(GgufNative.getTensorSize(ctx, id)).isEqualTo(24);
            dataStart = GgufNative.getDataOffset(ctx);
            offset = GgufNative.getTensorOffset(ctx, id);
            assertThat(dataStart % 32).isZero();
        } finally {
            GgufNative.free(ctx);
        }
        // The bytes in the file at data offset + tensor offset are the tensor we wrote.
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < TENSOR.length; i++) assertThat(bytes.getFloat((int) (dataStart + offset) + 4 * i)).isEqualTo(TENSOR[i]);
    }

    @Test
    void readingWithAGgmlContextLoadsTheTensorData() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ggmlOut = arena.allocate(CTypes.PTR);
            MemorySegment ctx = GgufNative.initFromFile(file, false, ggmlOut);
            MemorySegment ggml = ggmlOut.get(CTypes.PTR, 0);
            try {
                assertThat(ggml).isNotEqualTo(MemorySegment.NULL);
                MemorySegment t = Ggml.getFirstTensor(ggml);
                // gguf's ggml context may start with its own data blob tensor; find ours by name.
                while (!t.equals(MemorySegment.NULL) && !"weights".equals(GgmlTensorStruct.name(t))) t = Ggml.getNextTensor(ggml, t);
                assertThat(t).isNotEqualTo(MemorySegment.NULL);
                assertThat(GgmlTensorStruct.data(t).reinterpret(24).toArray(ValueLayout.JAVA_FLOAT)).containsExactly(TENSOR);
            } finally {
                GgufNative.free(ctx);
                Ggml.free(ggml);
            }
        }
    }

    @Test
    void misuseThrowsInsteadOfAbortingTheProcess() {
        MemorySegment ctx = GgufNative.initFromFile(file, true, MemorySegment.NULL);
        try {
            long u8 = GgufNative.findKey(ctx, "t.u8");
            assertThatThrownBy(() -> GgufNative.getValStr(ctx, u8)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("t.u8");
            assertThatThrownBy(() -> GgufNative.getValU8(ctx, 99)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> GgufNative.getArrN(ctx, u8)).isInstanceOf(IllegalArgumentException.class);
            long strs = GgufNative.findKey(ctx, "t.arr_str");
            assertThatThrownBy(() -> GgufNative.getArrData(ctx, strs)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> GgufNative.getArrStr(ctx, strs, 3)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> GgufNative.getTensorName(ctx, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        } finally {
            GgufNative.free(ctx);
        }
        MemorySegment writing = GgufNative.initEmpty();
        MemorySegment ggml = Ggml.init(2 * Ggml.tensorOverhead(), true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = Ggml.newTensor1d(ggml, GGML_TYPE_F32, 4);
            Ggml.setName(t, arena.allocateFrom("x"));
            GgufNative.addTensor(writing, t);
            assertThatThrownBy(() -> GgufNative.addTensor(writing, t)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate");
            assertThatThrownBy(() -> GgufNative.setTensorData(writing, "y", arena.allocate(16))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> GgufNative.setTensorData(writing, "x", arena.allocate(8))).isInstanceOf(IllegalArgumentException.class);
        } finally {
            Ggml.free(ggml);
            GgufNative.free(writing);
        }
    }

    @Test
    void unreadableFilesAreJavaExceptionsNamingTheFile() throws IOException {
        Path missing = dir.resolve("missing.gguf");
        assertThatThrownBy(() -> GgufNative.initFromFile(missing, true, MemorySegment.NULL))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining(missing.toString()).hasMessageContaining("no such file");
        Path garbage = Files.write(dir.resolve("garbage.gguf"), new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1});
        assertThatThrownBy(() -> GgufNative.initFromFile(garbage, true, MemorySegment.NULL))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining(garbage.toString());
        Path unwritable = dir.resolve("no-such-dir").resolve("out.gguf");
        MemorySegment empty = GgufNative.initEmpty();
        try {
            assertThatThrownBy(() -> GgufNative.writeToFile(empty, unwritable, false)).isInstanceOf(UncheckedIOException.class);
        } finally {
            GgufNative.free(empty);
        }
    }

    private static long key(MemorySegment ctx, String name, int expectedType) {
        long id = GgufNative.findKey(ctx, name);
        assertThat(id).as(name).isNotNegative();
        assertThat(GgufNative.getKvType(ctx, id)).as(name).isEqualTo(expectedType);
        return id;
    }
}
