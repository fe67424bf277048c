package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunLineTest {
    @Test
    void runLineRoundTripsWithMetricOrder() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("vision encode / tile", 1.25);
        m.put("decode tok/s", 80.5);
        m.put("total", 30.0);
        String line = RunLine.format(new RunLine.Run(2, true, m));
        RunLine.Run back = RunLine.parseRun(line);
        assertThat(back.run()).isEqualTo(2);
        assertThat(back.warmup()).isTrue();
        assertThat(back.metrics()).containsExactlyEntriesOf(m);
        assertThat(RunLine.parseEnd(line)).isNull();
    }

    @Test
    void endLineRoundTrips() {
        RunLine.End e = RunLine.parseEnd(RunLine.format(new RunLine.End(3.5, 1L << 31, "256×256, 12 steps")));
        assertThat(e).isEqualTo(new RunLine.End(3.5, 1L << 31, "256×256, 12 steps"));
    }

    @Test
    void otherOutputIsNotAResultAndBrokenJsonIsAnError() {
        assertThat(RunLine.parseRun("ggml_init: something the native side printed")).isNull();
        assertThatThrownBy(() -> RunLine.parseRun(RunLine.RUN + "{not json")).hasMessageContaining("malformed run line");
    }
}
