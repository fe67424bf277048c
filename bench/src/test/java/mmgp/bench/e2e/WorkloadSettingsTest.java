package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class WorkloadSettingsTest {
    static WorkloadSettings sample() {
        return new WorkloadSettings("ltx", Path.of("/w/ltx 095.gguf"), "Q8_0", 2, 1, 3, 12, 49, 512, 320, 8, Path.of("/o/in.png"), 64);
    }

    @Test
    void argumentsRoundTrip() {
        WorkloadSettings s = sample();
        assertThat(WorkloadSettings.parse(s.toArgs().toArray(String[]::new))).isEqualTo(s);
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> WorkloadSettings.parse(new String[] {"model=ltx"})).hasMessageContaining("missing argument file");
        String[] args = sample().toArgs().toArray(String[]::new);
        args[3] = "threads=two";
        assertThatThrownBy(() -> WorkloadSettings.parse(args)).hasMessageContaining("threads must be an integer");
        assertThatThrownBy(() -> sample().withModel("sdxl", Path.of("x"), "F16", 1)).hasMessageContaining("unknown model 'sdxl'");
        assertThatThrownBy(() -> sample().withModel("ltx", Path.of("x"), "F16", 0)).hasMessageContaining("threads");
    }
}
