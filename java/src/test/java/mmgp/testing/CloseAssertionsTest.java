package mmgp.testing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shared closeness checks are as strict as the copies they replaced: NaN, infinities and the bound's edge. */
class CloseAssertionsTest {
    @Test
    void theBoundIsInclusiveAndOneStepBeyondItFails() {
        double[] expected = {1.0, -2.0};
        float[] atBound = {(float) (1.0 + 0.5), -2.0f};
        assertThatCode(() -> CloseAssertions.assertClose("at", atBound, expected, 0.5, 0)).doesNotThrowAnyException();
        float[] beyond = {1.5001f, -2.0f};
        assertThatThrownBy(() -> CloseAssertions.assertClose("beyond", beyond, expected, 0.5, 0))
                .hasMessageContaining("beyond: 1 of 2 values off; first at [0]");
    }

    @Test
    void nanNeverPassesAndEqualInfinitiesDo() {
        assertThatThrownBy(() -> CloseAssertions.assertClose("nan", new float[] {Float.NaN}, new double[] {0}, 1, 1)).hasMessageContaining("nan");
        assertThatThrownBy(() -> CloseAssertions.assertClose("nan golden", new float[] {0}, new double[] {Double.NaN}, 1, 1))
                .hasMessageContaining("nan golden");
        assertThatThrownBy(() -> CloseAssertions.assertClose("finite vs inf", new float[] {1e30f}, new double[] {Double.POSITIVE_INFINITY}, 1, 1))
                .hasMessageContaining("finite vs inf");
        assertThatCode(() -> CloseAssertions.assertExactly("-inf", new float[] {Float.NEGATIVE_INFINITY}, new double[] {Double.NEGATIVE_INFINITY}))
                .doesNotThrowAnyException();
    }

    @Test
    void aGoldenComparisonFailsOnLengthAndOnTheRelativePart() {
        assertThatThrownBy(() -> CloseAssertions.assertClose("short", new float[] {1}, new float[] {1, 2}, 1e-4, 1e-4))
                .hasMessageContaining("short: 1 values, expected 2");
        // 1e-4 + 1e-4·100 = 0.0101 allowed at 100
        assertThatCode(() -> CloseAssertions.assertClose("rel", new float[] {100.01f}, new float[] {100f}, 1e-4, 1e-4)).doesNotThrowAnyException();
        assertThatThrownBy(() -> CloseAssertions.assertClose("rel", new float[] {100.02f}, new float[] {100f}, 1e-4, 1e-4)).hasMessageContaining("rel");
    }

    @Test
    void everyGoldenTensorMustBeComputedAndClose() {
        Map<String, float[]> expected = Map.of("logits", new float[] {1, 2});
        assertThatCode(() -> CloseAssertions.assertAllClose("m", Map.of("logits", new float[] {1, 2}), expected, 1e-4, 1e-4))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> CloseAssertions.assertAllClose("m", Map.of(), expected, 1e-4, 1e-4)).hasMessageContaining("no logits computed");
        assertThatThrownBy(() -> CloseAssertions.assertAllClose("m", Map.of("logits", new float[] {1, 3}), expected, 1e-4, 1e-4))
                .hasMessageContaining("1 of 1 tensors off").hasMessageContaining("logits");
    }
}
