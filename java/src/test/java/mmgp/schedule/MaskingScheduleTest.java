package mmgp.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MaskingScheduleTest {

    @Test
    void cosineIsComputedInFloat32() {
        // Step 7 of 12: cos(pi/3) rounds to 0.49999997 in float32, so 64 tokens keep 31 masked, not 32.
        float ratio = MaskingSchedule.COSINE.maskRatio(7, 12);
        assertThat(ratio).isEqualTo(0.49999997f);
        assertThat((int) Math.floor(64f * ratio)).isEqualTo(31);
    }

    @Test
    void cosineMaskLengthsOfTheTwelveStepGolden() {
        // floor(64 * ratio) per step as recorded in the aMUSEd e2e_cfg golden (steps 0..10).
        int[] expected = {63, 61, 59, 55, 50, 45, 38, 31, 24, 16, 8};
        for (int i = 0; i < expected.length; i++) {
            assertThat((int) Math.floor(64f * MaskingSchedule.COSINE.maskRatio(i, 12))).as("step %d", i).isEqualTo(expected[i]);
        }
        assertThat(MaskingSchedule.COSINE.maskRatio(11, 12)).isCloseTo(0f, org.assertj.core.api.Assertions.within(1e-7f));
    }

    @Test
    void linearFallsByOneNthPerStep() {
        assertThat(MaskingSchedule.LINEAR.maskRatio(0, 4)).isEqualTo(0.75f);
        assertThat(MaskingSchedule.LINEAR.maskRatio(3, 4)).isEqualTo(0f);
        assertThatThrownBy(() -> MaskingSchedule.LINEAR.maskRatio(4, 4)).isInstanceOf(IllegalArgumentException.class);
    }
}
