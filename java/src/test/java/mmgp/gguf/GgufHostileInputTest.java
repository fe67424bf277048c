package mmgp.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each malformed header is rejected with a GgufFormatException whose message pinpoints the problem. */
class GgufHostileInputTest {

    private static final int F32 = 0;
    private static final int Q8_0 = 8;
    private static final int UINT8 = 0;
    private static final int STRING = 8;
    private static final int ARRAY = 9;

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(byte[] bytes) {
        return assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(bytes)))
                .isInstanceOf(GgufFormatException.class);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(LittleEndianBytes bytes) {
        return assertRejected(bytes.toByteArray());
    }

    /** A one-tensor F32 file: header, one tensor info, padding, then the tensor bytes. */
    private static LittleEndianBytes oneTensor(long[] ne, int type, long offset, int dataBytes) {
        return new LittleEndianBytes().header(3, 1, 0).tensorInfo("t", ne, type, offset).padTo(32).zeros(dataBytes);
    }

    @Test
    void emptyAndTinyFiles() {
        assertRejected(new byte[0]).hasMessageContaining("magic at byte offset 0").hasMessageContaining("only 0 bytes");
        assertRejected(new byte[] {'G', 'G'}).hasMessageContaining("only 2 bytes");
    }

    @Test
    void wrongMagic() {
        byte[] bytes = GgufTestFiles.smallModel();
        bytes[0] = 'X';
        assertRejected(bytes).hasMessageContaining("expected \"GGUF\"").hasMessageContaining("got \"XGUF\" (58 47 55 46)");
        assertRejected("GGML".getBytes()).hasMessageContaining("\"GGML\"");
    }

    @Test
    void unsupportedVersions() {
        assertRejected(new LittleEndianBytes().header(1, 0, 0)).hasMessageContaining("version at byte offset 4")
                .hasMessageContaining("v1");
        assertRejected(new LittleEndianBytes().header(4, 0, 0)).hasMessageContaining("unsupported version 4, expected 2 or 3");
        assertRejected(new LittleEndianBytes().header(0, 0, 0)).hasMessageContaining("unsupported version 0");
        assertRejected(new LittleEndianBytes().header(0x0300_0000L, 0, 0)).hasMessageContaining("big-endian");
    }

    @Test
    void everyTruncationIsRejected() throws IOException {
        byte[] full = GgufTestFiles.smallModel();
        long dataEnd;
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(full))) {
            // the padding after the last tensor is optional, so only cuts before its end must fail
            dataEnd = file.tensors().stream().mapToLong(t -> t.fileOffset() + t.byteSize()).max().orElseThrow();
        }
        assertThat(dataEnd).isGreaterThan(full.length - 32);
        for (int length = 0; length < dataEnd; length++) {
            byte[] prefix = Arrays.copyOf(full, length);
            GgufFormatException e = catchThrowableOfType(GgufFormatException.class,
                    () -> GgufFile.parse(MemorySegment.ofArray(prefix)));
            assertThat(e).as("prefix of %d bytes", length).isNotNull();
        }
    }

    @Test
    void truncationInsideAFieldNamesTheField() {
        byte[] header = new LittleEndianBytes().header(3, 0, 1).string("general.name").u32(STRING).toByteArray();
        assertRejected(Arrays.copyOf(header, header.length + 3))
                .hasMessageContaining("metadata 'general.name' length")
                .hasMessageContaining("byte offset " + header.length)
                .hasMessageContaining("3 remain");
    }

    @Test
    void absurdTensorCount() {
        assertRejected(new LittleEndianBytes().header(3, 1L << 60, 0).zeros(64))
                .hasMessageContaining("tensor_count at byte offset 8")
                .hasMessageContaining("1152921504606846976 entries cannot fit");
        assertRejected(new LittleEndianBytes().header(3, -1, 0))
                .hasMessageContaining("18446744073709551615 entries cannot fit");
    }

    @Test
    void kvCountLargerThanRemainingBytesCouldHold() {
        LittleEndianBytes bytes = new LittleEndianBytes().header(3, 0, 3).kvUInt32("a", 1);
        assertRejected(bytes).hasMessageContaining("metadata_kv_count at byte offset 16").hasMessageContaining("3 entries cannot fit");
        assertRejected(new LittleEndianBytes().header(3, 0, Long.MAX_VALUE)).hasMessageContaining("metadata_kv_count");
    }

    @Test
    void tensorAndKvCountsTogetherTooLarge() {
        // each count alone fits in the bytes that follow, both together do not
        assertRejected(new LittleEndianBytes().header(3, 2, 3).zeros(60)).hasMessageContaining("together")
                .hasMessageContaining("2 tensors and 3 metadata pairs");
    }

    @Test
    void stringLongerThanTheFile() {
        assertRejected(new LittleEndianBytes().header(3, 0, 1).u64(1_000_000_000_000L).raw("key".getBytes()).zeros(16))
                .hasMessageContaining("metadata pair #0 key length at byte offset 24")
                .hasMessageContaining("string of 1000000000000 bytes does not fit");
        assertRejected(new LittleEndianBytes().header(3, 0, 1).u64(-2).zeros(20))
                .hasMessageContaining("string of 18446744073709551614 bytes");
    }

    @Test
    void absurdArrayLengths() {
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("a").u32(ARRAY).u32(UINT8).u64(1L << 62).zeros(8))
                .hasMessageContaining("metadata 'a' array length")
                .hasMessageContaining("4611686018427387904 elements of UINT8 cannot fit");
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("a").u32(ARRAY).u32(STRING).u64(3).zeros(16))
                .hasMessageContaining("3 elements of STRING cannot fit: each takes at least 8 bytes");
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("a").u32(ARRAY).u32(ARRAY).u64(-1).zeros(16))
                .hasMessageContaining("18446744073709551615 elements of ARRAY");
    }

    @Test
    void stringInsideAnArrayLongerThanTheFile() {
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("a").u32(ARRAY).u32(STRING).u64(2)
                .string("ok").u64(1L << 40).zeros(8))
                .hasMessageContaining("metadata 'a'[1] length");
    }

    @Test
    void unknownValueTypes() {
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("a").u32(13).u32(0))
                .hasMessageContaining("metadata 'a' value type at byte offset 33")
                .hasMessageContaining("unknown value type 13");
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("a").u32(0xFFFF_FFFFL).u32(0))
                .hasMessageContaining("unknown value type 4294967295");
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("a").u32(ARRAY).u32(99).u64(0))
                .hasMessageContaining("metadata 'a' array element type").hasMessageContaining("unknown value type 99");
    }

    @Test
    void deeplyNestedArrays() {
        LittleEndianBytes bytes = new LittleEndianBytes().header(3, 0, 1).string("deep").u32(ARRAY);
        for (int i = 0; i < 10_000; i++) {
            bytes.u32(ARRAY).u64(1);
        }
        assertRejected(bytes.u32(UINT8).u64(0)).hasMessageContaining("nested more than 16 levels");
    }

    @Test
    void duplicateAndEmptyKeys() {
        assertRejected(new LittleEndianBytes().header(3, 0, 2).kvUInt32("a.b", 1).kvUInt32("a.b", 2))
                .hasMessageContaining("metadata pair #1 key at byte offset 43")
                .hasMessageContaining("duplicate key 'a.b', already defined by pair #0");
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("").u32(UINT8).u8(0).zeros(8))
                .hasMessageContaining("key is empty");
    }

    @Test
    void alignmentMustBeAUInt32PowerOfTwo() {
        assertRejected(new LittleEndianBytes().header(3, 0, 1).kvUInt32("general.alignment", 0))
                .hasMessageContaining("'general.alignment'").hasMessageContaining("alignment 0 must be a non-zero power of two");
        assertRejected(new LittleEndianBytes().header(3, 0, 1).kvUInt32("general.alignment", 48))
                .hasMessageContaining("alignment 48");
        assertRejected(new LittleEndianBytes().header(3, 0, 1).string("general.alignment").u32(5).u32(32))
                .hasMessageContaining("has type INT32, expected UINT32");
    }

    @Test
    void unknownTensorTypes() {
        assertRejected(oneTensor(new long[] {4}, 99, 0, 16)).hasMessageContaining("tensor #0 't' type at byte offset 45")
                .hasMessageContaining("unknown ggml type id 99");
        assertRejected(oneTensor(new long[] {4}, 4, 0, 16)).hasMessageContaining("removed");
        assertRejected(oneTensor(new long[] {4}, -1, 0, 16)).hasMessageContaining("unknown ggml type id -1");
    }

    @Test
    void dimensionCounts() {
        assertRejected(new LittleEndianBytes().header(3, 1, 0).string("t").u32(5).zeros(64))
                .hasMessageContaining("tensor #0 't' n_dims at byte offset 33").hasMessageContaining("at most 4 dimensions, got 5");
        assertRejected(new LittleEndianBytes().header(3, 1, 0).string("t").u32(0xFFFF_FFFFL).zeros(64))
                .hasMessageContaining("got 4294967295");
    }

    @Test
    void zeroDimensionsIsAScalarAsInGgml() throws IOException {
        byte[] bytes = oneTensor(new long[] {}, F32, 0, 4).toByteArray();
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes))) {
            TensorInfo t = file.tensor("t");
            assertThat(t.shape()).isEmpty();
            assertThat(t.elementCount()).isEqualTo(1);
            assertThat(t.byteSize()).isEqualTo(4);
        }
    }

    @Test
    void negativeAndOverflowingDimensions() {
        assertRejected(oneTensor(new long[] {4, -3}, F32, 0, 64)).hasMessageContaining("ne[1] at byte offset 45")
                .hasMessageContaining("non-negative, got -3");
        assertRejected(oneTensor(new long[] {1L << 32, 1L << 32}, F32, 0, 64))
                .hasMessageContaining("element count of shape [4294967296, 4294967296] overflows");
        assertRejected(oneTensor(new long[] {1L << 61}, 27, 0, 64)).hasMessageContaining("byte size of I64 tensor");
    }

    @Test
    void rowNotAMultipleOfTheBlockSize() {
        assertRejected(oneTensor(new long[] {33}, Q8_0, 0, 64))
                .hasMessageContaining("ne[0]").hasMessageContaining("33 elements is not a multiple of Q8_0's block size 32");
    }

    @Test
    void tensorDataOutsideTheFile() {
        assertRejected(oneTensor(new long[] {16}, F32, 0, 63)).hasMessageContaining("tensor 't' offset")
                .hasMessageContaining("64 bytes at data offset 0").hasMessageContaining("run past the end of the file");
        assertRejected(oneTensor(new long[] {1}, F32, 1L << 40, 64)).hasMessageContaining("data offset 1099511627776");
        assertRejected(oneTensor(new long[] {1}, F32, -32, 64)).hasMessageContaining("offset 18446744073709551584 is beyond any file");
    }

    @Test
    void dataSectionStartPastTheEnd() {
        byte[] bytes = new LittleEndianBytes().header(3, 1, 0).tensorInfo("t", new long[] {0}, F32, 0).toByteArray();
        assertRejected(bytes).hasMessageContaining("data section").hasMessageContaining("past the end of the file");
    }

    @Test
    void unalignedOffsets() {
        assertRejected(oneTensor(new long[] {4}, F32, 16, 64))
                .hasMessageContaining("offset 16 is not a multiple of the alignment 32");
    }

    @Test
    void overlappingTensors() {
        byte[] bytes = new LittleEndianBytes().header(3, 2, 0)
                .tensorInfo("a", new long[] {16}, F32, 0)
                .tensorInfo("b", new long[] {8}, F32, 32)
                .padTo(32).zeros(128).toByteArray();
        assertRejected(bytes).hasMessageContaining("tensor 'b'").hasMessageContaining("[32, 64) overlaps tensor 'a' at [0, 64)");
    }

    @Test
    void emptyTensorsMayShareAnOffset() throws IOException {
        byte[] bytes = new LittleEndianBytes().header(3, 2, 0)
                .tensorInfo("a", new long[] {0}, F32, 0)
                .tensorInfo("b", new long[] {8}, F32, 0)
                .padTo(32).zeros(32).toByteArray();
        try (GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes))) {
            assertThat(file.tensors()).hasSize(2);
        }
    }

    @Test
    void duplicateEmptyAndOverlongTensorNames() {
        assertRejected(new LittleEndianBytes().header(3, 2, 0)
                .tensorInfo("w", new long[] {8}, F32, 0).tensorInfo("w", new long[] {8}, F32, 32).padTo(32).zeros(64))
                .hasMessageContaining("tensor #1 name").hasMessageContaining("duplicate tensor name 'w', already used by tensor #0");
        assertRejected(new LittleEndianBytes().header(3, 1, 0).tensorInfo("", new long[] {1}, F32, 0).padTo(32).zeros(32))
                .hasMessageContaining("tensor #0 name at byte offset 24: name is empty");
        assertRejected(new LittleEndianBytes().header(3, 1, 0).tensorInfo("n".repeat(64), new long[] {1}, F32, 0).padTo(32).zeros(32))
                .hasMessageContaining("is 64 bytes, longer than ggml's limit of 63");
    }

    @Test
    void openReportsThePathAndClosesTheMapping(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("bad.gguf");
        Files.write(path, new LittleEndianBytes().header(7, 0, 0).toByteArray());
        GgufFormatException e = catchThrowableOfType(GgufFormatException.class, () -> GgufFile.open(path));
        assertThat(e).hasMessageStartingWith(path.toString()).hasMessageContaining("unsupported version 7");
        assertThat(e.byteOffset()).isEqualTo(4);
        Files.delete(path); // the failed open left nothing mapped or open
        Path empty = dir.resolve("empty.gguf");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> GgufFile.open(empty)).isInstanceOf(GgufFormatException.class).hasMessageContaining("magic");
    }
}
