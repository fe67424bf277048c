package mmgp.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GgmlTypeTest {

    /** id, block size, bytes per block: ggml.h / ggml-common.h of the pinned ggml. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "F32, 0, 1, 4", "F16, 1, 1, 2", "Q4_0, 2, 32, 18", "Q4_1, 3, 32, 20", "Q5_0, 6, 32, 22",
            "Q5_1, 7, 32, 24", "Q8_0, 8, 32, 34", "Q8_1, 9, 32, 36", "Q2_K, 10, 256, 84", "Q3_K, 11, 256, 110",
            "Q4_K, 12, 256, 144", "Q5_K, 13, 256, 176", "Q6_K, 14, 256, 210", "Q8_K, 15, 256, 292",
            "IQ2_XXS, 16, 256, 66", "IQ2_XS, 17, 256, 74", "IQ3_XXS, 18, 256, 98", "IQ1_S, 19, 256, 50",
            "IQ4_NL, 20, 32, 18", "IQ3_S, 21, 256, 110", "IQ2_S, 22, 256, 82", "IQ4_XS, 23, 256, 136",
            "I8, 24, 1, 1", "I16, 25, 1, 2", "I32, 26, 1, 4", "I64, 27, 1, 8", "F64, 28, 1, 8",
            "IQ1_M, 29, 256, 56", "BF16, 30, 1, 2", "TQ1_0, 34, 256, 54", "TQ2_0, 35, 256, 66",
            "MXFP4, 39, 32, 17", "NVFP4, 40, 64, 36", "Q1_0, 41, 128, 18", "Q2_0, 42, 64, 18"})
    void idsAndBlockLayoutMatchGgml(GgmlType type, int id, int blockSize, int bytesPerBlock) {
        assertThat(type.id()).isEqualTo(id);
        assertThat(type.blockSize()).isEqualTo(blockSize);
        assertThat(type.bytesPerBlock()).isEqualTo(bytesPerBlock);
        assertThat(GgmlType.byId(id)).isSameAs(type);
        assertThat(type.isQuantized()).isEqualTo(blockSize > 1);
    }

    @Test
    void everyTypeIsCoveredByTheTable() {
        assertThat(GgmlType.values()).hasSize(35);
        assertThat(Arrays.stream(GgmlType.values()).map(GgmlType::id).distinct()).hasSize(35);
    }

    @Test
    void rowBytesCountsWholeBlocks() {
        assertThat(GgmlType.F32.rowBytes(7)).isEqualTo(28);
        assertThat(GgmlType.BF16.rowBytes(3)).isEqualTo(6);
        assertThat(GgmlType.Q8_0.rowBytes(64)).isEqualTo(68);
        assertThat(GgmlType.Q4_K.rowBytes(512)).isEqualTo(288);
        assertThat(GgmlType.MXFP4.rowBytes(0)).isZero();
    }

    @Test
    void rowBytesRejectsPartialBlocks() {
        assertThatThrownBy(() -> GgmlType.Q4_K.rowBytes(300))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Q4_K")
                .hasMessageContaining("blocks of 256")
                .hasMessageContaining("300");
        assertThatThrownBy(() -> GgmlType.F32.rowBytes(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rowBytesReportsOverflow() {
        assertThatThrownBy(() -> GgmlType.I64.rowBytes(Long.MAX_VALUE / 2)).isInstanceOf(ArithmeticException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 4, 5, 31, 33, 36, 38, 43, 1000, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void unknownIdsAreRejectedPrecisely(int id) {
        assertThat(GgmlType.fromId(id)).isEmpty();
        assertThatThrownBy(() -> GgmlType.byId(id))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown ggml type id " + id);
    }

    @Test
    void removedIdsSayWhy() {
        assertThatThrownBy(() -> GgmlType.byId(4)).hasMessageContaining("removed");
        assertThatThrownBy(() -> GgmlType.byId(32)).hasMessageContaining("Q4_0_4_8");
    }

    @Test
    void ggmlNamesAreLowerCase() {
        assertThat(GgmlType.Q8_0.ggmlName()).isEqualTo("q8_0");
        assertThat(GgmlType.BF16.ggmlName()).isEqualTo("bf16");
    }
}
