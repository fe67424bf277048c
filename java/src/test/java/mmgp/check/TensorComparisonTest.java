package mmgp.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TensorComparisonTest {
    static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @Test
    void equalInfinitiesMatchAndLeaveTheErrorFiguresFinite() {
        TensorComparison t = TensorComparison.floats("scores", new float[] {1f, NEG_INF, 2.00005f}, new float[] {1f, NEG_INF, 2f}, 1e-4, 0);
        assertThat(t.passed()).isTrue();
        assertThat(t.maxAbs()).isCloseTo(5e-5, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(t.relRms()).isFinite().isPositive();
    }

    @Test
    void aFiniteValueWhereTheGoldenIsInfiniteOrTheOtherSignFails() {
        assertThat(TensorComparison.floats("x", new float[] {-1e30f}, new float[] {NEG_INF}, 1e-4, 1e-4).passed()).isFalse();
        assertThat(TensorComparison.floats("x", new float[] {Float.POSITIVE_INFINITY}, new float[] {NEG_INF}, 1e-4, 1e-4).passed()).isFalse();
        assertThat(TensorComparison.floats("x", new float[] {NEG_INF}, new float[] {3f}, 1e-4, 1e-4).passed()).isFalse();
    }

    @Test
    void textsAndStringListsCompareExactlyAndNameTheFirstDifference() {
        assertThat(TensorComparison.text("prompt", "User: hi", "User: hi").passed()).isTrue();
        TensorComparison t = TensorComparison.text("prompt", "User: ho\n", "User: hi\n");
        assertThat(t.passed()).isFalse();
        assertThat(t.integer()).isTrue();
        assertThat(t.detail()).contains("char 7").contains("\"o\\n\"");

        assertThat(TensorComparison.strings("tokens", List.of("a", "b"), List.of("a", "b")).passed()).isTrue();
        TensorComparison s = TensorComparison.strings("tokens", List.of("a", "c", "d"), List.of("a", "b"));
        assertThat(s.passed()).isFalse();
        assertThat(s.detail()).contains("first at 1").contains("\"c\" vs \"b\"");
    }
}
