package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageStatsTest {
    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(StageStats.of("x", new double[] {5, 1, 3}).median()).isEqualTo(3);
        assertThat(StageStats.of("x", new double[] {4, 1, 3, 2}).median()).isEqualTo(2.5);
    }

    @Test
    void spreadIsRangeOverMedian() {
        StageStats s = StageStats.of("decode", new double[] {2.0, 1.8, 2.4});
        assertThat(s.min()).isEqualTo(1.8);
        assertThat(s.max()).isEqualTo(2.4);
        assertThat(s.spread()).isCloseTo(0.3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(StageStats.of("one", new double[] {7}).spread()).isZero();
    }

    @Test
    void summariseKeepsMetricOrderAndToleratesMissingMetrics() {
        Map<String, Double> a = new LinkedHashMap<>();
        a.put("encode", 1.0);
        a.put("step", 4.0);
        a.put("total", 9.0);
        Map<String, Double> b = new LinkedHashMap<>();
        b.put("encode", 3.0);
        b.put("total", 11.0);
        Map<String, StageStats> s = StageStats.summarise(List.of(a, b));
        assertThat(s.keySet()).containsExactly("encode", "step", "total");
        assertThat(s.get("encode").median()).isEqualTo(2.0);
        assertThat(s.get("step").runs()).isEqualTo(1);
        assertThat(s.get("total").runs()).isEqualTo(2);
    }

    @Test
    void noValuesIsAnError() {
        assertThatThrownBy(() -> StageStats.of("empty", new double[0])).hasMessageContaining("empty");
        assertThatThrownBy(() -> StageStats.medianOf(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
