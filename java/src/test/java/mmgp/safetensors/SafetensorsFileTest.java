package mmgp.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.tensor.HalfPrecision;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    private static byte[] le(int width, long... values) {
        ByteBuffer b = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (width) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    private static byte[] everyDtype() {
        ByteBuffer f64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-1e300);
        return new SafetensorsBuilder()
                .metadata("format", "pt")
                .add("f64", "F64", new long[] {2}, f64.array())
                .addFloats("f32", new long[] {2, 2}, 1f, -2f, 0.5f, Float.NaN)
                .add("f16", "F16", new long[] {3}, le(2, 0x3C00, 0xC000, 0x0001))
                .add("bf16", "BF16", new long[] {1, 2}, le(2, HalfPrecision.floatToBf16(-3.140625f), 0x7F80))
                .add("i64", "I64", new long[] {2}, le(8, Long.MIN_VALUE, 5))
                .add("i32", "I32", new long[] {2}, le(4, -7, Integer.MAX_VALUE))
                .add("i16", "I16", new long[] {2}, le(2, -1, 300))
                .add("i8", "I8", new long[] {2}, le(1, -128, 127))
                .add("u8", "U8", new long[] {2}, le(1, 255, 0))
                .add("u16", "U16", new long[] {1}, le(2, 65535))
                .add("u32", "U32", new long[] {1}, le(4, 0xFFFF_FFFFL))
                .add("bool", "BOOL", new long[] {3}, le(1, 1, 0, 1))
                .add("e4m3", "F8_E4M3", new long[] {2}, le(1, 0x38, 0xB8))
                .add("e5m2", "F8_E5M2", new long[] {2}, le(1, 0x3C, 0xBC))
                .add("scalar", "F32", new long[] {}, le(4, Float.floatToIntBits(9f)))
                .add("empty", "F32", new long[] {0, 5}, new byte[0])
                .build();
    }

    @Test
    void everyDtypeReadsBack() throws IOException {
        Path path = dir.resolve("all.safetensors");
        Files.write(path, everyDtype());
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.metadata()).containsExactly(java.util.Map.entry("format", "pt"));
            assertThat(file.tensors()).hasSize(16);
            assertThat(file.readFloats("f64")).containsExactly(0.1f, Float.NEGATIVE_INFINITY);
            assertThat(file.readFloats("f32")).containsExactly(1f, -2f, 0.5f, Float.NaN);
            assertThat(file.readFloats("f16")).containsExactly(1f, -2f, 0x1p-24f);
            assertThat(file.readFloats("bf16")).containsExactly(-3.140625f, Float.POSITIVE_INFINITY);
            assertThat(file.readLongs("i64")).containsExactly(Long.MIN_VALUE, 5);
            assertThat(file.readLongs("i32")).containsExactly(-7, Integer.MAX_VALUE);
            assertThat(file.readLongs("i16")).containsExactly(-1, 300);
            assertThat(file.readLongs("i8")).containsExactly(-128, 127);
            assertThat(file.readLongs("u8")).containsExactly(255, 0);
            assertThat(file.readLongs("u16")).containsExactly(65535);
            assertThat(file.readLongs("u32")).containsExactly(0xFFFF_FFFFL);
            assertThat(file.readLongs("bool")).containsExactly(1, 0, 1);
            assertThat(file.tensor("e4m3").dtype()).isEqualTo(SafetensorsDType.F8_E4M3);
            assertThat(file.data("e5m2").toArray(ValueLayout.JAVA_BYTE)).containsExactly(0x3C, (byte) 0xBC);
            assertThat(file.tensor("scalar").rank()).isZero();
            assertThat(file.readFloats("scalar")).containsExactly(9f);
            assertThat(file.readFloats("empty")).isEmpty();
            SafetensorsTensorInfo f32 = file.tensor("f32");
            assertThat(f32.shape()).containsExactly(2, 2);
            assertThat(f32.byteSize()).isEqualTo(16);
            assertThat(f32.fileOffset()).isEqualTo(file.dataStart() + f32.dataBegin());
            assertThat(file.data(f32).isMapped()).isTrue();
        }
    }

    @Test
    void readersRejectTheWrongKindOfTensor() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.parse(MemorySegment.ofArray(everyDtype()))) {
            assertThatThrownBy(() -> file.readFloats("i64")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'i64' has dtype I64");
            assertThatThrownBy(() -> file.readLongs("f32")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'f32' has dtype F32");
            assertThatThrownBy(() -> file.readFloats("e4m3")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> file.tensor("missing")).isInstanceOf(SafetensorsFormatException.class)
                    .hasMessageContaining("'missing' is not in the file");
        }
    }

    @Test
    void closingUnmaps() throws IOException {
        Path path = dir.resolve("c.safetensors");
        Files.write(path, everyDtype());
        SafetensorsFile file = SafetensorsFile.open(path);
        MemorySegment data = file.data("f32");
        file.close();
        file.close();
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    // ---- hostile headers ----

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(byte[] bytes) {
        return assertThatThrownBy(() -> SafetensorsFile.parse(MemorySegment.ofArray(bytes)))
                .isInstanceOf(SafetensorsFormatException.class);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertHeaderRejected(String json, int dataBytes) {
        return assertRejected(SafetensorsBuilder.assemble(json, new byte[dataBytes]));
    }

    @Test
    void tooShortForTheLengthField() {
        assertRejected(new byte[5]).hasMessageContaining("file has 5 bytes, too short");
    }

    @Test
    void headerLengthBeyondTheFile() {
        byte[] bytes = everyDtype();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bytes.length);
        assertRejected(bytes).hasMessageContaining("header length " + bytes.length).hasMessageContaining("exceeds the "
                + (bytes.length - 8) + " bytes that follow it");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        assertRejected(bytes).hasMessageContaining("header length 18446744073709551615");
    }

    @Test
    void headerLengthOverTheHundredMegabyteLimit() throws IOException {
        Path big = dir.resolve("big.safetensors");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(120_000_000L); // sparse: costs no disk
            file.write(le(8, 110_000_000L));
        }
        assertThatThrownBy(() -> SafetensorsFile.open(big)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("header length 110000000").hasMessageContaining("limit of 100000000");
    }

    @Test
    void headerMustBeAJsonObject() {
        assertHeaderRejected("[1,2]", 0).hasMessageContaining("starting with '{'");
        assertHeaderRejected("{\"a\":", 0).hasMessageContaining("header JSON is not valid JSON at byte offset");
        assertHeaderRejected("{} {}", 0).hasMessageContaining("not valid JSON");
        assertHeaderRejected("{\"a\":1}", 0).hasMessageContaining("tensor 'a' must be an object");
        byte[] zeroLength = new byte[16];
        assertRejected(zeroLength).hasMessageContaining("its length is 0");
        byte[] invalidUtf8 = SafetensorsBuilder.assemble("{\"\u00e9\":1}", new byte[0]);
        invalidUtf8[11] = (byte) 0xFF;
        assertRejected(invalidUtf8).hasMessageContaining("not valid JSON");
    }

    @Test
    void duplicateKeysAreErrors() {
        assertHeaderRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)
                .hasMessageContaining("Duplicate field 'a'");
    }

    @Test
    void metadataMustBeAStringMap() {
        assertHeaderRejected("{\"__metadata__\":{\"n\":3}}", 0).hasMessageContaining("value for 'n' must be a string, got number");
        assertHeaderRejected("{\"__metadata__\":[1]}", 0).hasMessageContaining("__metadata__ must be an object");
    }

    @Test
    void tensorEntriesAreValidated() {
        assertHeaderRejected("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4).hasMessageContaining("tensor 't' dtype must be a string, got nothing");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)
                .hasMessageContaining("unsupported dtype \"F4\"");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)
                .hasMessageContaining("tensor 't' shape[0] must be a non-negative integer");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)
                .hasMessageContaining("shape[0]");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],\"data_offsets\":[0,4]}}", 4)
                .hasMessageContaining("below 2^63");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4)
                .hasMessageContaining("shape must be an array of integers, got string");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4)
                .hasMessageContaining("overflows");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4)
                .hasMessageContaining("data_offsets must have 2 elements, got 1");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4)
                .hasMessageContaining("end before they begin");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8)
                .hasMessageContaining("span 4 bytes, but F32 [2] needs 8");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 7)
                .hasMessageContaining("run past the end of the data section (7 bytes");
        assertHeaderRejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775800,9223372036854775804]}}", 4)
                .hasMessageContaining("run past the end");
    }

    @Test
    void overlappingTensorsAreRejected() {
        assertHeaderRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12)
                .hasMessageContaining("tensor 'b' data_offsets [4, 12) overlap tensor 'a' at [0, 8)");
    }

    @Test
    void deepNestingIsBounded() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertHeaderRejected("{\"__metadata__\":" + deep + "}", 0).hasMessageContaining("not valid JSON")
                .hasMessageContaining("nesting depth");
    }

    @Test
    void openPrefixesThePath() throws IOException {
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, "{}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> SafetensorsFile.open(bad)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageStartingWith(bad.toString());
    }

    @Test
    void emptyHeaderObjectIsAValidEmptyFile() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.parse(MemorySegment.ofArray(SafetensorsBuilder.assemble("{}", new byte[0])))) {
            assertThat(file.tensors()).isEmpty();
            assertThat(file.metadata()).isEmpty();
        }
    }
}
